// Lambda Invoke without @aws-sdk/client-lambda: one signed POST to
// /2015-03-31/functions/NAME/invocations (its import would add ~0.15 s to every start).
// The signer calls its authoriser with it; clients call the signer through invoke-signer.ts.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import type { HttpAnswer } from './http.js';
import { leanCall } from './lean-call.js';

export interface InvokeRequest {
  readonly functionName: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity;
  readonly payload: unknown;
  readonly timeoutMs?: number;
  /** e.g. `attempt 2/3`, for messages. */
  readonly attempt?: string;
}

/** Sends one synchronous invocation and returns the raw HTTP answer (callers map errors). */
export const sendInvoke = (opts: InvokeRequest): Promise<HttpAnswer> =>
  leanCall({
    service: 'lambda',
    endpointEnvId: 'LAMBDA',
    region: opts.region,
    path: `/2015-03-31/functions/${encodeURIComponent(opts.functionName)}/invocations`,
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
    body: JSON.stringify(opts.payload),
    credentials: opts.credentials,
    operation: 'Lambda Invoke',
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.attempt ? { attempt: opts.attempt } : {}),
  });

/** Invokes a function synchronously; a function error or HTTP error throws AwsError. */
export const invokeLambdaLean = async (opts: InvokeRequest): Promise<unknown> => {
  const answer = await sendInvoke(opts);
  if (answer.status !== 200) throw new LkpError('AwsError', `lambda:Invoke ${opts.functionName} failed: HTTP ${answer.status} ${String(answer.headers['x-amzn-errortype'] ?? '')}`);
  if (answer.headers['x-amz-function-error']) throw new LkpError('AwsError', `function ${opts.functionName} failed (${String(answer.headers['x-amz-function-error'])})`);
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    throw new LkpError('AwsError', `function ${opts.functionName} answered something that is not JSON`);
  }
};
