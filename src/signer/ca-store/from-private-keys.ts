// Builds a CaKeySet from private key texts, whatever store they came from.
import { LkpError } from '../../errors.js';
import { formatPublicKey } from '../../ssh/public-key.js';
import { parsePrivateKey } from '../../ssh/private-key.js';
import { keyObjectSigner } from '../../ssh/signature.js';
import type { CaKeySet } from './types.js';

/** Parses OpenSSH private keys (first one signs); `names` label them in errors only. */
export const caKeySetFromPrivateKeys = (texts: readonly string[], names: readonly string[]): CaKeySet => {
  if (texts.length === 0) throw new LkpError('CaKeyUnavailable', 'no CA key configured');
  const loaded = texts.map((text, i) => {
    try {
      return parsePrivateKey(text, `CA key ${names[i] ?? i}`);
    } catch (error) {
      // Never echo key material: name the key, keep the parser's reason (it names the key too).
      const reason = error instanceof LkpError ? error.message : `CA key ${names[i] ?? i} is unreadable`;
      throw new LkpError('CaKeyUnavailable', `${reason}; replace it with a CA key from lkp ca init or ssh-keygen -t ed25519`, { cause: error });
    }
  });
  const first = loaded[0] as (typeof loaded)[number];
  return { signer: keyObjectSigner(first.privateKey, first.publicKey), publicLines: loaded.map((k) => formatPublicKey(k.publicKey)) };
};
