// Who the local AWS credentials belong to (sts:GetCallerIdentity, which needs no
// permission): the signed request lkp already builds for identity proofs, sent by lkp itself.
import { LkpError } from '../errors.js';
import { createAwsProof, stsHost } from './identity-proof.js';
import { defaultCredentials } from './credentials.js';
import { forwardProofToSts } from './sts-forward.js';

/** The caller's ARN (`arn:aws:iam::111122223333:user/alice`, `…:assumed-role/R/session`). */
export const callerArn = async (region: string): Promise<string> => {
  const proof = await createAwsProof({ credentials: await defaultCredentials(), region, audience: 'lkp-admin', digest: 'none' });
  try {
    return (await forwardProofToSts({ host: stsHost(region), region, headers: proof.headers, body: proof.body })).arn;
  } catch (error) {
    // STS refusing our own credentials is a credentials problem here, not a refused proof.
    if (error instanceof LkpError && error.code === 'Unauthenticated') throw new LkpError('AwsCredentialsMissing', `STS GetCallerIdentity did not accept the AWS credentials: ${error.message}`, { cause: error });
    throw error;
  }
};
