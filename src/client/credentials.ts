// The person's AWS credentials, from the SDK's standard chain (environment, profile, IAM
// Identity Center, process). When there are none, or they expired, say how to log in.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';

/** Resolves credentials for `profile` (or the default chain). */
export const personCredentials = async (profile?: string): Promise<AwsCredentialIdentity> => {
  if (!profile && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}) };
  }
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  let creds: AwsCredentialIdentity;
  try {
    creds = await fromNodeProviderChain(profile ? { profile } : {})();
  } catch (error) {
    const how = profile ? `aws sso login --profile ${profile}` : 'aws sso login --profile PROFILE (then --profile PROFILE or AWS_PROFILE)';
    throw new LkpError('AwsCredentialsMissing', `no usable AWS credentials${profile ? ` for profile ${profile}` : ''}: ${(error as Error).message.split('\n')[0]}; log in with \`${how}\``, { cause: error });
  }
  if (creds.expiration && creds.expiration.getTime() <= Date.now()) {
    throw new LkpError('AwsCredentialsMissing', `the AWS credentials${profile ? ` for profile ${profile}` : ''} have expired; log in again with \`aws sso login${profile ? ` --profile ${profile}` : ''}\``);
  }
  return creds;
};
