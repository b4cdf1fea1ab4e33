// Calls the signer through @aws-sdk/client-lambda (Invoke, RequestResponse), so the same
// code reaches an AWS Lambda or `lkp signer serve` (AWS_ENDPOINT_URL_LAMBDA). The SDK makes
// one attempt per call (maxAttempts 1); the retry loop here is lkp's own, so the attempts,
// their progress lines and the back-off are lkp's, and a caller (`lkp host` at boot) can
// wrap the whole exchange in a longer window (src/host/retry-window.ts).
import type { AwsCredentialIdentity } from '@smithy/types';
import type { SignerRequestBody } from '../api/wire.js';
import { isErrorResponse, type SignerResponse } from '../api/response.js';
import { LkpError } from '../errors.js';
import { endpointOverride, isLoopbackUrl } from './endpoint.js';
import { httpTimeoutMs, waitNotice } from './http.js';
import { clientCache, clientConfig, endpointOf, sdkErrorName, type ClientOptions } from './sdk-options.js';
import { backoffMs, markTransient, seconds } from './transient.js';

export interface InvokeOptions {
  readonly functionName: string;
  readonly region?: string;
  readonly credentials?: AwsCredentialIdentity;
  /** Milliseconds before giving up on one attempt (default LKP_HTTP_TIMEOUT_MS, else 10 s). */
  readonly timeoutMs?: number;
  /** Attempts of one call, including the first (default 3: people may be waiting); 1 when the caller has its own retry window. */
  readonly attempts?: number;
}

// The local signer authenticates callers by the proof inside the request, not by the
// Invoke signature, so a host with no AWS credentials can still reach it on loopback.
const LOOPBACK_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'lkp-local', secretAccessKey: 'lkp-local' };
const ATTEMPTS = 3;
const LABEL = { operation: 'Lambda Invoke', endpointEnvId: 'LAMBDA' };

type LambdaModule = typeof import('./sdk/lambda.js');
let loading: Promise<LambdaModule> | undefined;
const lambdaModule = (): Promise<LambdaModule> => (loading ??= import('./sdk/lambda.js'));
let loaded: LambdaModule | undefined;

/** Starts loading client-lambda without waiting: it compiles while the caller reads keys and credentials. */
export const preloadLambdaClient = (): void => {
  lambdaModule().catch(() => undefined); // invokeSigner reports a failed import
};
const clients = clientCache((o: ClientOptions) => new (loaded as LambdaModule).LambdaClient(clientConfig(o)));

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

interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly clockSkewCorrected?: boolean };
}

/** What one attempt came to: an answer, or a failure and whether another attempt may help. */
type Outcome = { readonly ok: true; readonly body: SignerResponse } | { readonly ok: false; readonly error: LkpError; readonly retry: 'no' | 'now' | 'later' };

const CREDENTIAL_ERRORS = /ExpiredToken|UnrecognizedClient|InvalidSignature|IncompleteSignature|CredentialsProviderError/;
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ECONNABORTED|EPIPE|EPROTO|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|TimeoutError|RequestTimeout|NetworkingError)$/;

/** Maps an SDK failure of one attempt to lkp's codes (the wording tests and people rely on). */
const classifyFailure = (error: unknown, opts: InvokeOptions, region: string, attempt: string, timeoutMs: number): Outcome => {
  if (error instanceof LkpError) return { ok: false, error, retry: 'no' };
  const e = (error ?? {}) as SdkError;
  const name = sdkErrorName(error);
  const status = e.$metadata?.httpStatusCode;
  const where = `Lambda Invoke to ${endpointOf(LABEL.endpointEnvId).where}`;
  // The SDK read the server's clock from this answer and corrected its own: try again at once.
  if (e.$metadata?.clockSkewCorrected) {
    return { ok: false, error: new LkpError('SignerUnreachable', `${where}: this machine's clock is off (${name})${attempt}`, { cause: error }), retry: 'now' };
  }
  if (CREDENTIAL_ERRORS.test(name)) {
    return { ok: false, error: new LkpError('AwsCredentialsMissing', `AWS did not accept these credentials for ${opts.functionName} (${name}); log in again (for example \`aws sso login --profile P\`)`, { cause: error }), retry: 'no' };
  }
  if (NETWORK.test(e.code ?? '') || NETWORK.test(name)) {
    const timedOut = name === 'TimeoutError' || e.code === 'ETIMEDOUT' || /timed? ?out/i.test(e.message ?? '');
    const what = timedOut ? `did not answer in ${seconds(timeoutMs)}` : `could not be reached (${e.code ?? `${name}: ${String(e.message ?? '').slice(0, 200)}`})`;
    return { ok: false, error: markTransient(new LkpError('SignerUnreachable', `cannot reach signer ${opts.functionName}: ${where} ${what}${attempt}`, { cause: error })), retry: 'later' };
  }
  // Failed before any answer, not for the network (a bad endpoint URL, ...): asking again will not help.
  if (status === undefined) return { ok: false, error: new LkpError('SignerUnreachable', `${where} failed: ${name}: ${String(e.message ?? '').slice(0, 200)}`, { cause: error }), retry: 'no' };
  if (status === 404) return { ok: false, error: new LkpError('SignerUnreachable', `signer function ${opts.functionName} not found in ${region}`, { cause: error }), retry: 'no' };
  // Not allowed here may still be allowed at a fallback signer (another account or role).
  if (status === 401 || status === 403) {
    return { ok: false, error: new LkpError('SignerUnreachable', `not allowed to invoke ${opts.functionName} (${name}); check lambda:InvokeFunction for these credentials`, { cause: error }), retry: 'no' };
  }
  const answered = new LkpError('SignerUnreachable', `signer ${opts.functionName} answered HTTP ${status} ${name}${attempt}`, { cause: error });
  if (status === 429 || status >= 500) return { ok: false, error: markTransient(answered), retry: 'later' };
  return { ok: false, error: answered, retry: 'no' };
};

