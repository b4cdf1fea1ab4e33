// AWS JSON 1.1 protocol calls (SSM, Secrets Manager) without their SDK clients.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import { leanCall } from './lean-call.js';

/** Calls `target` (e.g. `AmazonSSM.GetParameter`) and returns the decoded answer. */
export const awsJsonCall = async (opts: {
  service: string;
  endpointEnvId: string;
  target: string;
  region: string;
  credentials: AwsCredentialIdentity;
  input: Record<string, unknown>;
}): Promise<Record<string, unknown>> => {
  const answer = await leanCall({
    service: opts.service,
    endpointEnvId: opts.endpointEnvId,
    region: opts.region,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': opts.target },
    body: JSON.stringify(opts.input),
    credentials: opts.credentials,
    operation: `${opts.service} ${opts.target.split('.').pop() ?? opts.target}`,
  });
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(answer.body || '{}') as Record<string, unknown>;
  } catch {
    throw new LkpError('AwsError', `${opts.target} answered HTTP ${answer.status} with something that is not JSON`);
  }
  if (answer.status !== 200) {
    const type = String(answer.headers['x-amzn-errortype'] ?? doc.__type ?? `HTTP ${answer.status}`).split(':')[0]?.split('#').pop();
    throw new LkpError('AwsError', `${opts.target} failed: ${type}`);
  }
  return doc;
};
