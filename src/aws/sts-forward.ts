// The signer's side of the proof: forward the checked, still-signed GetCallerIdentity
// request to STS (or AWS_ENDPOINT_URL_STS in tests, keeping the signed Host header) and
// read who signed it. Only STS can say whether the signature is good.
import { LkpError } from '../errors.js';
import type { CheckedProof } from '../signer/identity/aws-proof-check.js';
import { httpRequest } from './http.js';
import { parseXml, xmlErrorCode, xmlText } from './xml.js';

export interface StsCaller {
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
}

/** Sends the proof to STS; throws Unauthenticated when STS refuses it. */
export const forwardProofToSts = async (proof: CheckedProof, timeoutMs = 5000): Promise<StsCaller> => {
  const override = process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;
  const url = override ? new URL('/', override).toString() : `https://${proof.host}/`;
  const answer = await httpRequest(url, { method: 'POST', headers: { ...proof.headers }, body: proof.body, timeoutMs });
  let doc;
  try {
    doc = parseXml(answer.body);
  } catch {
    throw new LkpError('AwsError', `STS answered HTTP ${answer.status} with something that is not XML`);
  }
  if (answer.status !== 200) {
    const code = xmlErrorCode(doc) ?? `HTTP ${answer.status}`;
    // Throttled is the signer's retryable answer: hosts booting together back off and retry.
    if (code === 'Throttling') throw new LkpError('Throttled', `STS throttled the signer (${code}); try again later`);
    if (answer.status >= 500) throw new LkpError('AwsError', `STS is unavailable (${code}); try again`);
    throw new LkpError('Unauthenticated', `aws identity proof rejected by STS: ${code}`);
  }
  const arn = xmlText(doc, 'GetCallerIdentityResponse', 'GetCallerIdentityResult', 'Arn');
  const account = xmlText(doc, 'GetCallerIdentityResponse', 'GetCallerIdentityResult', 'Account');
  const userId = xmlText(doc, 'GetCallerIdentityResponse', 'GetCallerIdentityResult', 'UserId');
  if (!arn || !account || !userId) throw new LkpError('AwsError', 'STS answer lacks Arn, Account or UserId');
  return { arn, account, userId };
};
