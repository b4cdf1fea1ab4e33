// Asks the signer for a user certificate for exactly (target, login) and checks it before
// use: a user certificate, for our key, naming LOGIN@HOST, signed with a valid signature.
import type { WireIdentity } from '../api/wire.js';
import type { UserCertResponse } from '../api/response.js';
import { callSigner, type InvokeOptions } from '../aws/invoke-signer.js';
import { LkpError } from '../errors.js';
import { parseCertificate, verifyCertificate, type ParsedCertificate } from '../ssh/parse-certificate.js';
import { parsePublicKey, type PublicKey } from '../ssh/public-key.js';
import type { KeyPair } from './keypair.js';

export interface UserCertificate {
  readonly line: string;
  readonly parsed: ParsedCertificate;
  readonly hostCaKeys: readonly PublicKey[];
}

/** Requests and verifies one user certificate. */
export const requestUserCertificate = async (opts: {
  identity: WireIdentity;
  keyPair: KeyPair;
  login: string;
  target: string;
  expectedPrincipal: string;
  signer: InvokeOptions;
  validitySeconds?: number;
  nowSeconds: number;
}): Promise<UserCertificate> => {
  const answer = await callSigner<UserCertResponse>(
    { version: 1, action: 'user-cert', identity: opts.identity, publicKey: opts.keyPair.publicLine, login: opts.login, target: opts.target, ...(opts.validitySeconds ? { validitySeconds: opts.validitySeconds } : {}) },
    opts.signer,
  );
  const line = String(answer.certificate?.certificate ?? '');
  let parsed: ParsedCertificate;
  try {
    const cert = parseCertificate(line);
    parsed = verifyCertificate(cert, { trustedCaKeys: [cert.signatureKey], certType: 'user', subjectKey: opts.keyPair.key, principal: opts.expectedPrincipal, now: BigInt(opts.nowSeconds) });
  } catch (error) {
    throw new LkpError('SignerError', `signer returned an unusable certificate: ${(error as Error).message}`);
  }
  const hostCaKeys = (answer.hostCaKeys ?? []).map((l) => parsePublicKey(l));
  return { line: line.split(/\s+/).slice(0, 2).join(' '), parsed, hostCaKeys };
};
