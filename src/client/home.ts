// Where the laptop side keeps its files, worked out in one place: LKP_HOME, else ~/.lkp;
// and the client config, LKP_CONFIG, else config.json there.
import { lstatSync, statSync, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LkpError } from '../errors.js';

/** The lkp folder (key pair, certificate cache, known_hosts, client config). */
export const lkpHome = (env: NodeJS.ProcessEnv = process.env): string => path.resolve(env.LKP_HOME || path.join(os.homedir(), '.lkp'));

/** The client config file, and whether the user named it (then it must exist). */
export const clientConfigFile = (env: NodeJS.ProcessEnv = process.env): { file: string; explicit: boolean } =>
  env.LKP_CONFIG ? { file: path.resolve(env.LKP_CONFIG), explicit: true } : { file: path.join(lkpHome(env), 'config.json'), explicit: false };

/**
 * Refuses folders of the home that another local user could write, as sshd's StrictModes
 * does: ssh trusts what lkp keeps there (known_hosts, cached certificates, the per-host
 * configs it Includes and their Match exec). Each must be a directory (not a symlink: the
 * home itself may be one, its target is checked) owned by this user or root, and not
 * group- or world-writable. A missing one is fine: lkp creates it 0700. Sync lstat calls
 * only, so the cache-hit path stays cheap.
 */
export const checkHomeDirs = (home: string, subdirs: readonly string[]): void => {
  const uid = process.getuid?.();
  const check = (dir: string, follow: boolean): boolean => {
    let st: Stats;
    try {
      st = follow ? statSync(dir) : lstatSync(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      throw new LkpError('FileSystem', `cannot check ${dir}: ${code ?? 'error'}`, { cause: error });
    }
    const unsafe = !st.isDirectory()
      ? 'is not a directory (a symlink?)'
      : uid !== undefined && st.uid !== uid && st.uid !== 0
        ? `is owned by uid ${st.uid}, not by you`
        : (st.mode & 0o022) !== 0
          ? `is group- or world-writable (mode ${(st.mode & 0o777).toString(8)})`
          : undefined;
    if (unsafe) throw new LkpError('HomeUnsafe', `${dir} ${unsafe}: another user could change what ssh trusts; make it yours with chmod 700 (or set LKP_HOME to a private folder)`);
    return true;
  };
  if (!check(home, true)) return;
  for (const sub of subdirs) check(path.join(home, sub), false);
};
