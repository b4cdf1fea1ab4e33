// Where lean AWS calls get credentials: the Lambda runtime's environment first (no SDK
// import on the cold path), otherwise the SDK's standard provider chain. The chain is made
// once per process and asked on every call: the SDK memoizes what it resolves and resolves
// again within five minutes of expiry, so instance-role, SSO and assumed-role credentials
// of a long-running `lkp signer serve` never go stale. Callers must not cache the result.
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { LkpError } from '../errors.js';

let chain: Promise<AwsCredentialIdentityProvider> | undefined;

const providerChain = (): Promise<AwsCredentialIdentityProvider> =>
  (chain ??= import('./sdk/credential-providers.js').then(({ fromNodeProviderChain }) => fromNodeProviderChain()));

/** Resolves credentials from the environment or the SDK's default chain; fresh on every call. */
export const defaultCredentials = async (): Promise<AwsCredentialIdentity> => {
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: token } = process.env;
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
  const provider = await providerChain();
  try {
    return await provider();
  } catch (error) {
    throw new LkpError('AwsCredentialsMissing', 'no AWS credentials found (environment, profile, SSO, instance role)', { cause: error });
  }
};
