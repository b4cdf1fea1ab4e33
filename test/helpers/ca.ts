// Test CAs built with lkp's own key generation and signer.
import { randomBytes } from 'node:crypto';
import { buildCertificate, DEFAULT_USER_EXTENSIONS, formatCertificate, type CertificateTemplate } from '../../src/ssh/certificate.js';
import { parseKeyId, parsePrincipals } from '../../src/ssh/names.js';
import { generateOpenSshKey } from '../../src/ssh/generate-key.js';
import { parsePrivateKey, type CaKeyAlgorithm } from '../../src/ssh/private-key.js';
import { parsePublicKey, type PublicKey } from '../../src/ssh/public-key.js';
import { keyObjectSigner, type CaSigner } from '../../src/ssh/signature.js';

export interface TestCa {
  readonly signer: CaSigner;
  readonly publicLine: string;
  readonly privateText: string;
}

export const makeCa = (alg: CaKeyAlgorithm = 'ed25519'): TestCa => {
  const { privateText, publicLine } = generateOpenSshKey(alg, `test ${alg} CA`);
  const { privateKey, publicKey } = parsePrivateKey(privateText);
  return { signer: keyObjectSigner(privateKey, publicKey), publicLine, privateText };
};

export const nowSec = (): bigint => BigInt(Math.floor(Date.now() / 1000));

/** Signs a certificate with sensible defaults; override any field. */
export const signCert = async (ca: TestCa, subject: string | PublicKey, over: Partial<Omit<CertificateTemplate, 'principals'>> & { principals?: string[] } = {}): Promise<string> => {
  const key = typeof subject === 'string' ? parsePublicKey(subject) : subject;
  const certType = over.certType ?? 'user';
  const template: CertificateTemplate = {
    certType,
    key,
    serial: 42n,
    keyId: parseKeyId('test'),
    validAfter: nowSec() - 300n,
    validBefore: nowSec() + 3600n,
    criticalOptions: {},
    extensions: certType === 'user' ? [...DEFAULT_USER_EXTENSIONS] : [],
    nonce: randomBytes(32),
    ...over,
    principals: parsePrincipals(over.principals ?? ['alice']),
  };
  return formatCertificate(await buildCertificate(template, ca.signer), key);
};
