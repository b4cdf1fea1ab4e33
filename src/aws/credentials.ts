// Where lean AWS calls get credentials: the Lambda runtime's environment first (no SDK
// import on the cold path), otherwise the SDK's standard provider chain.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';

/** Resolves credentials from the environment or the SDK's default chain. */
export const defaultCredentials = async (): Promise<AwsCredentialIdentity> => {
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: token } = process.env;
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  try {
    return await fromNodeProviderChain()();
  } catch (error) {
    throw new LkpError('AwsCredentialsMissing', 'no AWS credentials found (environment, profile, SSO, instance role)', { cause: error });
  }
};
