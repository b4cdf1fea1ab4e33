// OpenSSH public keys: parse untrusted lines and blobs into typed values, re-encode them
// canonically, fingerprint them, and turn them into node:crypto key objects. Anything
// unknown, weak or malformed is refused here, at the boundary, with a reason.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { LkpError } from '../errors.js';
import { sha256 } from './sha256.js';
import { SshReader, SshWriter } from './wire.js';

export type EcdsaCurve = 'nistp256' | 'nistp384' | 'nistp521';

/** Facts about each ECDSA curve OpenSSH supports. */
export const CURVES: Record<EcdsaCurve, { jwk: 'P-256' | 'P-384' | 'P-521'; hash: 'sha256' | 'sha384' | 'sha512'; size: number }> = {
  nistp256: { jwk: 'P-256', hash: 'sha256', size: 32 },
  nistp384: { jwk: 'P-384', hash: 'sha384', size: 48 },
  nistp521: { jwk: 'P-521', hash: 'sha512', size: 66 },
};

export type PublicKey =
  | { readonly kind: 'ed25519'; readonly type: 'ssh-ed25519'; readonly key: Buffer }
  | { readonly kind: 'ecdsa'; readonly type: `ecdsa-sha2-${EcdsaCurve}`; readonly curve: EcdsaCurve; readonly point: Buffer }
  | { readonly kind: 'rsa'; readonly type: 'ssh-rsa'; readonly e: Buffer; readonly n: Buffer; readonly bits: number }
  | { readonly kind: 'sk-ed25519'; readonly type: 'sk-ssh-ed25519@openssh.com'; readonly key: Buffer; readonly application: string }
  | {
      readonly kind: 'sk-ecdsa';
      readonly type: 'sk-ecdsa-sha2-nistp256@openssh.com';
      readonly curve: 'nistp256';
      readonly point: Buffer;
      readonly application: string;
    };

export type KeyKind = PublicKey['kind'];

const MAX_LINE = 16 * 1024;
const MAX_RSA_BITS = 16384;

const invalid = (message: string): never => {
  throw new LkpError('KeyInvalid', message);
};

const bitLength = (unsigned: Buffer): number => {
  if (unsigned.length === 0) return 0;
  return (unsigned.length - 1) * 8 + (unsigned[0] as number).toString(2).length;
};

/** Checks an uncompressed EC point really lies on the curve (node:crypto refuses otherwise). */
const checkPoint = (curve: EcdsaCurve, point: Buffer): void => {
  const size = CURVES[curve].size;
  if (point.length !== 1 + 2 * size || point[0] !== 4) invalid(`ECDSA ${curve} point is not an uncompressed point of the right size`);
  try {
    createPublicKey({
      key: { kty: 'EC', crv: CURVES[curve].jwk, x: point.subarray(1, 1 + size).toString('base64url'), y: point.subarray(1 + size).toString('base64url') },
      format: 'jwk',
    });
  } catch {
    invalid(`ECDSA ${curve} point is not on the curve`);
  }
};

const readCurve = (reader: SshReader, expected: EcdsaCurve): EcdsaCurve => {
  const name = reader.text('curve name');
  if (name !== expected) invalid(`key type says ${expected} but the blob says ${name}`);
  return expected;
};

/** Reads the key-specific fields of `type` from a reader (shared with certificates). */
export const readKeyFields = (type: string, reader: SshReader): PublicKey => {
  switch (type) {
    case 'ssh-ed25519': {
      const key = reader.bytes('ed25519 key');
      if (key.length !== 32) invalid('ed25519 key must be 32 bytes');
      return { kind: 'ed25519', type, key };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = readCurve(reader, type.slice('ecdsa-sha2-'.length) as EcdsaCurve);
      const point = reader.bytes('ECDSA point');
      checkPoint(curve, point);
      return { kind: 'ecdsa', type, curve, point };
    }
    case 'ssh-rsa': {
      const e = reader.mpint('RSA exponent');
      const n = reader.mpint('RSA modulus');
      const bits = bitLength(n);
      if (bits > MAX_RSA_BITS) invalid(`RSA key of ${bits} bits is larger than ${MAX_RSA_BITS}`);
      if (e.length === 0 || e.length > 8) invalid('RSA exponent is out of range');
      const exponent = BigInt(`0x${e.toString('hex')}`);
      if (exponent < 65537n || exponent % 2n === 0n) invalid(`RSA public exponent ${exponent} is weak (must be odd and >= 65537)`);
      if (n.length === 0 || ((n[n.length - 1] as number) & 1) === 0) invalid('RSA modulus is not odd');
      return { kind: 'rsa', type, e, n, bits };
    }
    case 'sk-ssh-ed25519@openssh.com': {
      const key = reader.bytes('ed25519 key');
      if (key.length !== 32) invalid('ed25519 key must be 32 bytes');
      const application = reader.text('FIDO application');
      if (!application.startsWith('ssh:')) invalid('FIDO application must start with "ssh:"');
      return { kind: 'sk-ed25519', type, key, application };
    }
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const curve = readCurve(reader, 'nistp256') as 'nistp256';
      const point = reader.bytes('ECDSA point');
      checkPoint(curve, point);
      const application = reader.text('FIDO application');
      if (!application.startsWith('ssh:')) invalid('FIDO application must start with "ssh:"');
      return { kind: 'sk-ecdsa', type, curve, point, application };
    }
    case 'ssh-dss':
      return invalid('DSA keys are refused: OpenSSH disabled them and they are limited to 1024 bits');
    default:
      if (type.includes('-cert-v01@openssh.com')) return invalid('a certificate was given where a public key is expected');
      return invalid(`unsupported key type ${JSON.stringify(type.slice(0, 64))}`);
  }
};

