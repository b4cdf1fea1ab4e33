// The signer's answers, version 1. A refusal is an ordinary answer with a stable code,
// never a crash: only a bug surfaces as a Lambda function error.
import type { ErrorCode } from '../errors.js';

/** Codes a signer may answer with (a subset of lkp's ErrorCode). */
export const SIGNER_ERROR_CODES = ['BadRequest', 'Unauthenticated', 'Forbidden', 'PayloadTooLarge', 'NotFound', 'Throttled', 'Internal'] as const;
export type SignerErrorCode = (typeof SIGNER_ERROR_CODES)[number] & ErrorCode;

export interface IssuedCertificate {
  /** The OpenSSH certificate line, ready for a `-cert.pub` file. */
  readonly certificate: string;
  /** SHA256 fingerprint of the certified public key. */
  readonly keyFingerprint: string;
  /** Decimal string: 64-bit serials do not fit a JSON number. */
  readonly serial: string;
  readonly keyId: string;
  readonly principals: readonly string[];
  /** ISO 8601 UTC. */
  readonly validAfter: string;
  readonly validBefore: string;
}

export interface CaKeysResponse {
  readonly version: 1;
  readonly requestId: string;
  /** The audience `aws` identity proofs must name. */
  readonly serverId: string;
  readonly hostCaKeys: readonly string[];
  readonly userCaKeys: readonly string[];
  /** The signer's clock (ISO 8601 UTC): hosts date their identity proof by it. Additive in v1. */
  readonly serverTime: string;
}

export interface KrlResponse {
  readonly version: 1;
  readonly requestId: string;
  readonly serverId: string;
  /** Base64 of an OpenSSH KRL (PROTOCOL.krl, no signature section) for RevokedKeys / RevokedHostKeys. */
  readonly krl: string;
  /** When the signer built it (ISO 8601 UTC). */
  readonly generatedAt: string;
  /** How many revocations it carries. */
  readonly count: number;
}

export interface HostCertResponse {
  readonly version: 1;
  readonly requestId: string;
  /** The host id principals are scoped to (instance id or joined name). */
  readonly hostId: string;
  readonly certificates: readonly IssuedCertificate[];
  /** For TrustedUserCAKeys: every user CA key, so a rotation never locks anyone out. */
  readonly userCaKeys: readonly string[];
  readonly hostCaKeys: readonly string[];
}

export interface UserCertResponse {
  readonly version: 1;
  readonly requestId: string;
  readonly certificate: IssuedCertificate;
  readonly hostCaKeys: readonly string[];
}

export interface ErrorResponse {
  readonly version: 1;
  readonly requestId: string;
  readonly error: { readonly code: SignerErrorCode; readonly message: string };
}

export type SignerResponse = CaKeysResponse | KrlResponse | HostCertResponse | UserCertResponse | ErrorResponse;

export const isErrorResponse = (r: unknown): r is ErrorResponse =>
  typeof r === 'object' && r !== null && typeof (r as { error?: unknown }).error === 'object' && (r as { error?: unknown }).error !== null;
