// Issuance: turn a grant and a subject key into a signed certificate. The only place a
// CA key is used; it sees a validated template and nothing else.
import { randomFillSync } from 'node:crypto';
import type { IssuedCertificate } from '../api/response.js';
import { appendSignature, encodeCertificateBody, formatCertificate, signCertificateBody } from '../ssh/certificate.js';
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
export const buildKeyId = (grant: Grant, keyFingerprint: string, ctx: IssueContext): string => {
  const caller = ctx.caller.replace(/["\\\s]/g, '_').slice(0, 200);
  return `lkp ${grant.certType} host=${grant.hostId} caller=${caller} req=${ctx.requestId} key=${keyFingerprint}`;
};

// Serials and nonces come from a pool refilled in one call: a randomBytes call per field
// costs more than the ed25519 signature itself at issuance rates.
const POOL_SIZE = 40 * 256;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;
// A view into the pool, not a copy: prepareCertificate reads it (serial, nonce into the
// body) before anything draws again, and no drawn byte is ever handed out twice.
const pooledRandom = (size: number): Buffer => {
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + size);
  poolOffset += size;
  return out;
};

// Validity bounds as ISO strings, remembered for the last few seconds: at issuance rates
// many certificates share the same second, and formatting a date costs more than a lookup.
const isoCache = new Map<number, string>();
export const isoSeconds = (seconds: number): string => {
  let iso = isoCache.get(seconds);
  if (iso === undefined) {
    if (isoCache.size >= 64) isoCache.clear();
    iso = new Date(seconds * 1000).toISOString();
    isoCache.set(seconds, iso);
  }
  return iso;
};

/** A certificate built and checked but not yet signed: its to-be-signed bytes are known. */
export interface PreparedCertificate {
  /** The bytes the CA signs. */
  readonly body: Buffer;
  readonly key: PublicKey;
  readonly meta: Omit<IssuedCertificate, 'certificate'>;
}

/** Builds the certificate for `key` as the grant allows, unsigned (pure but for randomness). */
export const prepareCertificate = (grant: Grant, key: PublicKey, caKey: PublicKey, ctx: IssueContext): PreparedCertificate => {
  const random = ctx.random ?? pooledRandom;
  const keyFingerprint = fingerprint(key);
  // One draw for the serial (8 bytes) and the nonce (32).
  const drawn = random(40);
  const serial = drawn.readBigUInt64BE(0);
  const validAfter = BigInt(ctx.now - BACKDATE_SECONDS);
  const validBefore = BigInt(ctx.now + grant.validitySeconds);
  const keyId = parseKeyId(buildKeyId(grant, keyFingerprint, ctx));
  const body = encodeCertificateBody(
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
      nonce: drawn.subarray(8, 40),
    },
    caKey,
  );
  return {
    body,
    key,
    meta: {
      keyFingerprint,
      serial: serial.toString(),
      keyId,
      principals: [...grant.principals],
      validAfter: isoSeconds(ctx.now - BACKDATE_SECONDS),
      validBefore: isoSeconds(ctx.now + grant.validitySeconds),
    },
  };
};

const issued = (prepared: PreparedCertificate, blob: Buffer): IssuedCertificate => {
  const m = prepared.meta;
  return { certificate: formatCertificate(blob, prepared.key), keyFingerprint: m.keyFingerprint, serial: m.serial, keyId: m.keyId, principals: m.principals, validAfter: m.validAfter, validBefore: m.validBefore };
};

/**
 * Signs a prepared certificate with the CA it was prepared for: at once when the CA key is
 * in this process (no promise per certificate), else through the CA's asynchronous signer.
 */
export const signPrepared = (prepared: PreparedCertificate, ca: CaSigner): IssuedCertificate | Promise<IssuedCertificate> =>
  ca.signNow !== undefined ? issued(prepared, appendSignature(prepared.body, ca.signNow(prepared.body))) : signCertificateBody(prepared.body, ca).then((blob) => issued(prepared, blob));

/** Signs one certificate for `key` as the grant allows. */
export const issueCertificate = async (grant: Grant, key: PublicKey, ca: CaSigner, ctx: IssueContext): Promise<IssuedCertificate> =>
  signPrepared(prepareCertificate(grant, key, ca.publicKey, ctx), ca);
