// The laptop's key pair: ~/.lkp/id_ed25519 made on first use (0600), or one the user
// names with --identity. The private key never leaves this machine.
import { access, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { readKeyPair, type KeyPair } from './keypair-read.js';

export { readKeyPair, type KeyPair } from './keypair-read.js';

/** Returns the key pair at `privatePath`, creating an ed25519 pair there when absent. */
export const ensureKeyPair = async (privatePath: string, comment: string): Promise<KeyPair> => {
  const present = async (f: string): Promise<boolean> => access(f).then(() => true, () => false);
  if (await present(`${privatePath}.pub`)) return readKeyPair(privatePath);
  if (await present(privatePath)) throw new LkpError('KeyInvalid', `${privatePath} exists but ${privatePath}.pub does not; recreate it with ssh-keygen -y -f ${privatePath} > ${privatePath}.pub`);
  const { generateOpenSshKey } = await import('../ssh/generate-key.js');
  const { privateText, publicLine } = generateOpenSshKey('ed25519', comment);
  await mkdir(path.dirname(privatePath), { recursive: true, mode: 0o700 });
  for (const [file, content, mode] of [
    [privatePath, privateText, 0o600],
    [`${privatePath}.pub`, `${publicLine}\n`, 0o644],
  ] as const) {
    const handle = await open(file, 'wx', mode).catch((e: NodeJS.ErrnoException) => {
      throw new LkpError('FileSystem', `cannot create ${file}: ${e.code ?? 'error'}`);
    });
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return readKeyPair(privatePath);
};
