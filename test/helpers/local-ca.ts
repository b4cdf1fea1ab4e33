// A local CA made by the real `lkp ca init`, plus a way to mint tokens with its key.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createJoinToken } from '../../src/signer/identity/join-token.js';
import { parsePrincipals } from '../../src/ssh/names.js';
import { lkp } from './lkp.js';
import { tempDir } from './openssh.js';

export interface LocalCa {
  readonly dir: string;
  readonly config: string;
  readonly serverId: string;
  /** Mints a token directly (for expired / foreign / odd tokens the CLI refuses to make). */
  mint(opts: { for?: 'host' | 'user'; principals: string[]; ttl?: number; aud?: string; iat?: number }): string;
}

export const makeLocalCa = async (): Promise<LocalCa> => {
  const dir = path.join(tempDir('lkp-ca-'), 'ca');
  const r = await lkp(['ca', 'init', '--dir', dir]);
  if (r.code !== 0) throw new Error(`ca init failed: ${r.stderr}`);
  const config = path.join(dir, 'signer.json');
  const serverId = (JSON.parse(readFileSync(config, 'utf8')) as { serverId: string }).serverId;
  const key = Buffer.from(readFileSync(path.join(dir, 'join_token.key'), 'utf8').trim(), 'hex');
  return {
    dir,
    config,
    serverId,
    mint: ({ for: f = 'host', principals, ttl = 600, aud = serverId, iat }) => {
      const now = iat ?? Math.floor(Date.now() / 1000);
      return createJoinToken(key, { v: 1, jti: randomUUID(), aud, for: f, principals: parsePrincipals(principals), iat: now, exp: now + ttl });
    },
  };
};
