// Names that end up inside certificates, sshd files and logs. Each is parsed once at the
// boundary into a branded type, so a raw string can never reach a certificate or an
// AuthorizedPrincipalsFile by accident. The rules make injection impossible: no
// whitespace, comma (principal list separator), control characters, NUL, quotes or
// wildcards (sshd pattern syntax).
import { LkpError } from '../errors.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A certificate principal that is safe in a certificate, a principals file and a log. */
export type Principal = Brand<string, 'Principal'>;
/** A POSIX login name. */
export type Login = Brand<string, 'Login'>;
/** A certificate key ID: printable, bounded, no quoting tricks. */
export type KeyId = Brand<string, 'KeyId'>;

export const MAX_PRINCIPAL_LENGTH = 255;
export const MAX_PRINCIPALS = 256;
export const MAX_KEY_ID_LENGTH = 512;

// Letters, digits and . _ - @ : + only; must start with a letter or digit (no leading
// '-' that a tool could read as a flag).
const PRINCIPAL_RE = /^[A-Za-z0-9][A-Za-z0-9._@:+-]*$/;
// No trailing '$' (Samba machine accounts): a login must also be valid inside a principal.
const LOGIN_RE = /^[a-z_][a-z0-9_.-]*$/i;

const describe = (value: string): string => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/** Validates one principal. */
export const parsePrincipal = (value: unknown): Principal => {
  if (typeof value !== 'string') throw new LkpError('BadRequest', 'a principal must be a string');
  if (value.length === 0) throw new LkpError('BadRequest', 'a principal must not be empty');
  if (value.length > MAX_PRINCIPAL_LENGTH) throw new LkpError('BadRequest', `principal ${describe(value)} is longer than ${MAX_PRINCIPAL_LENGTH} characters`);
  if (!PRINCIPAL_RE.test(value)) {
    throw new LkpError(
      'BadRequest',
      `principal ${describe(value)} may contain only letters, digits and . _ - @ : + and must start with a letter or digit (no spaces, commas, control characters or wildcards)`,
    );
  }
  return value as Principal;
};

/** Validates a list of principals: non-empty, bounded, no duplicates. */
export const parsePrincipals = (values: readonly unknown[]): Principal[] => {
  if (values.length === 0) throw new LkpError('BadRequest', 'at least one principal is required');
  if (values.length > MAX_PRINCIPALS) throw new LkpError('BadRequest', `at most ${MAX_PRINCIPALS} principals are allowed`);
  const out = values.map(parsePrincipal);
  // Short lists (every join token, every request) are checked without a Set.
  if (out.length <= 8) {
    for (let i = 1; i < out.length; i += 1) {
      const p = out[i] as Principal;
      if (out.lastIndexOf(p, i - 1) !== -1) throw new LkpError('BadRequest', `principal ${describe(p)} is listed twice`);
    }
    return out;
  }
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p)) throw new LkpError('BadRequest', `principal ${describe(p)} is listed twice`);
    seen.add(p);
  }
  return out;
};

/** Validates a POSIX login name (what sshd expands %u to). */
export const parseLogin = (value: unknown): Login => {
  if (typeof value !== 'string' || value.length === 0) throw new LkpError('BadRequest', 'login must be a non-empty string');
  if (value.length > 32 || !LOGIN_RE.test(value)) {
    throw new LkpError('BadRequest', `login ${describe(value)} is not a valid user name (letters, digits, _ . -, at most 32 characters)`);
  }
  return value as Login;
};

// Anything but printable ASCII, the double quote and the backslash (one scan per key ID).
const KEY_ID_FORBIDDEN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/** Validates a key ID: printable ASCII except quotes and backslash, bounded. */
export const parseKeyId = (value: unknown): KeyId => {
  if (typeof value !== 'string' || value.length === 0) throw new LkpError('BadRequest', 'key ID must be a non-empty string');
  if (value.length > MAX_KEY_ID_LENGTH) throw new LkpError('BadRequest', `key ID is longer than ${MAX_KEY_ID_LENGTH} characters`);
  if (KEY_ID_FORBIDDEN.test(value)) {
    throw new LkpError('BadRequest', 'key ID may contain only printable ASCII, without quotes or backslashes');
  }
  return value as KeyId;
};
