// Reading OpenSSH certificates back and verifying their CA signature for real (sshpk's
// isSignedBy only compares fingerprints). Used by the host agent and the client to check
// what the signer returned before trusting or installing it.
import { LkpError } from '../errors.js';
import type { CertType } from './key-policy.js';
import { encodePublicKeyBlob, parsePublicKeyBlob, readKeyFields, sameKey, type PublicKey } from './public-key.js';
import { verifySignature } from './signature.js';
import { readStringList, SshReader } from './wire.js';

export interface ParsedCertificate {
  readonly typeName: string;
  readonly certType: CertType;
  readonly key: PublicKey;
  readonly serial: bigint;
  readonly keyId: string;
  readonly principals: readonly string[];
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: ReadonlyMap<string, string>;
  readonly extensions: readonly string[];
  readonly signatureKey: PublicKey;
  /** The bytes the CA signed. */
  readonly signedData: Buffer;
  readonly signature: Buffer;
  readonly blob: Buffer;
}

const CERT_SUFFIX = '-cert-v01@openssh.com';
const baseType = (typeName: string): string =>
  typeName.startsWith('sk-ssh-ed25519')
    ? 'sk-ssh-ed25519@openssh.com'
    : typeName.startsWith('sk-ecdsa-sha2-nistp256')
      ? 'sk-ecdsa-sha2-nistp256@openssh.com'
      : typeName.slice(0, -CERT_SUFFIX.length);

const readNamedList = (data: Buffer, what: string, withValues: boolean): Map<string, string> => {
  const reader = new SshReader(data, what);
  const out = new Map<string, string>();
  let previous = '';
  while (reader.remaining() > 0) {
    const name = reader.text(`${what} name`);
    if (out.has(name) || name <= previous) throw new LkpError('KeyInvalid', `malformed certificate: ${what} not sorted or repeated`);
    previous = name;
    const value = reader.bytes(`${what} value`);
    if (withValues && value.length > 0) {
      const inner = new SshReader(value, what);
      out.set(name, inner.text(`${what} value`));
      inner.end();
    } else out.set(name, '');
  }
  return out;
};

/** Parses a certificate blob; structure only (see verifyCertificate for the signature). */
export const parseCertificateBlob = (blob: Buffer): ParsedCertificate => {
  const reader = new SshReader(blob, 'certificate');
  const typeName = reader.text('certificate type');
  if (!typeName.endsWith(CERT_SUFFIX)) throw new LkpError('KeyInvalid', `not a certificate type: ${JSON.stringify(typeName.slice(0, 64))}`);
  reader.bytes('nonce');
  const key = readKeyFields(baseType(typeName), reader);
  const serial = reader.uint64('serial');
  const typeCode = reader.uint32('certificate type code');
  if (typeCode !== 1 && typeCode !== 2) throw new LkpError('KeyInvalid', `unknown certificate type code ${typeCode}`);
  const keyId = reader.text('key id');
  const principals = readStringList(reader.bytes('principals'), 'principals');
  const validAfter = reader.uint64('valid after');
  const validBefore = reader.uint64('valid before');
  const criticalOptions = readNamedList(reader.bytes('critical options'), 'critical options', true);
  const extensions = [...readNamedList(reader.bytes('extensions'), 'extensions', false).keys()];
  reader.bytes('reserved');
  const signatureKey = parsePublicKeyBlob(reader.bytes('signature key'));
  const signedLength = reader.position();
  const signature = reader.bytes('signature');
  reader.end();
  return {
    typeName,
    certType: typeCode === 1 ? 'user' : 'host',
    key,
    serial,
    keyId,
    principals,
    validAfter,
    validBefore,
    criticalOptions,
    extensions,
    signatureKey,
    signedData: blob.subarray(0, signedLength),
    signature,
    blob,
  };
};

/** Parses a `TYPE-cert-v01@openssh.com BASE64 [comment]` line. */
export const parseCertificate = (line: string): ParsedCertificate => {
  const [type, b64] = line.trim().split(/[ \t]+/);
  if (type === undefined || b64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new LkpError('KeyInvalid', 'certificate line must be "TYPE BASE64 [comment]"');
  const cert = parseCertificateBlob(Buffer.from(b64, 'base64'));
  if (cert.typeName !== type) throw new LkpError('KeyInvalid', 'certificate type name disagrees with its blob');
  return cert;
};

export interface VerifyOptions {
  /** CA keys that are trusted; the certificate's signature key must be one of them. */
  readonly trustedCaKeys: readonly PublicKey[];
  readonly certType?: CertType;
  /** Unix seconds: when given, the certificate must be valid at this moment. */
  readonly now?: bigint;
  readonly principal?: string;
  readonly subjectKey?: PublicKey;
}

/** Checks a certificate cryptographically and against expectations; throws KeyInvalid. */
export const verifyCertificate = (cert: ParsedCertificate, options: VerifyOptions): ParsedCertificate => {
  const fail = (why: string): never => {
    throw new LkpError('KeyInvalid', `certificate rejected: ${why}`);
  };
  if (!options.trustedCaKeys.some((k) => sameKey(k, cert.signatureKey))) fail('signed by an untrusted CA key');
  if (!verifySignature(cert.signatureKey, cert.signedData, cert.signature)) fail('CA signature does not verify');
  if (options.certType !== undefined && cert.certType !== options.certType) fail(`expected a ${options.certType} certificate`);
  if (options.now !== undefined && (options.now < cert.validAfter || options.now >= cert.validBefore)) fail('not valid at this time');
  if (options.principal !== undefined && !cert.principals.includes(options.principal)) fail(`principal ${options.principal} not listed`);
  if (options.subjectKey !== undefined && !encodePublicKeyBlob(options.subjectKey).equals(encodePublicKeyBlob(cert.key))) fail('issued for another key');
  return cert;
};
