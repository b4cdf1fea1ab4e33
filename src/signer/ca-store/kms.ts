// A CA key that never leaves AWS KMS: the public key is read once (GetPublicKey) and every
// certificate is signed by kms:Sign. No code path here can see private key material.
// Key specs map to SSH signature algorithms as follows:
//   ECC_NIST_P256/384/521  -> ecdsa-sha2-nistp256/384/521 (ECDSA_SHA_256/384/512; KMS
//                             answers DER, SSH wants mpint r, s)
//   RSA_3072/4096          -> rsa-sha2-512 (RSASSA_PKCS1_V1_5_SHA_512)
//   ECC_NIST_EDWARDS25519  -> ssh-ed25519 (ED25519_SHA_512, MessageType RAW only, so at
//                             most 4096 bytes: pure Ed25519 cannot be fed a digest)
// Messages up to 4096 bytes (every ordinary certificate) go as RAW; larger ones go as a
// DIGEST we compute, where the algorithm allows it.
import { createHash, createPublicKey } from 'node:crypto';
import { LkpError } from '../../errors.js';
import { encodePublicKeyBlob, formatPublicKey, parsePublicKeyBlob, type EcdsaCurve, type PublicKey } from '../../ssh/public-key.js';
import { checkSignable, encodeSignature, verifySignature, type CaSigner } from '../../ssh/signature.js';
import type { CaKeySet } from './types.js';

/** What the store needs from KMS; the SDK edge (src/aws/kms.ts) implements it. */
export interface KmsApi {
  getPublicKey(keyId: string): Promise<{ keyArn: string; keySpec: string; keyUsage: string; publicKeyDer: Buffer }>;
  sign(request: { keyArn: string; message: Buffer; messageType: 'RAW' | 'DIGEST'; algorithm: KmsSigningAlgorithm }): Promise<Buffer>;
}

export type KmsSigningAlgorithm = 'ECDSA_SHA_256' | 'ECDSA_SHA_384' | 'ECDSA_SHA_512' | 'RSASSA_PKCS1_V1_5_SHA_512' | 'ED25519_SHA_512';

/** KMS's limit on a RAW message; only Ed25519 signs RAW here. */
export const KMS_RAW_MESSAGE_LIMIT = 4096;

interface SigningPlan {
  readonly algorithm: KmsSigningAlgorithm;
  /** Node hash name for a DIGEST message; undefined = RAW only. */
  readonly digest?: 'sha256' | 'sha384' | 'sha512';
  readonly curve?: EcdsaCurve;
}

const PLANS: Readonly<Record<string, SigningPlan>> = {
  ECC_NIST_P256: { algorithm: 'ECDSA_SHA_256', digest: 'sha256', curve: 'nistp256' },
  ECC_NIST_P384: { algorithm: 'ECDSA_SHA_384', digest: 'sha384', curve: 'nistp384' },
  ECC_NIST_P521: { algorithm: 'ECDSA_SHA_512', digest: 'sha512', curve: 'nistp521' },
  RSA_3072: { algorithm: 'RSASSA_PKCS1_V1_5_SHA_512', digest: 'sha512' },
  RSA_4096: { algorithm: 'RSASSA_PKCS1_V1_5_SHA_512', digest: 'sha512' },
  ECC_NIST_EDWARDS25519: { algorithm: 'ED25519_SHA_512' },
};

/** The KMS signing algorithm lkp uses for a key spec (for IAM conditions and docs). */
export const kmsSigningAlgorithm = (keySpec: string): KmsSigningAlgorithm | undefined => PLANS[keySpec]?.algorithm;

const unusable = (keyId: string, why: string): never => {
  throw new LkpError('CaKeyUnavailable', `KMS key ${keyId} cannot be an SSH CA: ${why}`);
};

/** Converts the DER SubjectPublicKeyInfo KMS returns into lkp's SSH public key. */
export const sshKeyFromSpki = (der: Buffer, keySpec: string, keyId: string): PublicKey => {
  const plan = PLANS[keySpec];
  if (!plan) {
    const hint = keySpec === 'RSA_2048' ? ' (use RSA_3072 or RSA_4096 for a CA)' : '; use ECC_NIST_P256/P384/P521, RSA_3072/4096 or ECC_NIST_EDWARDS25519';
    return unusable(keyId, `key spec ${keySpec} is not supported${hint}`);
  }
  let jwk: { kty?: string; crv?: string; x?: string; y?: string; n?: string; e?: string };
  try {
    jwk = createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch (error) {
    throw new LkpError('CaKeyUnavailable', `KMS key ${keyId}: its public key is not a valid SubjectPublicKeyInfo`, { cause: error });
  }
  const b = (v: string | undefined): Buffer => Buffer.from(v ?? '', 'base64url');
  let key: PublicKey;
  if (plan.curve && jwk.kty === 'EC') {
    key = { kind: 'ecdsa', type: `ecdsa-sha2-${plan.curve}`, curve: plan.curve, point: Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]) };
  } else if (keySpec.startsWith('RSA_') && jwk.kty === 'RSA') {
    key = { kind: 'rsa', type: 'ssh-rsa', e: b(jwk.e), n: b(jwk.n), bits: 0 };
  } else if (keySpec === 'ECC_NIST_EDWARDS25519' && jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    key = { kind: 'ed25519', type: 'ssh-ed25519', key: b(jwk.x) };
  } else {
    return unusable(keyId, `its public key (${jwk.kty ?? '?'}) does not match key spec ${keySpec}`);
  }
  // Round-trip through the strict parser: the same checks every other key gets (curve
  // membership, RSA exponent and size), and the canonical encoding.
  return parsePublicKeyBlob(encodePublicKeyBlob(key));
};

