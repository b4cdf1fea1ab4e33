// How ssh (Match exec, ProxyCommand) runs lkp again: the installed lkp — the single
// executable itself, else the `lkp` found on PATH — never a checkout's node and script
// paths when avoidable (they change with every node upgrade or moved clone).
import { accessSync, constants } from 'node:fs';
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

/** The absolute path of `name` on PATH, if there is an executable one. */
export const findOnPath = (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue; // a relative PATH entry depends on where ssh runs
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
};

/** argv prefix that starts lkp again, and whether it is an installed lkp (binary or on PATH). */
export const selfCommand = (): { argv: string[]; installed: boolean } => {
  if (isSea()) return { argv: [process.execPath], installed: true };
  const onPath = findOnPath('lkp');
  if (onPath) return { argv: [onPath], installed: true };
  return { argv: [process.execPath, path.resolve(process.argv[1] ?? 'lkp')], installed: false };
};
