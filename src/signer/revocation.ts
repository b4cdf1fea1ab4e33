// Revocations as data: what is revoked (a certificate serial or key ID under one CA role,
// or a public key by its SHA256 fingerprint), why, when and by whom. Parsed strictly at
// every boundary (the CLI, the file store, DynamoDB items), merged idempotently (the first
// record of a thing wins), and turned into the input of the KRL writer. Pure: no I/O.
import { LkpError, type ErrorCode } from '../errors.js';
import { readObject } from '../schema.js';
import { parseKeyId } from '../ssh/names.js';
import type { PublicKey } from '../ssh/public-key.js';

export type CaRole = 'user' | 'host';
export const CA_ROLES: readonly CaRole[] = ['user', 'host'];

export type RevocationTarget =
  | { readonly kind: 'serial'; readonly ca: CaRole; readonly serial: bigint }
  | { readonly kind: 'key-id'; readonly ca: CaRole; readonly keyId: string }
  /** `SHA256:` + unpadded base64 of the key blob's digest, as ssh-keygen -l prints it. */
  | { readonly kind: 'key'; readonly fingerprint: string };

export type Revocation = RevocationTarget & {
  readonly reason: string;
  /** ISO 8601 UTC. */
  readonly revokedAt: string;
  /** The administrator: a local user (file store) or the caller's ARN (DynamoDB). */
  readonly revokedBy: string;
};

/** How a revocation looks as JSON (files, DynamoDB items, `lkp signer revocations --json`). */
export type RevocationJson =
  | { kind: 'serial'; ca: CaRole; serial: string; reason: string; revokedAt: string; revokedBy: string }
  | { kind: 'key-id'; ca: CaRole; keyId: string; reason: string; revokedAt: string; revokedBy: string }
  | { kind: 'key'; fingerprint: string; reason: string; revokedAt: string; revokedBy: string };

const MAX_SERIAL = (1n << 64n) - 1n;
export const MAX_REASON = 500;
const MAX_BY = 512;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** A certificate serial: decimal, 1 to 2^64-1 (a KRL cannot revoke serial 0). */
export const parseSerial = (value: string, code: ErrorCode = 'UsageError', what = 'serial'): bigint => {
  if (!/^[0-9]{1,20}$/.test(value)) throw new LkpError(code, `${what} must be a decimal number from 1 to 18446744073709551615`);
  const serial = BigInt(value);
  if (serial < 1n || serial > MAX_SERIAL) throw new LkpError(code, `${what} must be from 1 to 18446744073709551615 (a KRL cannot revoke serial 0)`);
  return serial;
};

/** A SHA256 fingerprint `SHA256:` + 43 base64 characters (32 bytes), canonical. */
export const parseFingerprint = (value: string, code: ErrorCode = 'UsageError', what = 'fingerprint'): string => {
  const m = /^SHA256:([A-Za-z0-9+/]{43})$/.exec(value);
  const raw = m ? Buffer.from(`${m[1]}=`, 'base64') : undefined;
  if (!m || raw?.length !== 32 || raw.toString('base64').replace(/=+$/, '') !== m[1]) {
    throw new LkpError(code, `${what} must be a SHA256 fingerprint as ssh-keygen -l prints it (SHA256: and 43 base64 characters)`);
  }
  return value;
};

/** The raw 32-byte digest of a fingerprint parsed by parseFingerprint. */
export const fingerprintDigest = (fingerprint: string): Buffer => Buffer.from(`${fingerprint.slice('SHA256:'.length)}=`, 'base64');

/** A reason: printable, one line, 1 to 500 characters. */
export const parseReason = (value: string, code: ErrorCode = 'UsageError', what = 'reason'): string => {
  // eslint-disable-next-line no-control-regex
  if (value.trim().length === 0 || value.length > MAX_REASON || /[\x00-\x1f\x7f]/.test(value)) throw new LkpError(code, `${what} must be one line of 1 to ${MAX_REASON} printable characters`);
  return value;
};

const parseKeyIdAs = (value: string, code: ErrorCode, what: string): string => {
  try {
    return parseKeyId(value);
  } catch (error) {
    throw new LkpError(code, `${what}: ${(error as Error).message}`);
  }
};

/** The identity of what a revocation revokes: two records with one identity are one revocation. */
export const revocationKey = (t: RevocationTarget): string => {
  switch (t.kind) {
    case 'serial':
      return `serial/${t.ca}/${t.serial}`;
    case 'key-id':
      return `key-id/${t.ca}/${t.keyId}`;
    case 'key':
      return `key/${t.fingerprint}`;
  }
};

export const revocationToJson = (r: Revocation): RevocationJson => {
  const meta = { reason: r.reason, revokedAt: r.revokedAt, revokedBy: r.revokedBy };
  switch (r.kind) {
    case 'serial':
      return { kind: r.kind, ca: r.ca, serial: r.serial.toString(), ...meta };
    case 'key-id':
      return { kind: r.kind, ca: r.ca, keyId: r.keyId, ...meta };
    case 'key':
      return { kind: r.kind, fingerprint: r.fingerprint, ...meta };
  }
};

