// Issuance: turn a grant and a subject key into a signed certificate. The only place a
// CA key is used; it sees a validated template and nothing else.
import { randomBytes } from 'node:crypto';
import type { IssuedCertificate } from '../api/response.js';
import { buildCertificate, formatCertificate } from '../ssh/certificate.js';
import { parseKeyId } from '../ssh/names.js';
import { fingerprint, type PublicKey } from '../ssh/public-key.js';
import type { CaSigner } from '../ssh/signature.js';
import type { Grant } from './policy/grant.js';

/** Clock skew allowance: certificates start a few minutes in the past. */
export const BACKDATE_SECONDS = 5 * 60;

export interface IssueContext {
  readonly requestId: string;
  readonly caller: string;
  /** Unix seconds. */
  readonly now: number;
  readonly random?: (size: number) => Buffer;
}

/** A BLESS-style key ID that sshd logs on every login: who, what, which request, which key. */
export const buildKeyId = (grant: Grant, key: PublicKey, ctx: IssueContext): string => {
  const caller = ctx.caller.replace(/["\\\s]/g, '_').slice(0, 200);
  return `lkp ${grant.certType} host=${grant.hostId} caller=${caller} req=${ctx.requestId} key=${fingerprint(key)}`;
};

/** Signs one certificate for `key` as the grant allows. */
export const issueCertificate = async (grant: Grant, key: PublicKey, ca: CaSigner, ctx: IssueContext): Promise<IssuedCertificate> => {
  const random = ctx.random ?? randomBytes;
  const serial = random(8).readBigUInt64BE(0);
  const validAfter = BigInt(ctx.now - BACKDATE_SECONDS);
  const validBefore = BigInt(ctx.now + grant.validitySeconds);
  const keyId = parseKeyId(buildKeyId(grant, key, ctx));
  const blob = await buildCertificate(
    {
      certType: grant.certType,
      key,
      serial,
      keyId,
      principals: grant.principals,
      validAfter,
      validBefore,
      criticalOptions: grant.criticalOptions,
      extensions: grant.extensions,
      nonce: random(32),
    },
    ca,
  );
  return {
    certificate: formatCertificate(blob, key),
    keyFingerprint: fingerprint(key),
    serial: serial.toString(),
    keyId,
    principals: [...grant.principals],
    validAfter: new Date(Number(validAfter) * 1000).toISOString(),
    validBefore: new Date(Number(validBefore) * 1000).toISOString(),
  };
};
