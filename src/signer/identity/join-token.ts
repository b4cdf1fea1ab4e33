// Join tokens: the identity method for hosts outside AWS and for the embedded demo. An
// operator with the signer's token key mints a short-lived token bound to this signer,
// one certificate type and the names it may claim; the signer accepts it once.
// Format: `lkpjt1.<base64url(JSON claims)>.<base64url(HMAC-SHA256 of "lkpjt1.<payload>")>`,
// the same whether the key is a local file or a KMS HMAC_256 key.
import { createHmac } from 'node:crypto';
import { LkpError } from '../../errors.js';
import type { CertType } from '../../ssh/key-policy.js';
import { parsePrincipals, type Principal } from '../../ssh/names.js';
import type { JoinTokenMac } from './join-token-key.js';

const PREFIX = 'lkpjt1';

export interface JoinTokenClaims {
  readonly v: 1;
  /** Unique id, recorded when used (single use) and in audit lines. */
  readonly jti: string;
  /** Audience: the signer's serverId. */
  readonly aud: string;
  readonly for: CertType;
  readonly principals: readonly Principal[];
  /** Unix seconds. */
  readonly iat: number;
  readonly exp: number;
}

/** The bytes the MAC covers: prefix and payload, so a MAC is never valid for another format. */
const signedPart = (payload: string): Buffer => Buffer.from(`${PREFIX}.${payload}`);

const encodeClaims = (claims: JoinTokenClaims): string => Buffer.from(JSON.stringify(claims)).toString('base64url');

/** Mints a token with a key held here (pure: the caller supplies key, id and time). */
export const createJoinToken = (key: Buffer, claims: JoinTokenClaims): string => {
  const payload = encodeClaims(claims);
  return `${PREFIX}.${payload}.${createHmac('sha256', key).update(signedPart(payload)).digest().toString('base64url')}`;
};

/** Mints a token with the configured key (a file, or KMS through kms:GenerateMac). */
export const mintJoinToken = async (key: JoinTokenMac, claims: JoinTokenClaims): Promise<string> => {
  const payload = encodeClaims(claims);
  return `${PREFIX}.${payload}.${(await key.mac(signedPart(payload))).toString('base64url')}`;
};

const unauthenticated = (why: string): never => {
  throw new LkpError('Unauthenticated', `join token rejected: ${why}`);
};

/**
 * Verifies format, audience, time and MAC; returns the claims. Single use is the ledger's
 * job. A key held in this process answers at once; a KMS key answers with a promise.
 */
export const verifyJoinToken = (token: string, key: JoinTokenMac, serverId: string, nowSeconds: number): JoinTokenClaims | Promise<JoinTokenClaims> => {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return unauthenticated('not an lkp join token');
  const [, payload, signature] = parts as [string, string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return unauthenticated('malformed');
  // The claims are read before the MAC is checked (and trusted only after): a token that is
  // malformed, foreign or expired costs no kms:VerifyMac call when the key lives in KMS.
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return unauthenticated('malformed claims');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return unauthenticated('malformed claims');
  if (claims.v !== 1 || typeof claims.jti !== 'string' || typeof claims.aud !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
    return unauthenticated('malformed claims');
  }
  if (claims.for !== 'host' && claims.for !== 'user') return unauthenticated('malformed claims');
  if (!Array.isArray(claims.principals)) return unauthenticated('malformed claims');
  if (claims.aud !== serverId) return unauthenticated('issued for another signer');
  if (nowSeconds >= claims.exp) return unauthenticated('expired; create a new one with `lkp signer token create`');
  if (claims.iat > nowSeconds + 300) return unauthenticated('issued in the future (check the clocks)');
  // The signed part is the token up to its last dot, "lkpjt1.<payload>": ASCII (checked above).
  const signed = Buffer.from(token.slice(0, PREFIX.length + 1 + payload.length), 'latin1');
  const mac = Buffer.from(signature, 'base64url');
  const read = claims as { jti: string; aud: string; for: CertType; principals: unknown[]; iat: number; exp: number };
  const trusted = (verified: boolean): JoinTokenClaims => {
    if (!verified) return unauthenticated('signature does not verify (wrong signer or altered token)');
    return { v: 1, jti: read.jti, aud: read.aud, for: read.for, principals: parsePrincipals(read.principals), iat: read.iat, exp: read.exp };
  };
  return key.verifyNow !== undefined ? trusted(key.verifyNow(signed, mac)) : key.verify(signed, mac).then(trusted);
};
