// The caller's side of the `aws` identity method: a SigV4-signed sts:GetCallerIdentity
// request that the signer forwards to STS. The signed headers bind the signer's audience
// and the digest of the request it travels with; X-Amz-Date bounds its age.
import type { AwsCredentialIdentity } from '@smithy/types';
import type { AwsProof } from '../api/request.js';
import { signRequest } from './sigv4.js';

export const STS_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
export const AUDIENCE_HEADER = 'x-lkp-audience';
export const DIGEST_HEADER = 'x-lkp-request-digest';

/** The public STS host for a region (the regional endpoint; China uses .com.cn). */
export const stsHost = (region: string): string => `sts.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;

/** Signs a GetCallerIdentity request bound to `audience` and `digest`. */
export const createAwsProof = async (opts: {
  credentials: AwsCredentialIdentity;
  region: string;
  audience: string;
  digest: string;
  signingDate?: Date;
}): Promise<AwsProof> => {
  const host = stsHost(opts.region);
  const headers = await signRequest(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: host,
      path: '/',
      headers: {
        host,
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        [AUDIENCE_HEADER]: opts.audience,
        [DIGEST_HEADER]: opts.digest,
      },
      body: STS_BODY,
    },
    { service: 'sts', region: opts.region, credentials: opts.credentials, ...(opts.signingDate ? { signingDate: opts.signingDate } : {}) },
  );
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return { url: `https://${host}/`, method: 'POST', headers: lower, body: STS_BODY };
};
