// What every SDK v3 client lkp builds has in common: the region, credentials (an identity,
// a refreshing provider, or the SDK's own default chain), bounded timeouts, the SDK's
// retry strategy, and one mapping of SDK failures to lkp's error codes. Endpoints come
// from the SDK itself (AWS_ENDPOINT_URL_<SERVICE>, AWS_USE_FIPS_ENDPOINT, ...).
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { LkpError } from '../errors.js';

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface ClientOptions {
  readonly region: string;
  /** Omitted: the SDK's default provider chain, which refreshes before expiry. */
  readonly credentials?: Credentials;
  /** Per attempt, milliseconds (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts including the first (default 3). */
  readonly maxAttempts?: number;
  /** `adaptive` also rate-limits this client after throttling (a boot storm). */
  readonly retryMode?: 'standard' | 'adaptive';
}

/** The configuration object every lkp SDK client is built with. */
export const clientConfig = (o: ClientOptions) => ({
  region: o.region,
  ...(o.credentials ? { credentials: o.credentials } : {}),
  maxAttempts: o.maxAttempts ?? 3,
  retryMode: o.retryMode ?? 'standard',
  requestHandler: { connectionTimeout: Math.min(o.timeoutMs ?? 10_000, 5_000), requestTimeout: o.timeoutMs ?? 10_000 },
});

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
 * Turns an SDK failure of `operation` (e.g. `ec2:DescribeInstances`) into an LkpError:
 * Throttled when AWS kept saying slow down after the SDK's retries, AwsCredentialsMissing
 * for credentials AWS does not accept, AwsError otherwise. Network failures name the
 * environment variable that steers the endpoint.
 */
export const sdkFailure = (operation: string, endpointEnvId: string, error: unknown): LkpError => {
  if (error instanceof LkpError) return error;
  const name = sdkErrorName(error);
  if (THROTTLING.has(name)) return new LkpError('Throttled', `${operation} was throttled by AWS after retries: ${describe(error)}`, { cause: error });
  if (CREDENTIALS.has(name)) return new LkpError('AwsCredentialsMissing', `${operation}: AWS did not accept the credentials: ${describe(error)}`, { cause: error });
  const override = process.env[`AWS_ENDPOINT_URL_${endpointEnvId}`] ?? process.env.AWS_ENDPOINT_URL;
  const where = override ? ` at ${override} (AWS_ENDPOINT_URL_${endpointEnvId})` : '';
  const code = (error as { code?: string })?.code ?? name;
  if (NETWORK.has(code) || NETWORK.has(name)) return new LkpError('AwsError', `${operation}${where} could not be reached: ${describe(error)}`, { cause: error });
  return new LkpError('AwsError', `${operation}${where} failed: ${describe(error)}`, { cause: error });
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