/** Parses one stored revocation (`path` names it in errors; `code` is what a violation throws). */
export const parseRevocation = (doc: unknown, path: string, code: ErrorCode = 'ConfigInvalid'): Revocation => {
  const head = readObject(doc, path, ['kind', 'ca', 'serial', 'keyId', 'fingerprint', 'reason', 'revokedAt', 'revokedBy'], code);
  const kind = head.oneOf('kind', ['serial', 'key-id', 'key'] as const);
  const fields = kind === 'serial' ? ['serial', 'ca'] : kind === 'key-id' ? ['keyId', 'ca'] : ['fingerprint'];
  const r = readObject(doc, path, ['kind', ...fields, 'reason', 'revokedAt', 'revokedBy'], code);
  const reason = parseReason(r.string('reason', { max: MAX_REASON }), code, `${path}.reason`);
  const revokedAt = r.string('revokedAt', { max: 40 });
  if (!ISO.test(revokedAt) || Number.isNaN(Date.parse(revokedAt))) r.fail('revokedAt', 'must be an ISO 8601 UTC time');
  const revokedBy = r.string('revokedBy', { max: MAX_BY });
  if (!/^[\x20-\x7e]+$/.test(revokedBy)) r.fail('revokedBy', 'must be printable ASCII');
  const meta = { reason, revokedAt, revokedBy };
  switch (kind) {
    case 'serial':
      return Object.freeze({ kind, ca: r.oneOf('ca', CA_ROLES), serial: parseSerial(r.string('serial', { max: 20 }), code, `${path}.serial`), ...meta });
    case 'key-id':
      return Object.freeze({ kind, ca: r.oneOf('ca', CA_ROLES), keyId: parseKeyIdAs(r.string('keyId'), code, `${path}.keyId`), ...meta });
    case 'key':
      return Object.freeze({ kind, fingerprint: parseFingerprint(r.string('fingerprint', { max: 64 }), code, `${path}.fingerprint`), ...meta });
  }
};

/** Parses a revocation file's document (`{ "version": 1, "revocations": [...] }`); a duplicate is kept once (the first). */
export const parseRevocationFile = (doc: unknown, path: string): readonly Revocation[] => {
  const r = readObject(doc, path, ['version', 'revocations', '$comment'], 'ConfigInvalid');
  if (r.value.version !== 1) r.fail('version', 'must be 1');
  let list: readonly Revocation[] = [];
  r.array('revocations').forEach((item, i) => {
    list = addRevocation(list, parseRevocation(item, `${path}.revocations[${i}]`)).list;
  });
  return list;
};

export const formatRevocationFile = (list: readonly Revocation[]): string => `${JSON.stringify({ version: 1, revocations: list.map(revocationToJson) }, null, 2)}\n`;

/** Adds `r` unless the same thing is already revoked (then the earlier record stands). */
export const addRevocation = (list: readonly Revocation[], r: Revocation): { list: readonly Revocation[]; added: boolean; revocation: Revocation } => {
  const key = revocationKey(r);
  const existing = list.find((x) => revocationKey(x) === key);
  return existing ? { list, added: false, revocation: existing } : { list: [...list, r], added: true, revocation: r };
};

/** The CA keys a KRL's certificate sections are written for (every published key of each role). */
export interface KrlCaKeys {
  readonly user: readonly PublicKey[];
  readonly host: readonly PublicKey[];
}

/** The parts of a KRL (src/ssh/krl.ts KrlInput) a revocation list gives, per CA key. */
export interface KrlParts {
  readonly certificates: ReadonlyArray<{ readonly caKey: PublicKey; readonly serials: readonly bigint[]; readonly keyIds: readonly string[] }>;
  readonly sha256Fingerprints: readonly Buffer[];
}

/**
 * Serials and key IDs go under every published key of their CA role: a certificate is
 * revoked whichever of the role's keys (current or next, during a rotation) signed it.
 */
export const krlParts = (list: readonly Revocation[], caKeys: KrlCaKeys): KrlParts => {
  const certificates: Array<{ caKey: PublicKey; serials: bigint[]; keyIds: string[] }> = [];
  for (const ca of CA_ROLES) {
    const serials = [...new Set(list.flatMap((r) => (r.kind === 'serial' && r.ca === ca ? [r.serial] : [])))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const keyIds = [...new Set(list.flatMap((r) => (r.kind === 'key-id' && r.ca === ca ? [r.keyId] : [])))].sort();
    if (serials.length === 0 && keyIds.length === 0) continue;
    for (const caKey of caKeys[ca]) certificates.push({ caKey, serials, keyIds });
  }
  const fingerprints = [...new Set(list.flatMap((r) => (r.kind === 'key' ? [r.fingerprint] : [])))].sort();
  return { certificates, sha256Fingerprints: fingerprints.map(fingerprintDigest) };
};

/** One line for people: what, why, when, who. */
export const describeRevocation = (r: Revocation): string => {
  const what = r.kind === 'serial' ? `serial ${r.serial} (${r.ca} CA)` : r.kind === 'key-id' ? `key ID "${r.keyId}" (${r.ca} CA)` : `key ${r.fingerprint}`;
  return `${what}  revoked ${r.revokedAt} by ${r.revokedBy}: ${r.reason}`;
};
