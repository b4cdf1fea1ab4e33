// Building OpenSSH certificates (PROTOCOL.certkeys) from a typed, validated template.
// The template refuses what peers got wrong: empty principals (which means "anyone" to
// OpenSSH), infinite validity, unknown extensions, options on host certificates.
import { LkpError } from '../errors.js';
import type { CertType } from './key-policy.js';
import type { KeyId, Principal } from './names.js';
import { encodePublicKeyBlob, writeKeyFields, type PublicKey } from './public-key.js';
import type { CaSigner } from './signature.js';
import type { Cidr } from './source-address.js';
import { SshWriter } from './wire.js';

/** Extensions ssh-keygen grants a user certificate by default. */
export const DEFAULT_USER_EXTENSIONS = [
  'permit-X11-forwarding',
  'permit-agent-forwarding',
  'permit-port-forwarding',
  'permit-pty',
  'permit-user-rc',
] as const;
export type Extension = (typeof DEFAULT_USER_EXTENSIONS)[number] | 'no-touch-required';
/** Every user-certificate extension OpenSSH knows (PROTOCOL.certkeys). */
export const KNOWN_USER_EXTENSIONS: ReadonlySet<string> = new Set<string>([...DEFAULT_USER_EXTENSIONS, 'no-touch-required']);
const KNOWN_EXTENSIONS = KNOWN_USER_EXTENSIONS;

export interface CriticalOptions {
  readonly forceCommand?: string;
  readonly sourceAddress?: readonly Cidr[];
}

/** Everything that goes into one certificate, already validated by its parsers. */
export interface CertificateTemplate {
  readonly certType: CertType;
  readonly key: PublicKey;
  readonly serial: bigint;
  readonly keyId: KeyId;
  readonly principals: readonly Principal[];
  /** Unix seconds. */
  readonly validAfter: bigint;
  /** Unix seconds; never the "forever" value. */
  readonly validBefore: bigint;
  readonly criticalOptions: CriticalOptions;
  readonly extensions: readonly Extension[];
  /** 32 random bytes (the caller supplies randomness: this module stays pure). */
  readonly nonce: Buffer;
}

const FOREVER = 0xffffffffffffffffn;
const CERT_TYPE_CODE: Record<CertType, number> = { user: 1, host: 2 };
const MAX_FORCE_COMMAND = 1024;

/** The `-cert-v01@openssh.com` type name for a subject key type. */
export const certTypeName = (key: PublicKey): string =>
  key.kind === 'sk-ed25519'
    ? 'sk-ssh-ed25519-cert-v01@openssh.com'
    : key.kind === 'sk-ecdsa'
      ? 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com'
      : `${key.type}-cert-v01@openssh.com`;

const fail = (message: string): never => {
  throw new LkpError('BadRequest', message);
};

/** Whether a short list repeats an entry (no Set per certificate: this runs at issuance rates). */
const repeats = (items: readonly string[]): boolean => {
  if (items.length > 8) return new Set(items).size !== items.length;
  for (let i = 1; i < items.length; i += 1) if (items.lastIndexOf(items[i] as string, i - 1) !== -1) return true;
  return false;
};

const checkTemplate = (t: CertificateTemplate): void => {
  if (t.nonce.length < 16) fail('certificate nonce must be at least 16 bytes');
  if (t.serial < 0n || t.serial > FOREVER) fail('serial out of range');
  if (t.principals.length === 0) fail('a certificate needs at least one principal (none would mean "any")');
  if (t.validAfter < 0n || t.validBefore >= FOREVER) fail('certificates must expire');
  if (t.validBefore <= t.validAfter) fail('valid-before must be after valid-after');
  if (t.certType === 'host') {
    if (t.extensions.length > 0) fail('host certificates carry no extensions');
    if (t.criticalOptions.forceCommand !== undefined || t.criticalOptions.sourceAddress !== undefined) fail('host certificates carry no critical options');
  }
  for (const e of t.extensions) if (!KNOWN_EXTENSIONS.has(e)) fail(`unknown extension ${JSON.stringify(e)}`);
  if (repeats(t.extensions)) fail('extensions must not repeat');
  const fc = t.criticalOptions.forceCommand;
  // eslint-disable-next-line no-control-regex
  if (fc !== undefined && (fc.length === 0 || fc.length > MAX_FORCE_COMMAND || /[\0-\x1f\x7f]/.test(fc))) {
    fail(`force-command must be 1..${MAX_FORCE_COMMAND} printable characters`);
  }
  if (t.criticalOptions.sourceAddress !== undefined && t.criticalOptions.sourceAddress.length === 0) fail('source-address must not be empty');
};