/** One Invoke through the SDK, with a progress line when it takes a few seconds. */
const invokeOnce = async (request: SignerRequestBody, opts: InvokeOptions, region: string, credentials: AwsCredentialIdentity, attempt: string, timeoutMs: number): Promise<Outcome> => {
  loaded ??= await lambdaModule();
  const client = clients({ region, credentials, timeoutMs, maxAttempts: 1 });
  const command = new loaded.InvokeCommand({ FunctionName: opts.functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(request)) });
  const timer = setTimeout(
    () => waitNotice(`waiting for ${LABEL.operation} to ${endpointOf(LABEL.endpointEnvId).where}${attempt} (gives up after ${seconds(timeoutMs)})`),
    Math.min(3_000, Math.floor(timeoutMs / 2)),
  );
  let out;
  try {
    out = await client.send(command);
  } catch (error) {
    return classifyFailure(error, opts, region, attempt, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
  if (out.FunctionError) return { ok: false, error: new LkpError('SignerError', `signer ${opts.functionName} failed (${out.FunctionError}); see its logs`), retry: 'no' };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));
  } catch {
    return { ok: false, error: new LkpError('SignerError', 'signer answered something that is not JSON'), retry: 'no' };
  }
  if (typeof body !== 'object' || body === null || (body as { version?: unknown }).version !== 1) return { ok: false, error: new LkpError('SignerError', 'signer answered an unknown response version'), retry: 'no' };
  return { ok: true, body: body as SignerResponse };
};

/**
 * Sends one request, retrying what may pass on its own (no answer, HTTP 429/5xx, a
 * `Throttled` answer) a few times with jittered back-off; returns the signer's answer
 * (a refusal included) or throws SignerUnreachable/SignerError/AwsCredentialsMissing.
 */
export const invokeSigner = async (request: SignerRequestBody, opts: InvokeOptions): Promise<SignerResponse> => {
  const timeoutMs = opts.timeoutMs ?? httpTimeoutMs();
  const credentials = await credentialsFor(opts);
  const region = regionFor(opts);
  const attempts = Math.max(1, opts.attempts ?? ATTEMPTS);
  let skewCorrected = false;
  for (let n = 1; ; n += 1) {
    // `, attempt 2/3` in messages; nothing when the caller retries on its own (attempts 1).
    const attempt = attempts > 1 ? `, attempt ${n}/${attempts}` : '';
    const outcome = await invokeOnce(request, opts, region, credentials, attempt, timeoutMs);
    // Once per call, and not counted: the SDK has just learnt AWS's clock from the refusal.
    if (!outcome.ok && outcome.retry === 'now' && !skewCorrected) {
      skewCorrected = true;
      n -= 1;
      continue;
    }
    const last = n >= attempts;
    if (outcome.ok) {
      const throttled = isErrorResponse(outcome.body) && outcome.body.error.code === 'Throttled';
      if (!throttled || last) return outcome.body;
      const wait = backoffMs(n);
      waitNotice(`signer ${opts.functionName} answered Throttled${attempt}; next try in ${seconds(wait)}`);
      await new Promise((r) => setTimeout(r, wait));
      continue;
    }
    if (outcome.retry !== 'later' || last) throw outcome.error;
    const wait = backoffMs(n);
    waitNotice(`${outcome.error.message}; next try in ${seconds(wait)}`);
    await new Promise((r) => setTimeout(r, wait));
  }
};

/** Like invokeSigner, but a refusal becomes an LkpError carrying the signer's code and message. */
export const callSigner = async <T extends SignerResponse>(request: SignerRequestBody, opts: InvokeOptions): Promise<Exclude<T, { error: unknown }>> => {
  const answer = await invokeSigner(request, opts);
  if (isErrorResponse(answer)) throw new LkpError(answer.error.code, `signer refused: ${answer.error.message}`);
  return answer as Exclude<T, { error: unknown }>;
};
