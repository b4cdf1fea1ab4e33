// Calls the signer through the Lambda Invoke API with the real @aws-sdk/client-lambda, so
// the same code reaches an AWS Lambda or `lkp signer serve` (AWS_ENDPOINT_URL_LAMBDA).
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { SignerRequestBody } from '../api/wire.js';
import { isErrorResponse, type SignerResponse } from '../api/response.js';
import { LkpError } from '../errors.js';
import { endpointOverride, isLoopbackUrl } from './endpoint.js';

export interface InvokeOptions {
  readonly functionName: string;
  readonly region?: string;
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Milliseconds before giving up on one call. */
  readonly timeoutMs?: number;
}

// The local signer authenticates callers by the proof inside the request, not by the
// Invoke signature, so a host with no AWS credentials can still reach it on loopback.
const LOOPBACK_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'lkp-local', secretAccessKey: 'lkp-local' };

const hasEnvCredentials = (): boolean => Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE || process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI);

/** Sends one request; returns the signer's answer or throws SignerUnreachable/SignerError. */
export const invokeSigner = async (request: SignerRequestBody, opts: InvokeOptions): Promise<SignerResponse> => {
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const loopback = isLoopbackUrl(endpointOverride('LAMBDA'));
  const credentials = opts.credentials ?? (loopback && !hasEnvCredentials() ? LOOPBACK_CREDENTIALS : undefined);
  const client = new LambdaClient({
    ...(opts.region ? { region: opts.region } : { region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' }),
    ...(credentials ? { credentials } : {}),
    maxAttempts: 3,
    requestHandler: { requestTimeout: opts.timeoutMs ?? 30_000, connectionTimeout: 5_000 },
  });
  let output;
  try {
    output = await client.send(new InvokeCommand({ FunctionName: opts.functionName, Payload: Buffer.from(JSON.stringify(request)) }));
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === 'CredentialsProviderError') {
      throw new LkpError('AwsCredentialsMissing', 'no AWS credentials found to call the signer; log in first (for example `aws sso login --profile P`) or set AWS_PROFILE', { cause: error });
    }
    if (e.name === 'ResourceNotFoundException') throw new LkpError('SignerUnreachable', `signer function ${opts.functionName} not found`, { cause: error });
    throw new LkpError('SignerUnreachable', `cannot reach signer ${opts.functionName}: ${e.name ?? 'error'}${e.message ? `: ${e.message.slice(0, 200)}` : ''}`, { cause: error });
  } finally {
    client.destroy();
  }
  const text = output.Payload ? Buffer.from(output.Payload).toString('utf8') : '';
  if (output.FunctionError) throw new LkpError('SignerError', `signer ${opts.functionName} failed (${output.FunctionError}); see its logs`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LkpError('SignerError', 'signer answered something that is not JSON');
  }
  if (typeof body !== 'object' || body === null || (body as { version?: unknown }).version !== 1) throw new LkpError('SignerError', 'signer answered an unknown response version');
  return body as SignerResponse;
};

/** Like invokeSigner, but a refusal becomes an LkpError carrying the signer's code and message. */
export const callSigner = async <T extends SignerResponse>(request: SignerRequestBody, opts: InvokeOptions): Promise<Exclude<T, { error: unknown }>> => {
  const answer = await invokeSigner(request, opts);
  if (isErrorResponse(answer)) throw new LkpError(answer.error.code, `signer refused: ${answer.error.message}`);
  return answer as Exclude<T, { error: unknown }>;
};
