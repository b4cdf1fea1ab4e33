// Finds the host's public keys (ssh_host_{ed25519,ecdsa,rsa}_key.pub) in the ssh dir.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { checkSubjectKey } from '../ssh/key-policy.js';
import { parsePublicKey, type PublicKey } from '../ssh/public-key.js';

export const HOST_KEY_NAMES = ['ssh_host_ed25519_key', 'ssh_host_ecdsa_key', 'ssh_host_rsa_key'] as const;

export interface HostKey {
  /** Private key path (the one sshd's HostKey names); the .pub sits beside it. */
  readonly privatePath: string;
  readonly key: PublicKey;
  readonly line: string;
}

/** Reads every supported host public key present; none at all is an error. */
export const readHostKeys = async (sshDir: string): Promise<HostKey[]> => {
  const found: HostKey[] = [];
  for (const name of HOST_KEY_NAMES) {
    const privatePath = path.join(sshDir, name);
    let text: string;
    try {
      text = await readFile(`${privatePath}.pub`, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new LkpError('FileSystem', `cannot read ${privatePath}.pub: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      const key = checkSubjectKey(parsePublicKey(text.trim()), 'host');
      found.push({ privatePath, key, line: text.trim().split(/\s+/).slice(0, 2).join(' ') });
    } catch (error) {
      throw new LkpError('KeyInvalid', `host key ${privatePath}.pub is unusable: ${(error as Error).message}`);
    }
  }
  if (found.length === 0) throw new LkpError('KeyInvalid', `no host keys in ${sshDir} (expected ssh_host_ed25519_key.pub, ssh_host_ecdsa_key.pub or ssh_host_rsa_key.pub); run ssh-keygen -A`);
  return found;
};
