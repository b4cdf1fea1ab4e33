// CA private keys on disk in OpenSSH format (so `ssh-keygen -s` can use them too), read
// into node:crypto key objects. sshpk does the OpenSSH container; node:crypto does the
// signing (sshpk's RSA certificate signatures are SHA-1).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import sshpk from 'sshpk';
import { LkpError } from '../errors.js';
import { checkCaKey } from './key-policy.js';
import { parsePublicKey, toKeyObject, type PublicKey } from './public-key.js';

export type CaKeyAlgorithm = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa-3072' | 'rsa-4096';
export const CA_KEY_ALGORITHMS: readonly CaKeyAlgorithm[] = ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-3072', 'rsa-4096'];

export interface LoadedPrivateKey {
  readonly privateKey: KeyObject;
  readonly publicKey: PublicKey;
}

const partsOf = (key: sshpk.PrivateKey): Map<string, Buffer> =>
  new Map((key as unknown as { parts: Array<{ name: string; data: Buffer }> }).parts.map((p) => [p.name, p.data]));

/** Parses an OpenSSH (or PEM) private key into a node:crypto key and its public key. */
export const parsePrivateKey = (text: string, what = 'private key'): LoadedPrivateKey => {
  let parsed: sshpk.PrivateKey;
  try {
    parsed = sshpk.parsePrivateKey(text, 'auto');
  } catch (error) {
    throw new LkpError('KeyInvalid', `${what} could not be read (encrypted keys are not supported)`, { cause: error });
  }
  const publicKey = checkCaKey(parsePublicKey(parsed.toPublic().toString('ssh')));
  let privateKey: KeyObject;
  if (parsed.type === 'ed25519') {
    const parts = partsOf(parsed);
    const seed = (parts.get('k') as Buffer).subarray(0, 32);
    privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: (parts.get('A') as Buffer).toString('base64url') }, format: 'jwk' });
  } else {
    privateKey = createPrivateKey(parsed.toString('pkcs8'));
  }
  // Prove the halves belong together before trusting the file.
  const derived = JSON.stringify(createPublicKey(privateKey).export({ format: 'jwk' }));
  if (derived !== JSON.stringify(toKeyObject(publicKey).export({ format: 'jwk' }))) {
    throw new LkpError('KeyInvalid', `${what} is inconsistent: its public half does not match`);
  }
  return { privateKey, publicKey };
};

/** Generates a key pair (a CA key, or a user identity); returns the OpenSSH private key text and public line. */
export const generateOpenSshKey = (algorithm: CaKeyAlgorithm, comment: string): { privateText: string; publicLine: string } => {
  const pair =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : algorithm.startsWith('ecdsa')
        ? generateKeyPairSync('ec', { namedCurve: { 'ecdsa-p256': 'P-256', 'ecdsa-p384': 'P-384', 'ecdsa-p521': 'P-521' }[algorithm as 'ecdsa-p256'] })
        : generateKeyPairSync('rsa', { modulusLength: algorithm === 'rsa-4096' ? 4096 : 3072, publicExponent: 65537 });
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const key = sshpk.parsePrivateKey(pem, 'pkcs8');
  key.comment = comment;
  const privateText = key.toString('openssh');
  const publicLine = `${key.toPublic().toString('ssh')}`.replace(/\s+$/, '');
  return { privateText, publicLine };
};
