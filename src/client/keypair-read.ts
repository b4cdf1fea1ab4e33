// Reading the laptop's key pair (FILE.pub next to the private key): apart from keypair.ts,
// which creates one, so the cache-hit path (src/cli/exec-hit.ts) never loads key generation.
import { readFileSync } from 'node:fs';
import { LkpError } from '../errors.js';
import { parsePublicKey, type PublicKey } from '../ssh/public-key.js';
import { checkSubjectKey } from '../ssh/key-policy.js';

export interface KeyPair {
  readonly privatePath: string;
  readonly publicLine: string;
  readonly key: PublicKey;
}

/** Reads FILE.pub next to a private key. */
export const readKeyPair = async (privatePath: string): Promise<KeyPair> => {
  let line: string;
  try {
    line = readFileSync(`${privatePath}.pub`, 'utf8').trim(); // sync: no thread pool on the cache-hit path
  } catch (error) {
    throw new LkpError('KeyInvalid', `cannot read ${privatePath}.pub: ${(error as NodeJS.ErrnoException).code ?? 'error'} (lkp needs the public key next to the private one)`);
  }
  const key = checkSubjectKey(parsePublicKey(line), 'user');
  return { privatePath, publicLine: line.split(/\s+/).slice(0, 2).join(' '), key };
};
