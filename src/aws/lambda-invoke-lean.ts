// Lambda Invoke without @aws-sdk/client-lambda (the signer calls its authoriser on the
// hot path; the SDK client's import would add ~0.13 s to every cold start).
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import { leanCall } from './lean-call.js';

/** Invokes a function synchronously; a function error or HTTP error throws AwsError. */
export const invokeLambdaLean = async (opts: { functionName: string; region: string; credentials: AwsCredentialIdentity; payload: unknown; timeoutMs?: number }): Promise<unknown> => {
  const answer = await leanCall({
    service: 'lambda',
    endpointEnvId: 'LAMBDA',
    region: opts.region,
    path: `/2015-03-31/functions/${encodeURIComponent(opts.functionName)}/invocations`,
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
    body: JSON.stringify(opts.payload),
    credentials: opts.credentials,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  if (answer.status !== 200) throw new LkpError('AwsError', `lambda:Invoke ${opts.functionName} failed: HTTP ${answer.status} ${String(answer.headers['x-amzn-errortype'] ?? '')}`);
  if (answer.headers['x-amz-function-error']) throw new LkpError('AwsError', `function ${opts.functionName} failed (${String(answer.headers['x-amz-function-error'])})`);
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    throw new LkpError('AwsError', `function ${opts.functionName} answered something that is not JSON`);
  }
};
