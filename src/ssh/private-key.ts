// CA private keys: read from OpenSSH format (so `ssh-keygen -s` can use the same files) or
// PEM into node:crypto key objects, checked to be usable CA keys whose halves match.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { LkpError } from '../errors.js';
import { checkCaKey } from './key-policy.js';
import { isOpenSshPrivateKey, parseOpenSshPrivateKey } from './openssh-private-key.js';
import { parsePublicKeyBlob, toKeyObject, type PublicKey, CURVES, type EcdsaCurve } from './public-key.js';
import { SshWriter } from './wire.js';

export type CaKeyAlgorithm = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa-3072' | 'rsa-4096';
export const CA_KEY_ALGORITHMS: readonly CaKeyAlgorithm[] = ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-3072', 'rsa-4096'];

export interface LoadedPrivateKey {
  readonly privateKey: KeyObject;
  readonly publicKey: PublicKey;
}

/** The SSH public key of a node:crypto key (for PEM input). */
const sshPublicOf = (key: KeyObject): PublicKey => {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as Record<string, string>;
  const w = new SshWriter();
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') w.string('ssh-ed25519').string(Buffer.from(jwk.x as string, 'base64url'));
  else if (jwk.kty === 'EC') {
    const curve = (Object.keys(CURVES) as EcdsaCurve[]).find((c) => CURVES[c].jwk === jwk.crv);
    if (!curve) throw new LkpError('KeyInvalid', `unsupported curve ${jwk.crv}`);
    w.string(`ecdsa-sha2-${curve}`).string(curve).string(Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]));
  } else if (jwk.kty === 'RSA') w.string('ssh-rsa').mpint(Buffer.from(jwk.e as string, 'base64url')).mpint(Buffer.from(jwk.n as string, 'base64url'));
  else throw new LkpError('KeyInvalid', `unsupported key type ${jwk.kty}`);
  return parsePublicKeyBlob(w.toBuffer());
};

/** Parses an OpenSSH or PEM private key into a node:crypto key and its public key. */
export const parsePrivateKey = (text: string, what = 'private key'): LoadedPrivateKey => {
  let loaded: LoadedPrivateKey;
  if (isOpenSshPrivateKey(text)) loaded = parseOpenSshPrivateKey(text, what);
  else {
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(text);
    } catch (error) {
      // Only say "encrypted" when the file says so: a garbage file is not an encrypted key.
      const encrypted = /ENCRYPTED/.test(text);
      throw new LkpError('KeyInvalid', encrypted ? `${what} is encrypted; lkp needs it unencrypted in its protected store` : `${what} is not an OpenSSH or PEM private key`, { cause: error });
    }
    loaded = { privateKey, publicKey: sshPublicOf(privateKey) };
  }
  checkCaKey(loaded.publicKey);
  // Prove the halves belong together before trusting the file.
  if (JSON.stringify(createPublicKey(loaded.privateKey).export({ format: 'jwk' })) !== JSON.stringify(toKeyObject(loaded.publicKey).export({ format: 'jwk' }))) {
    throw new LkpError('KeyInvalid', `${what} is inconsistent: its public half does not match`);
  }
  return loaded;
};