/** Options and extensions are name-sorted (PROTOCOL.certkeys requires lexical order). */
const writeNamedList = (w: SshWriter, entries: Array<[string, string | undefined]>): SshWriter => {
  // An empty list (every host certificate) is an empty string: no closure, no sort.
  if (entries.length === 0) return w.uint32(0);
  return w.nested((list) => {
    const sorted = entries.length > 1 ? [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : entries;
    for (const [name, value] of sorted) {
      list.string(name);
      if (value === undefined) list.uint32(0);
      else list.nested((v) => v.string(value));
    }
  });
};

const NO_ENTRIES: Array<[string, string | undefined]> = [];

// The CA key's blob goes into every certificate it signs: encode it once per key object.
const caBlobs = new WeakMap<PublicKey, Buffer>();
const caBlobOf = (caKey: PublicKey): Buffer => {
  let blob = caBlobs.get(caKey);
  if (blob === undefined) {
    blob = encodePublicKeyBlob(caKey);
    caBlobs.set(caKey, blob);
  }
  return blob;
};

/** The certificate bytes the CA signs (everything but the final signature field). */
export const encodeCertificateBody = (t: CertificateTemplate, caKey: PublicKey): Buffer => {
  checkTemplate(t);
  // 512 bytes hold a typical ed25519 or ECDSA certificate body; RSA subjects grow it once.
  const w = new SshWriter(512).string(certTypeName(t.key)).string(t.nonce);
  writeKeyFields(t.key, w);
  const options: Array<[string, string]> = [];
  if (t.criticalOptions.forceCommand !== undefined) options.push(['force-command', t.criticalOptions.forceCommand]);
  if (t.criticalOptions.sourceAddress !== undefined) options.push(['source-address', t.criticalOptions.sourceAddress.join(',')]);
  w.uint64(t.serial)
    .uint32(CERT_TYPE_CODE[t.certType])
    .string(t.keyId)
    .nested((list) => {
      for (const p of t.principals) list.string(p);
    })
    .uint64(t.validAfter)
    .uint64(t.validBefore);
  writeNamedList(w, options);
  writeNamedList(
    w,
    t.extensions.length === 0 ? NO_ENTRIES : t.extensions.map((e) => [e, undefined]),
  );
  // The reserved field is an empty string.
  return w.uint32(0).string(caBlobOf(caKey)).toBuffer();
};

/** Signs a body from encodeCertificateBody; returns the certificate blob. */
export const signCertificateBody = async (body: Buffer, ca: CaSigner): Promise<Buffer> => appendSignature(body, await ca.sign(body));

/** The certificate blob: its body, then the CA's signature blob over it. */
export const appendSignature = (body: Buffer, signature: Buffer): Buffer => {
  const blob = Buffer.allocUnsafe(body.length + 4 + signature.length);
  body.copy(blob, 0);
  blob.writeUInt32BE(signature.length, body.length);
  signature.copy(blob, body.length + 4);
  return blob;
};

/** Builds and signs a certificate; returns the certificate blob. */
export const buildCertificate = async (t: CertificateTemplate, ca: CaSigner): Promise<Buffer> => signCertificateBody(encodeCertificateBody(t, ca.publicKey), ca);

/** The `TYPE BASE64 [comment]` line sshd and ssh read from a -cert.pub file. */
export const formatCertificate = (blob: Buffer, key: PublicKey, comment?: string): string =>
  `${certTypeName(key)} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
