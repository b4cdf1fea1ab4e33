// `lkp ca init`: a working local CA in one folder: host and user CA keys (0600), the
// join-token key, and a starter signer config that allows join tokens and nothing else.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { rethrowSystemError } from '../system-error.js';
import { generateOpenSshKey } from '../ssh/generate-key.js';
import type { CaKeyAlgorithm } from '../ssh/private-key.js';

export const CONFIG_FILE = 'signer.json';

/** The starter config: join tokens only, default deny for everything else. */
export const starterConfig = (serverId: string): Record<string, unknown> => ({
  version: 1,
  serverId,
  hostCa: { store: 'file', paths: ['host_ca'] },
  userCa: { store: 'file', paths: ['user_ca'] },
  joinTokens: { keyFile: 'join_token.key', ledgerFile: 'used_tokens.jsonl', maxTtl: '1h' },
  revocations: { store: 'file', file: 'revocations.json' },
  certificates: { host: { default: '30d', max: '30d' }, user: { default: '1h', max: '12h' } },
  rules: [
    { name: 'hosts that joined with a token', for: 'host', method: 'join-token', principals: ['*'] },
    { name: 'people holding a user token', for: 'user', method: 'join-token', principals: ['*'] },
  ],
});

export interface CaInitResult {
  readonly dir: string;
  readonly configFile: string;
  readonly written: readonly string[];
}

/** Creates the CA folder; refuses to overwrite anything that exists. */
export const initCa = async (dir: string, algorithm: CaKeyAlgorithm = 'ed25519'): Promise<CaInitResult> => {
  const abs = path.resolve(dir);
  try {
    await mkdir(abs, { recursive: true, mode: 0o700 });
  } catch (error) {
    const fix = 'choose another --dir (a new or empty folder)';
    rethrowSystemError(error, { path: abs, fix });
  }
  const serverId = `lkp-local-${randomBytes(6).toString('hex')}`;
  const host = generateOpenSshKey(algorithm, 'lkp host CA');
  const user = generateOpenSshKey(algorithm, 'lkp user CA');
  const files: Array<[string, string, number]> = [
    ['host_ca', host.privateText, 0o600],
    ['host_ca.pub', `${host.publicLine}\n`, 0o644],
    ['user_ca', user.privateText, 0o600],
    ['user_ca.pub', `${user.publicLine}\n`, 0o644],
    ['join_token.key', `${randomBytes(32).toString('hex')}\n`, 0o600],
    [CONFIG_FILE, `${JSON.stringify(starterConfig(serverId), null, 2)}\n`, 0o644],
  ];
  const written: string[] = [];
  try {
    for (const [name, content, mode] of files) {
      const file = path.join(abs, name);
      let handle;
      try {
        handle = await open(file, 'wx', mode);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new LkpError('UsageError', `${file} already exists; lkp ca init never overwrites a CA (choose another --dir)`);
        return rethrowSystemError(error, { path: file, fix: 'choose another --dir' });
      }
      written.push(file);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } catch (error) {
        return rethrowSystemError(error, { path: file, fix: 'free some space or choose another --dir' });
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    // Nothing half-written: remove what this run created.
    await Promise.all(written.map((f) => rm(f, { force: true })));
    throw error;
  }
  return { dir: abs, configFile: path.join(abs, CONFIG_FILE), written };
};