/** Writes the key-specific fields (the part after the type name). */
export const writeKeyFields = (key: PublicKey, writer: SshWriter): SshWriter => {
  switch (key.kind) {
    case 'ed25519':
      return writer.string(key.key);
    case 'ecdsa':
      return writer.string(key.curve).string(key.point);
    case 'rsa':
      return writer.mpint(key.e).mpint(key.n);
    case 'sk-ed25519':
      return writer.string(key.key).string(key.application);
    case 'sk-ecdsa':
      return writer.string(key.curve).string(key.point).string(key.application);
  }
};

/** Parses a public key blob (the base64-decoded middle of a .pub line). */
export const parsePublicKeyBlob = (blob: Buffer): PublicKey => {
  const reader = new SshReader(blob, 'public key');
  const type = reader.text('key type');
  const key = readKeyFields(type, reader);
  reader.end();
  return key;
};

// The blob a key was parsed from, when this module decoded it itself: the strict reader
// accepts only the canonical encoding, so it is the key's encoding and need not be rebuilt
// (the signer fingerprints every key it parses). Never handed out for mutation.
const parsedBlobs = new WeakMap<PublicKey, Buffer>();

/** The canonical wire encoding of a public key. */
export const encodePublicKeyBlob = (key: PublicKey): Buffer => parsedBlobs.get(key) ?? writeKeyFields(key, new SshWriter().string(key.type)).toBuffer();

/** Parses one OpenSSH public key line: `TYPE BASE64 [comment]`. */
export const parsePublicKey = (line: string): PublicKey => {
  if (typeof line !== 'string') return invalid('public key must be a string');
  if (line.length > MAX_LINE) return invalid('public key line is too long');
  // One line: a single trailing newline is allowed (the slower check runs only when some
  // NUL, CR or LF is there at all).
  // eslint-disable-next-line no-control-regex
  if (/[\0\r\n]/.test(line) && /[\0\r\n]/.test(line.replace(/\r?\n$/, ''))) return invalid('public key must be a single line');
  const fields = line.trim().split(/[ \t]+/);
  const [type, b64] = fields;
  if (type === undefined || b64 === undefined) return invalid('public key line must be "TYPE BASE64 [comment]"');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return invalid('public key base64 is malformed');
  const blob = Buffer.from(b64, 'base64');
  const key = parsePublicKeyBlob(blob);
  parsedBlobs.set(key, blob);
  if (key.type !== type) return invalid(`key type ${JSON.stringify(type.slice(0, 64))} disagrees with the blob's ${key.type}`);
  return key;
};

/** `TYPE BASE64` with an optional comment, as ssh-keygen writes it. */
export const formatPublicKey = (key: PublicKey, comment?: string): string =>
  `${key.type} ${encodePublicKeyBlob(key).toString('base64')}${comment ? ` ${comment}` : ''}`;

/** `SHA256:...` as ssh-keygen -l prints it. */
export const fingerprint = (key: PublicKey): string =>
  // A SHA-256 digest is 44 base64 characters, the last one padding.
  `SHA256:${sha256(encodePublicKeyBlob(key), 'base64').slice(0, 43)}`;

/** A node:crypto public key for signature verification (not for FIDO keys). */
export const toKeyObject = (key: PublicKey): KeyObject => {
  switch (key.kind) {
    case 'ed25519':
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.key.toString('base64url') }, format: 'jwk' });
    case 'ecdsa': {
      const size = CURVES[key.curve].size;
      return createPublicKey({
        key: { kty: 'EC', crv: CURVES[key.curve].jwk, x: key.point.subarray(1, 1 + size).toString('base64url'), y: key.point.subarray(1 + size).toString('base64url') },
        format: 'jwk',
      });
    }
    case 'rsa':
      return createPublicKey({ key: { kty: 'RSA', n: key.n.toString('base64url'), e: key.e.toString('base64url') }, format: 'jwk' });
    default:
      throw new LkpError('KeyInvalid', `${key.type} keys cannot sign certificates`);
  }
};

/** Two keys are the same key. */
export const sameKey = (a: PublicKey, b: PublicKey): boolean => encodePublicKeyBlob(a).equals(encodePublicKeyBlob(b));
