// The request digest an `aws` identity proof is bound to: action, every public key,
// login and target. A captured proof is worthless for any other key, login or target.
import { encodePublicKeyBlob, type PublicKey } from '../ssh/public-key.js';
import { sha256 } from '../ssh/sha256.js';
import { SshWriter } from '../ssh/wire.js';

export interface DigestInput {
  readonly action: 'host-cert' | 'user-cert';
  readonly publicKeys: readonly PublicKey[];
  readonly login?: string;
  readonly target?: string;
}

const NAMES = {
  head: Buffer.from('lkp-request-v1'),
  key: Buffer.from('key'),
  login: Buffer.from('login'),
  target: Buffer.from('target'),
};

/**
 * Hex SHA-256 over a canonical, unambiguous encoding: each field is its name, then its
 * value length-prefixed (uint32). Built in one buffer and hashed once (the signer computes
 * this for every join-token request).
 */
export const requestDigest = (input: DigestInput): string => {
  const w = new SshWriter(512);
  w.raw(NAMES.head).string(input.action);
  for (const key of input.publicKeys) w.raw(NAMES.key).string(encodePublicKeyBlob(key));
  w.raw(NAMES.login).string(input.login ?? '');
  w.raw(NAMES.target).string(input.target ?? '');
  return sha256(w.toBuffer(), 'hex');
};
