export const main = (a: string[]) => console.log("hi", a);
