// Which keys may be certified, and which may sign. Kept apart from parsing so a stricter
// policy (say, ed25519 only) is one change in one place.
import { LkpError } from '../errors.js';
import type { PublicKey } from './public-key.js';

export type CertType = 'user' | 'host';

/** Minimum RSA sizes: 2048 for subjects (OpenSSH's floor), 3072 for CAs (NIST 128-bit). */
export const MIN_RSA_SUBJECT_BITS = 2048;
export const MIN_RSA_CA_BITS = 3072;

/** Refuses a subject key that must not be certified for this certificate type. */
export const checkSubjectKey = (key: PublicKey, certType: CertType): PublicKey => {
  if (key.kind === 'rsa' && key.bits < MIN_RSA_SUBJECT_BITS) {
    throw new LkpError('KeyInvalid', `RSA key of ${key.bits} bits is too small; use at least ${MIN_RSA_SUBJECT_BITS} bits or ed25519`);
  }
  if (certType === 'host' && (key.kind === 'sk-ed25519' || key.kind === 'sk-ecdsa')) {
    throw new LkpError('KeyInvalid', 'FIDO (sk-) keys can only hold user certificates, not host certificates');
  }
  return key;
};

/** Refuses a CA key that must not sign certificates. */
export const checkCaKey = (key: PublicKey): PublicKey => {
  if (key.kind === 'sk-ed25519' || key.kind === 'sk-ecdsa') throw new LkpError('KeyInvalid', 'a FIDO key cannot be a CA key here');
  if (key.kind === 'rsa' && key.bits < MIN_RSA_CA_BITS) {
    throw new LkpError('KeyInvalid', `RSA CA key of ${key.bits} bits is too small; use at least ${MIN_RSA_CA_BITS} bits or ed25519`);
  }
  return key;
};
