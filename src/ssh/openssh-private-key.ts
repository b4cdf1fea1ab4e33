// Reads unencrypted `openssh-key-v1` private keys (what ssh-keygen and `lkp ca init`
// write) into node:crypto key objects with lkp's own wire reader. The signer loads its CA
// keys this way: sshpk and its dependencies cost ~30 ms of every Lambda cold start.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { LkpError } from '../errors.js';
import { CURVES, parsePublicKeyBlob, type EcdsaCurve, type PublicKey } from './public-key.js';
import { SshReader } from './wire.js';

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const ARMOR = /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END OPENSSH PRIVATE KEY-----\s*$/;

const b64u = (b: Buffer): string => b.toString('base64url');
const pad = (b: Buffer, size: number): Buffer => (b.length >= size ? b : Buffer.concat([Buffer.alloc(size - b.length), b]));
const big = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`));
const unbig = (n: bigint): Buffer => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
};

/** True when the text looks like an OpenSSH-format private key. */
export const isOpenSshPrivateKey = (text: string): boolean => text.trimStart().startsWith('-----BEGIN OPENSSH PRIVATE KEY-----');

/** Parses the key; throws KeyInvalid for encrypted, multi-key or malformed files. */
export const parseOpenSshPrivateKey = (text: string, what = 'private key'): { privateKey: KeyObject; publicKey: PublicKey } => {
  const m = ARMOR.exec(text.trim() + '\n');
  if (!m) throw new LkpError('KeyInvalid', `${what} is not an OpenSSH private key`);
  const blob = Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64');
  if (!blob.subarray(0, MAGIC.length).equals(MAGIC)) throw new LkpError('KeyInvalid', `${what} is not an openssh-key-v1 key`);
  const outer = new SshReader(blob.subarray(MAGIC.length), what);
  const cipher = outer.text('cipher');
  const kdf = outer.text('kdf');
  outer.bytes('kdf options');
  if (cipher !== 'none' || kdf !== 'none') throw new LkpError('KeyInvalid', `${what} is encrypted; lkp needs it unencrypted in its protected store`);
  if (outer.uint32('key count') !== 1) throw new LkpError('KeyInvalid', `${what} must hold exactly one key`);
  const publicKey = parsePublicKeyBlob(outer.bytes('public key'));
  const inner = new SshReader(outer.bytes('private section'), what);
  outer.end();
  if (inner.uint32('check') !== inner.uint32('check')) throw new LkpError('KeyInvalid', `${what} is corrupt (check bytes differ)`);
  const type = inner.text('key type');
  if (type !== publicKey.type) throw new LkpError('KeyInvalid', `${what}: private and public halves disagree`);
  let jwk: Record<string, string>;
  switch (publicKey.kind) {
    case 'ed25519': {
      const pub = inner.bytes('ed25519 public');
      const priv = inner.bytes('ed25519 private');
      if (priv.length !== 64 || !pub.equals(publicKey.key) || !priv.subarray(32).equals(pub)) throw new LkpError('KeyInvalid', `${what}: malformed ed25519 key`);
      jwk = { kty: 'OKP', crv: 'Ed25519', d: b64u(priv.subarray(0, 32)), x: b64u(pub) };
      break;
    }
    case 'ecdsa': {
      const curve = inner.text('curve') as EcdsaCurve;
      const point = inner.bytes('point');
      const d = inner.mpint('private scalar');
      const size = CURVES[publicKey.curve].size;
      if (curve !== publicKey.curve || !point.equals(publicKey.point)) throw new LkpError('KeyInvalid', `${what}: malformed ECDSA key`);
      jwk = { kty: 'EC', crv: CURVES[curve].jwk, x: b64u(point.subarray(1, 1 + size)), y: b64u(point.subarray(1 + size)), d: b64u(pad(d, size)) };
      break;
    }
    case 'rsa': {
      const n = inner.mpint('n');
      const e = inner.mpint('e');
      const d = inner.mpint('d');
      const iqmp = inner.mpint('iqmp');
      const p = inner.mpint('p');
      const q = inner.mpint('q');
      if (!n.equals(publicKey.n) || !e.equals(publicKey.e)) throw new LkpError('KeyInvalid', `${what}: malformed RSA key`);
      jwk = { kty: 'RSA', n: b64u(n), e: b64u(e), d: b64u(d), p: b64u(p), q: b64u(q), dp: b64u(unbig(big(d) % (big(p) - 1n))), dq: b64u(unbig(big(d) % (big(q) - 1n))), qi: b64u(iqmp) };
      break;
    }
    default:
      throw new LkpError('KeyInvalid', `${what}: ${publicKey.type} keys cannot sign certificates`);
  }
  inner.text('comment');
  // The rest is padding 1, 2, 3, …: anything else means a damaged file.
  for (let i = 1; inner.remaining() > 0; i += 1) if (inner.uint8('padding') !== (i & 0xff)) throw new LkpError('KeyInvalid', `${what} is corrupt (padding)`);
  try {
    return { privateKey: createPrivateKey({ key: jwk, format: 'jwk' }), publicKey };
  } catch (error) {
    throw new LkpError('KeyInvalid', `${what}: the key material is invalid`, { cause: error });
  }
};
