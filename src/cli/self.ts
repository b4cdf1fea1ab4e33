// How to run this very lkp again from another program (ssh's Match exec, ProxyCommand):
// the binary itself when lkp is a single executable, else node with the script it ran.
import { createRequire } from 'node:module';
import path from 'node:path';

const isSea = (): boolean => {
  try {
    const require = createRequire(path.join(process.cwd(), 'x.js'));
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
};

/** argv prefix that starts lkp again. */
export const selfCommand = (): string[] => (isSea() ? [process.execPath] : [process.execPath, path.resolve(process.argv[1] ?? 'lkp')]);
