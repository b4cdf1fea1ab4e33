// Whether the signer's published CA keys call for a renewal although every certificate is
// still valid (pure). A CA rotation must reach every host within one run of the renewal
// timer, not when its 30-day certificate happens to be due: after add-next the host must
// trust the next user CA key before it signs, after promote its host certificates must come
// from the next host CA key before the old one is retired, and after retire it drops the old key.
import { fingerprint, sameKey, type PublicKey } from '../ssh/public-key.js';
import type { CertStatus } from './renewal.js';

const sameSet = (a: readonly PublicKey[], b: readonly PublicKey[]): boolean => {
  const fa = new Set(a.map(fingerprint));
  const fb = new Set(b.map(fingerprint));
  return fa.size === fb.size && [...fa].every((f) => fb.has(f));
};

/** Why the host should renew now (one line), or undefined when its trust files and certificates match the signer. */
export const caKeyDrift = (o: {
  readonly published: { readonly userCaKeys: readonly PublicKey[]; readonly hostCaKeys: readonly PublicKey[] };
  readonly trustedUserCaKeys: readonly PublicKey[];
  readonly hostCaKeys: readonly PublicKey[];
  readonly statuses: readonly CertStatus[];
}): string | undefined => {
  if (!sameSet(o.published.userCaKeys, o.trustedUserCaKeys)) return "the signer's user CA keys changed (a CA rotation)";
  if (o.published.hostCaKeys.length > 0 && !sameSet(o.published.hostCaKeys, o.hostCaKeys)) return "the signer's host CA keys changed (a CA rotation)";
  const signing = o.published.hostCaKeys[0];
  if (signing && o.statuses.some((s) => s.cert && !sameKey(s.cert.signatureKey, signing))) return 'a host certificate is signed by a host CA key that no longer signs (a CA rotation)';
  return undefined;
};
