// Where a join token comes from. A token on the command line is readable by every local
// user in /proc/PID/cmdline while lkp runs, and a single-use token read there can be
// redeemed first by someone else: so besides `--join-token T` lkp takes `--join-token -`
// (standard input), `--join-token-file FILE` (0600 or stricter) and LKP_JOIN_TOKEN.
import { LkpError } from '../errors.js';

export interface JoinTokenSources {
  readonly flag?: string;
  readonly file?: string;
  readonly env?: string;
  readonly readStdin: () => Promise<string>;
  readonly readFile: (file: string) => Promise<{ text: string; mode: number }>;
}

const clean = (text: string, where: string): string => {
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new LkpError('UsageError', `${where} must hold exactly one join token`);
  return token;
};

/** The token, from exactly one source; undefined when none was given. */
export const resolveJoinToken = async (s: JoinTokenSources): Promise<string | undefined> => {
  const given = [s.flag !== undefined, s.file !== undefined, s.env !== undefined && s.env !== ''].filter(Boolean).length;
  if (given > 1) throw new LkpError('UsageError', 'give the join token one way: --join-token, --join-token-file or LKP_JOIN_TOKEN');
  if (s.flag === '-') return clean(await s.readStdin(), 'standard input');
  if (s.flag !== undefined) return clean(s.flag, '--join-token');
  if (s.file !== undefined) {
    const { text, mode } = await s.readFile(s.file);
    if ((mode & 0o077) !== 0) throw new LkpError('ConfigInvalid', `join token file ${s.file} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${s.file}`);
    return clean(text, s.file);
  }
  if (s.env) return clean(s.env, 'LKP_JOIN_TOKEN');
  return undefined;
};

/** The same, reading from this process's stdin, the file system and the environment. */
export const joinTokenFromCli = async (flag: string | undefined, file: string | undefined): Promise<string | undefined> =>
  resolveJoinToken({
    ...(flag !== undefined ? { flag } : {}),
    ...(file !== undefined ? { file } : {}),
    ...(process.env.LKP_JOIN_TOKEN !== undefined ? { env: process.env.LKP_JOIN_TOKEN } : {}),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) {
        chunks.push(chunk as Buffer);
        if (chunks.reduce((n, c) => n + c.length, 0) > 16_384) throw new LkpError('UsageError', 'standard input is too long for a join token');
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    readFile: async (path) => {
      const { open } = await import('node:fs/promises');
      const { systemErrorToLkp } = await import('../system-error.js');
      try {
        // Mode and content from one open file: no window to swap it between the two.
        const handle = await open(path, 'r');
        try {
          return { mode: (await handle.stat()).mode, text: (await handle.readFile({ encoding: 'utf8' })).slice(0, 16_384) };
        } finally {
          await handle.close();
        }
      } catch (error) {
        throw systemErrorToLkp(error, { path, fix: 'give the file lkp signer token create wrote the token to' }) ?? new LkpError('FileSystem', `cannot read ${path}`, { cause: error });
      }
    },
  });
