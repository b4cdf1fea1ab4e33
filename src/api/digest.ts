// The request digest an `aws` identity proof is bound to: action, every public key,
// login and target. A captured proof is worthless for any other key, login or target.
import { createHash } from 'node:crypto';
import { encodePublicKeyBlob, type PublicKey } from '../ssh/public-key.js';

export interface DigestInput {
  readonly action: 'host-cert' | 'user-cert';
  readonly publicKeys: readonly PublicKey[];
  readonly login?: string;
  readonly target?: string;
}

/** Hex SHA-256 over a canonical, unambiguous encoding (length-prefixed fields). */
export const requestDigest = (input: DigestInput): string => {
  const h = createHash('sha256');
  const field = (name: string, value: Buffer | string): void => {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    h.update(name).update(len).update(data);
  };
  field('lkp-request-v1', input.action);
  for (const key of input.publicKeys) field('key', encodePublicKeyBlob(key));
  field('login', input.login ?? '');
  field('target', input.target ?? '');
  return h.digest('hex');
};
