// When a host needs new certificates (pure): a certificate is missing, expired, no longer
// for the current host key, or has less than a third of its lifetime left.
import { parseCertificate, verifyCertificate, type ParsedCertificate } from '../ssh/parse-certificate.js';
import type { PublicKey } from '../ssh/public-key.js';
import type { HostKey } from './host-keys.js';

export type CertState = 'ok' | 'due' | 'expired' | 'missing' | 'invalid';

export interface CertStatus {
  readonly hostKey: string;
  readonly certPath: string;
  readonly state: CertState;
  readonly reason: string;
  readonly cert?: ParsedCertificate;
}

/** Assesses each host key's certificate at `now` (Unix seconds). */
export const assessHostCertificates = (opts: {
  hostKeys: readonly HostKey[];
  certFor: (hostKeyPath: string) => string;
  certTexts: ReadonlyMap<string, string | null>;
  hostCaKeys: readonly PublicKey[];
  now: number;
}): CertStatus[] =>
  opts.hostKeys.map((hk) => {
    const certPath = opts.certFor(hk.privatePath);
    const base = { hostKey: hk.privatePath, certPath };
    const text = opts.certTexts.get(certPath);
    if (!text) return { ...base, state: 'missing', reason: 'no certificate for this host key' };
    let cert: ParsedCertificate;
    try {
      cert = verifyCertificate(parseCertificate(text), { trustedCaKeys: opts.hostCaKeys, certType: 'host' });
    } catch (error) {
      return { ...base, state: 'invalid', reason: (error as Error).message };
    }
    try {
      verifyCertificate(cert, { trustedCaKeys: opts.hostCaKeys, subjectKey: hk.key });
    } catch {
      return { ...base, state: 'invalid', reason: 'the host key changed since this certificate was issued', cert };
    }
    const now = BigInt(opts.now);
    if (now >= cert.validBefore) return { ...base, state: 'expired', reason: `expired ${new Date(Number(cert.validBefore) * 1000).toISOString()}`, cert };
    const lifetime = cert.validBefore - cert.validAfter;
    const left = cert.validBefore - now;
    if (left * 3n < lifetime) return { ...base, state: 'due', reason: `less than a third of its lifetime left (${Number(left) / 3600 < 48 ? `${(Number(left) / 3600).toFixed(1)} h` : `${(Number(left) / 86400).toFixed(1)} d`})`, cert };
    return { ...base, state: 'ok', reason: 'valid', cert };
  });

/** True when any certificate needs renewal. */
export const renewalDue = (statuses: readonly CertStatus[]): boolean => statuses.some((s) => s.state !== 'ok');
