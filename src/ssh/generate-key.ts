// Key generation in OpenSSH format: node:crypto makes the key (sshpk cannot make RSA keys),
// sshpk writes the openssh-key-v1 container. Used by `lkp ca init` and the laptop key pair.
import { generateKeyPairSync } from 'node:crypto';
import sshpk from 'sshpk';
import type { CaKeyAlgorithm } from './private-key.js';

/** Generates a key pair; returns the OpenSSH private key text and the public line. */
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
  return { privateText: key.toString('openssh'), publicLine: key.toPublic().toString('ssh').replace(/\s+$/, '') };
};
