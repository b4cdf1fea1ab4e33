// Calls the signer through the Lambda Invoke API: a SigV4-signed POST (the SDK's own
// signer) to /2015-03-31/functions/NAME/invocations, so the same code reaches an AWS
// Lambda or `lkp signer serve` (AWS_ENDPOINT_URL_LAMBDA). Not @aws-sdk/client-lambda: its
// import alone costs ~150 ms on every `lkp host` and `lkp ssh exec` (see npm run bench);
// the tests drive `lkp signer serve` with the real SDK client to keep the wire honest.
import type { AwsCredentialIdentity } from '@smithy/types';
import type { SignerRequestBody } from '../api/wire.js';
import { isErrorResponse, type SignerResponse } from '../api/response.js';
import { LkpError } from '../errors.js';
import { endpointOverride, isLoopbackUrl } from './endpoint.js';

export interface InvokeOptions {
  readonly functionName: string;
  readonly region?: string;
  readonly credentials?: AwsCredentialIdentity;
  /** Milliseconds before giving up on one call. */
  readonly timeoutMs?: number;
}

// The local signer authenticates callers by the proof inside the request, not by the
// Invoke signature, so a host with no AWS credentials can still reach it on loopback.
const LOOPBACK_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'lkp-local', secretAccessKey: 'lkp-local' };
const ATTEMPTS = 3;

const hasEnvCredentials = (): boolean => Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE || process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI);

/** A function ARN names its region; a plain name uses the given or default region. */
const regionFor = (opts: InvokeOptions): string =>
  /^arn:aws[\w-]*:lambda:([a-z0-9-]+):/.exec(opts.functionName)?.[1] ?? opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

const credentialsFor = async (opts: InvokeOptions): Promise<AwsCredentialIdentity> => {
  if (opts.credentials) return opts.credentials;
  if (isLoopbackUrl(endpointOverride('LAMBDA')) && !hasEnvCredentials()) return LOOPBACK_CREDENTIALS;
  const { defaultCredentials } = await import('./credentials.js');
  return defaultCredentials();
};

/** Sends one request; returns the signer's answer or throws SignerUnreachable/SignerError. */
export const invokeSigner = async (request: SignerRequestBody, opts: InvokeOptions): Promise<SignerResponse> => {
  const { sendInvoke } = await import('./lambda-invoke-lean.js');
  const credentials = await credentialsFor(opts);
  const region = regionFor(opts);
  let answer;
  // At most ATTEMPTS x the HTTP time limit (LKP_HTTP_TIMEOUT_MS, 10 s) plus 0.6 s of back-off.
  for (let attempt = 1; ; attempt += 1) {
    try {
      answer = await sendInvoke({ functionName: opts.functionName, region, credentials, payload: request, attempt: `attempt ${attempt}/${ATTEMPTS}`, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
    } catch (error) {
      if (error instanceof LkpError && error.code === 'ConfigInvalid') throw error;
      if (attempt < ATTEMPTS) {
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        continue;
      }
      throw new LkpError('SignerUnreachable', `cannot reach signer ${opts.functionName}: ${(error as Error).message.slice(0, 300)}`, { cause: error });
    }
    const retryable = answer.status === 429 || answer.status >= 500;
    if (!retryable || attempt >= ATTEMPTS) break;
    await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
  }
  const errorType = String(answer.headers['x-amzn-errortype'] ?? '').split(':')[0] ?? '';
  if (answer.status === 404) throw new LkpError('SignerUnreachable', `signer function ${opts.functionName} not found in ${region}`);
  if (/ExpiredToken|UnrecognizedClient|InvalidSignature|IncompleteSignature/.test(errorType)) {
    throw new LkpError('AwsCredentialsMissing', `AWS did not accept these credentials for ${opts.functionName} (${errorType}); log in again (for example \`aws sso login --profile P\`)`);
  }
  // Not allowed here may still be allowed at a fallback signer (another account or role).
  if (answer.status === 401 || answer.status === 403) {
    throw new LkpError('SignerUnreachable', `not allowed to invoke ${opts.functionName} (${errorType || `HTTP ${answer.status}`}); check lambda:InvokeFunction for these credentials`);
  }
  if (answer.status !== 200) throw new LkpError('SignerUnreachable', `signer ${opts.functionName} answered HTTP ${answer.status}${errorType ? ` ${errorType}` : ''}`);
  if (answer.headers['x-amz-function-error']) throw new LkpError('SignerError', `signer ${opts.functionName} failed (${String(answer.headers['x-amz-function-error'])}); see its logs`);
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
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
