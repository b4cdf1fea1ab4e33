// Join tokens: the identity method for hosts outside AWS and for the embedded demo. An
// operator with the signer's token key mints a short-lived token bound to this signer,
// one certificate type and the names it may claim; the signer accepts it once.
// Format: `lkpjt1.<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LkpError } from '../../errors.js';
import type { CertType } from '../../ssh/key-policy.js';
import { parsePrincipals, type Principal } from '../../ssh/names.js';

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

const mac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(`${PREFIX}.${data}`).digest();

/** Mints a token (pure: the caller supplies key, id and time). */
export const createJoinToken = (key: Buffer, claims: JoinTokenClaims): string => {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${PREFIX}.${payload}.${mac(key, payload).toString('base64url')}`;
};

const unauthenticated = (why: string): never => {
  throw new LkpError('Unauthenticated', `join token rejected: ${why}`);
};

/** Verifies MAC, audience and time; returns the claims. Single use is the ledger's job. */
export const verifyJoinToken = (token: string, key: Buffer, serverId: string, nowSeconds: number): JoinTokenClaims => {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return unauthenticated('not an lkp join token');
  const [, payload, signature] = parts as [string, string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(signature)) return unauthenticated('malformed');
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return unauthenticated('signature does not verify (wrong signer or altered token)');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return unauthenticated('malformed claims');
  }
  if (claims.v !== 1 || typeof claims.jti !== 'string' || typeof claims.aud !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
    return unauthenticated('malformed claims');
  }
  if (claims.for !== 'host' && claims.for !== 'user') return unauthenticated('malformed claims');
  if (!Array.isArray(claims.principals)) return unauthenticated('malformed claims');
  if (claims.aud !== serverId) return unauthenticated('issued for another signer');
  if (nowSeconds >= claims.exp) return unauthenticated('expired; create a new one with `lkp signer token create`');
  if (claims.iat > nowSeconds + 300) return unauthenticated('issued in the future (check the clocks)');
  return { v: 1, jti: claims.jti, aud: claims.aud, for: claims.for, principals: parsePrincipals(claims.principals), iat: claims.iat, exp: claims.exp };
};
