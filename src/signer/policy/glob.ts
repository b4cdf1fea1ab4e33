// Operator-written patterns in policy rules: `*` matches any run of characters, `?` one
// character; everything else is literal. Compiled once, matched whole.

/** Compiles a glob into an anchored RegExp. */
export const compileGlob = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');

/** True when `value` matches any of the compiled patterns. */
export const matchesAny = (patterns: readonly RegExp[], value: string): boolean => patterns.some((p) => p.test(value));
