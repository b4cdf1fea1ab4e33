// SSH signature blobs (RFC 4253 §6.6, RFC 5656 §3.1.2, RFC 8332, RFC 8709): produce them
// with node:crypto and verify them for real. RSA signs with rsa-sha2-512, never SHA-1
// `ssh-rsa`, which OpenSSH 8.8+ refuses (sshpk would produce exactly that).
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { LkpError } from '../errors.js';
import { CURVES, toKeyObject, type PublicKey } from './public-key.js';
import { SshReader, SshWriter } from './wire.js';

/** Anything that can sign certificate bytes as a CA: a file key, a KMS key, an HSM. */
export interface CaSigner {
  /** The CA's public key, embedded in every certificate it signs. */
  readonly publicKey: PublicKey;
  /** Signs `data` and returns a complete SSH signature blob. */
  sign(data: Buffer): Promise<Buffer>;
  /** The same, at once, for a key held in this process (issuance skips a promise per certificate). */
  readonly signNow?: (data: Buffer) => Buffer;
  /** The largest message this signer can sign (a KMS Ed25519 key: 4096 bytes); unset = no limit. */
  readonly maxMessageBytes?: number;
}

/**
 * Refuses a message `signer` cannot sign. The signer calls it before a single-use identity
 * is spent, so a certificate too large to sign does not use up a join token.
 */
export const checkSignable = (signer: CaSigner, data: Buffer): void => {
  if (signer.maxMessageBytes !== undefined && data.length > signer.maxMessageBytes) {
    throw new LkpError('BadRequest', `this certificate would be ${data.length} bytes to sign; this CA signs at most ${signer.maxMessageBytes} (ask for fewer principals or a smaller key)`);
  }
};

/** The signature algorithm lkp uses for a CA key of this kind. */
export const signatureAlgorithm = (key: PublicKey): string => {
  switch (key.kind) {
    case 'ed25519':
      return 'ssh-ed25519';
    case 'ecdsa':
      return key.type;
    case 'rsa':
      return 'rsa-sha2-512';
    default:
      throw new LkpError('KeyInvalid', `${key.type} cannot be a CA key`);
  }
};

/** Wraps raw signature bytes into the SSH signature blob for this key's algorithm. */
export const encodeSignature = (key: PublicKey, raw: Buffer): Buffer => {
  const algorithm = signatureAlgorithm(key);
  if (key.kind !== 'ecdsa') return new SshWriter().string(algorithm).string(raw).toBuffer();
  // ECDSA: raw is r||s (IEEE P1363); SSH wants string(mpint r, mpint s).
  const half = raw.length / 2;
  const inner = new SshWriter().mpint(raw.subarray(0, half)).mpint(raw.subarray(half)).toBuffer();
  return new SshWriter().string(algorithm).string(inner).toBuffer();
};

/** Signs synchronously with a node:crypto private key (the hot path of issuance). */
export const signRaw = (privateKey: KeyObject, key: PublicKey, data: Buffer): Buffer => {
  switch (key.kind) {
    case 'ed25519':
      return cryptoSign(null, data, privateKey);
    case 'ecdsa':
      return cryptoSign(CURVES[key.curve].hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'rsa':
      return cryptoSign('sha512', data, privateKey);
    default:
      throw new LkpError('KeyInvalid', `${key.type} cannot be a CA key`);
  }
};

/** A CaSigner over an in-memory node:crypto private key. */
export const keyObjectSigner = (privateKey: KeyObject, publicKey: PublicKey): CaSigner => {
  const signNow = (data: Buffer): Buffer => encodeSignature(publicKey, signRaw(privateKey, publicKey, data));
  return { publicKey, sign: async (data) => signNow(data), signNow };
};

const leftPad = (bytes: Buffer, size: number): Buffer => {
  if (bytes.length > size) throw new LkpError('KeyInvalid', 'ECDSA signature component is too large');
  return Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
};

/** Verifies an SSH signature blob over `data` with `key`; false for any mismatch. */
export const verifySignature = (key: PublicKey, data: Buffer, signatureBlob: Buffer): boolean => {
  let algorithm: string;
  let raw: Buffer;
  try {
    const reader = new SshReader(signatureBlob, 'signature');
    algorithm = reader.text('signature algorithm');
    raw = reader.bytes('signature');
    reader.end();
  } catch {
    return false;
  }
  try {
    switch (key.kind) {
      case 'ed25519':
        return algorithm === 'ssh-ed25519' && raw.length === 64 && cryptoVerify(null, data, toKeyObject(key), raw);
      case 'ecdsa': {
        if (algorithm !== key.type) return false;
        const reader = new SshReader(raw, 'ECDSA signature');
        const size = CURVES[key.curve].size;
        const p1363 = Buffer.concat([leftPad(reader.mpint('r'), size), leftPad(reader.mpint('s'), size)]);
        reader.end();
        return cryptoVerify(CURVES[key.curve].hash, data, { key: toKeyObject(key), dsaEncoding: 'ieee-p1363' }, p1363);
      }
      case 'rsa': {
        // ssh-rsa (SHA-1) is refused on purpose: OpenSSH 8.8+ rejects it too.
        const hash = algorithm === 'rsa-sha2-512' ? 'sha512' : algorithm === 'rsa-sha2-256' ? 'sha256' : undefined;
        return hash !== undefined && cryptoVerify(hash, data, toKeyObject(key), raw);
      }
      default:
        return false;
    }
  } catch {
    return false;
  }
};
