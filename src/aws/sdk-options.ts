// What every SDK v3 client lkp builds has in common: the region, credentials (an identity,
// a refreshing provider, or the SDK's own default chain), bounded timeouts, the SDK's
// retry strategy, and one mapping of SDK failures to lkp's error codes. Endpoints come
// from the SDK itself (AWS_ENDPOINT_URL_<SERVICE>, AWS_USE_FIPS_ENDPOINT, ...).
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { LkpError } from '../errors.js';
import { httpTimeoutMs, waitNotice } from './http.js';

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface ClientOptions {
  readonly region: string;
  /** Omitted: the SDK's default provider chain, which refreshes before expiry. */
  readonly credentials?: Credentials;
  /** Per attempt, milliseconds (default LKP_HTTP_TIMEOUT_MS, else 10 s). */
  readonly timeoutMs?: number;
  /** Attempts including the first (default 3). */
  readonly maxAttempts?: number;
  /** `adaptive` also rate-limits this client after throttling (a boot storm). */
  readonly retryMode?: 'standard' | 'adaptive';
}

/** The configuration object every lkp SDK client is built with. */
export const clientConfig = (o: ClientOptions) => {
  const timeout = o.timeoutMs ?? httpTimeoutMs();
  return {
    region: o.region,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    maxAttempts: o.maxAttempts ?? 3,
    retryMode: o.retryMode ?? 'standard',
    // Without throwOnRequestTimeout the handler only warns and waits for ever.
    requestHandler: { connectionTimeout: Math.min(timeout, 5_000), requestTimeout: timeout, throwOnRequestTimeout: true },
  };
};

/** What an operation is, for people: `EC2 DescribeInstances` and the variable steering its endpoint. */
export interface OperationLabel {
  readonly operation: string;
  /** Suffix of AWS_ENDPOINT_URL_<ID>: `EC2`, `IAM`, `LAMBDA`, ... */
  readonly endpointEnvId: string;
}

/** Where a service's requests go, for messages, and the variable that steers it. */
export const endpointOf = (endpointEnvId: string): { where: string; variable: string } => {
  const variable = `AWS_ENDPOINT_URL_${endpointEnvId}`;
  const override = process.env[variable] ?? process.env.AWS_ENDPOINT_URL;
  return { where: override ? `${override.replace(/\/$/, '')} (${process.env[variable] ? variable : 'AWS_ENDPOINT_URL'})` : `the AWS endpoint (${variable} overrides it)`, variable };
};

interface Stack {
  add(middleware: (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => Promise<unknown>, options: { step: 'finalizeRequest'; priority: 'low'; name: string }): void;
}

/**
 * Adds a middleware inside the SDK's retry loop: when one attempt has waited a few seconds,
 * stderr says which operation waits on which endpoint, and which attempt of how many.
 */
export const withProgress = <C extends { middlewareStack: unknown }>(client: C, label: OperationLabel, timeoutMs = httpTimeoutMs()): C => {
  const afterMs = Math.min(3_000, Math.floor(timeoutMs / 2));
  const limit = `${Number((timeoutMs / 1000).toFixed(1))} s`;
  (client.middlewareStack as Stack).add(
    (next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      const m = /attempt=(\d+); max=(\d+)/.exec(headers['amz-sdk-request'] ?? '');
      const attempt = m ? `, attempt ${m[1]}/${m[2]}` : '';
      const timer = setTimeout(() => waitNotice(`waiting for ${label.operation} to ${endpointOf(label.endpointEnvId).where}${attempt} (gives up after ${limit})`), afterMs);
      try {
        return await next(args);
      } finally {
        clearTimeout(timer);
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'lkpProgress' },
  );
  return client;
};

/** Error names AWS uses for "slow down"; the signer turns them into its Throttled answer. */
const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'EC2ThrottledException',
]);

const CREDENTIALS = new Set(['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'CredentialsProviderError', 'TokenProviderError']);

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError', 'RequestTimeout']);

/** The name of an SDK error (its AWS error code) and a short message, never a stack. */
export const sdkErrorName = (error: unknown): string => {
  const e = error as { name?: string; code?: string; Code?: string };
  return e?.Code ?? e?.name ?? e?.code ?? 'Error';
};

const describe = (error: unknown): string => {
  const e = error as { message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  return `${sdkErrorName(error)}${status ? ` (HTTP ${status})` : ''}: ${String(e?.message ?? error).slice(0, 300)}`;
};

/**
 * Turns an SDK failure into an LkpError: Throttled when AWS kept saying slow down after the
 * SDK's retries, AwsCredentialsMissing for credentials AWS does not accept, AwsError
 * otherwise. Messages name the operation (`EC2 DescribeInstances`), the endpoint and the
 * variable that steers it; `detail` (a key id, an instance) is added when given.
 */
export const sdkFailure = (label: OperationLabel, error: unknown, detail = ''): LkpError => {
  if (error instanceof LkpError) return error;
  const what = `${label.operation}${detail ? ` ${detail}` : ''}`;
  const name = sdkErrorName(error);
  if (THROTTLING.has(name)) return new LkpError('Throttled', `${what} was throttled by AWS after retries: ${describe(error)}`, { cause: error });
  if (CREDENTIALS.has(name)) return new LkpError('AwsCredentialsMissing', `${what}: AWS did not accept the credentials: ${describe(error)}`, { cause: error });
  const { where } = endpointOf(label.endpointEnvId);
  const about = detail ? ` (${detail})` : '';
  const code = (error as { code?: string })?.code ?? name;
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
    return new LkpError('AwsError', `${label.operation} to ${where} did not answer in ${Number((httpTimeoutMs() / 1000).toFixed(1))} s per attempt${about}`, { cause: error });
  }
  if (NETWORK.has(code) || NETWORK.has(name)) return new LkpError('AwsError', `${label.operation} to ${where} could not be reached${about}: ${describe(error)}`, { cause: error });
  return new LkpError('AwsError', `${label.operation} to ${where} failed${about}: ${describe(error)}`, { cause: error });
};

/** One client per (key, region, credentials), reused across calls in this process. */
export const clientCache = <C>(make: (o: ClientOptions) => C): ((o: ClientOptions) => C) => {
  const byCredentials = new WeakMap<object, Map<string, C>>();
  const ambient = new Map<string, C>();
  return (o) => {
    const key = `${o.region}|${o.timeoutMs ?? ''}|${o.maxAttempts ?? ''}|${o.retryMode ?? ''}`;
    let map = ambient;
    if (o.credentials) {
      map = byCredentials.get(o.credentials) ?? new Map<string, C>();
      byCredentials.set(o.credentials, map);
    }
    let client = map.get(key);
    if (!client) {
      client = make(o);
      map.set(key, client);
    }
    return client;
  };
};