/** Reads an unsigned big-endian INTEGER body out of DER; strict enough for KMS's answers. */
const derInteger = (der: Buffer, offset: number): { value: Buffer; next: number } => {
  if (der[offset] !== 0x02) throw new Error('expected INTEGER');
  let len = der[offset + 1] as number;
  let start = offset + 2;
  if (len & 0x80) {
    const octets = len & 0x7f;
    if (octets !== 1) throw new Error('INTEGER length');
    len = der[offset + 2] as number;
    start += 1;
  }
  const value = der.subarray(start, start + len);
  if (value.length !== len || len === 0 || ((value[0] as number) & 0x80) !== 0) throw new Error('INTEGER value');
  return { value, next: start + len };
};

/** DER `SEQUENCE { r INTEGER, s INTEGER }` -> r||s, each left-padded to the curve size. */
export const derEcdsaToP1363 = (der: Buffer, size: number): Buffer => {
  try {
    if (der[0] !== 0x30) throw new Error('expected SEQUENCE');
    let offset = 2;
    let total = der[1] as number;
    if (total & 0x80) {
      if ((total & 0x7f) !== 1) throw new Error('SEQUENCE length');
      total = der[2] as number;
      offset = 3;
    }
    if (offset + total !== der.length) throw new Error('SEQUENCE length');
    const r = derInteger(der, offset);
    const s = derInteger(der, r.next);
    if (s.next !== der.length) throw new Error('trailing bytes');
    const pad = (v: Buffer): Buffer => {
      const trimmed = v[0] === 0 ? v.subarray(1) : v;
      if (trimmed.length > size) throw new Error('component too large');
      return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
    };
    return Buffer.concat([pad(r.value), pad(s.value)]);
  } catch (error) {
    throw new LkpError('CaKeyUnavailable', `KMS returned a malformed ECDSA signature (${(error as Error).message})`, { cause: error });
  }
};

const CURVE_SIZE: Record<EcdsaCurve, number> = { nistp256: 32, nistp384: 48, nistp521: 66 };

/** A CaSigner over one KMS key. Reads the public key now; signs through KMS later. */
export const kmsCaSigner = async (api: KmsApi, keyId: string): Promise<CaSigner> => {
  const info = await api.getPublicKey(keyId);
  if (info.keyUsage !== 'SIGN_VERIFY') unusable(keyId, `its key usage is ${info.keyUsage}, not SIGN_VERIFY`);
  const publicKey = sshKeyFromSpki(info.publicKeyDer, info.keySpec, keyId);
  const plan = PLANS[info.keySpec] as SigningPlan;
  // Pure Ed25519 cannot be fed a digest: the RAW limit is the limit. The signer checks it
  // before spending a join token; sign() checks it again for every other caller.
  const limits = plan.digest ? {} : { maxMessageBytes: KMS_RAW_MESSAGE_LIMIT };
  const signer: CaSigner = {
    publicKey,
    ...limits,
    sign: async (data) => {
      checkSignable(signer, data);
      const raw = data.length <= KMS_RAW_MESSAGE_LIMIT;
      const message = raw ? data : createHash(plan.digest as string).update(data).digest();
      const answer = await api.sign({ keyArn: info.keyArn, message, messageType: raw ? 'RAW' : 'DIGEST', algorithm: plan.algorithm });
      const blob = encodeSignature(publicKey, plan.curve ? derEcdsaToP1363(answer, CURVE_SIZE[plan.curve]) : answer);
      // A signature that does not verify (a key swapped behind an alias, a KMS fault)
      // must never reach a certificate.
      if (!verifySignature(publicKey, data, blob)) throw new LkpError('CaKeyUnavailable', `KMS key ${info.keyArn} returned a signature that does not verify against its public key`);
      return blob;
    },
  };
  return signer;
};

/** The CaKeySet for KMS keys: the first signs, all are published (rotation). */
export const kmsCaKeySet = async (api: KmsApi, keyIds: readonly string[]): Promise<CaKeySet> => {
  if (keyIds.length === 0) throw new LkpError('CaKeyUnavailable', 'no KMS CA key configured');
  const signers = await Promise.all(keyIds.map((id) => kmsCaSigner(api, id)));
  return { signer: signers[0] as CaSigner, publicLines: signers.map((s) => formatPublicKey(s.publicKey)) };
};
