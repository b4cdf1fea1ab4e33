// How ssh (Match exec, ProxyCommand) runs lkp again: the installed lkp — the single
// executable itself, else the npm-installed `lkp` it was started as, else the `lkp` found
// on PATH — never a checkout's node and script paths when avoidable (they change with
// every node upgrade or moved clone).
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

/**
 * The launcher this process was started through when it is an installed command: npm's
 * bin link (PREFIX/bin/lkp, from `npm install -g`) or another link named `lkp`, never the
 * checkout's bin/lkp.js run by node.
 */
const installedLauncher = (script: string | undefined): string | undefined => {
  if (!script || path.basename(script) !== 'lkp' || !path.isAbsolute(script)) return undefined;
  try {
    accessSync(script, constants.X_OK);
    return script;
  } catch {
    return undefined;
  }
};

/** argv prefix that starts lkp again, and whether it is an installed lkp (binary, npm install, or on PATH). */
export const selfCommand = (): { argv: string[]; installed: boolean } => {
  if (isSea()) return { argv: [process.execPath], installed: true };
  const launcher = installedLauncher(process.argv[1]);
  if (launcher) return { argv: [launcher], installed: true };
  const onPath = findOnPath('lkp');
  if (onPath) return { argv: [onPath], installed: true };
  return { argv: [process.execPath, path.resolve(process.argv[1] ?? 'lkp')], installed: false };
};
