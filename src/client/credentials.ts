// The person's AWS credentials, from the SDK's standard chain (environment, profile, IAM
// Identity Center, process). When there are none, or they expired, say how to log in.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether PROFILE is named in the AWS config or credentials file (the SDK's own locations). */
const profileExists = async (profile: string): Promise<boolean> => {
  const home = os.homedir();
  const files: Array<[string, RegExp]> = [
    [process.env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config'), new RegExp(`^\\s*\\[\\s*(profile\\s+)?${escapeRe(profile)}\\s*\\]`, 'm')],
    [process.env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials'), new RegExp(`^\\s*\\[\\s*${escapeRe(profile)}\\s*\\]`, 'm')],
  ];
  for (const [file, re] of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (re.test(text)) return true;
  }
  return false;
};

/** Resolves credentials for `profile` (or the default chain). */
export const personCredentials = async (profile?: string): Promise<AwsCredentialIdentity> => {
  if (!profile && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}) };
  }
  const { fromNodeProviderChain } = await import('../aws/sdk/credential-providers.js');
  let creds: AwsCredentialIdentity;
  try {
    creds = await fromNodeProviderChain(profile ? { profile } : {})();
  } catch (error) {
    // Logging in cannot help with a profile that is not there: say so instead.
    if (profile && !(await profileExists(profile))) {
      throw new LkpError('ConfigInvalid', `AWS profile ${profile} does not exist (not in ${process.env.AWS_CONFIG_FILE || '~/.aws/config'} or ${process.env.AWS_SHARED_CREDENTIALS_FILE || '~/.aws/credentials'}); list them with \`aws configure list-profiles\``, { cause: error });
    }
    const how = profile ? `aws sso login --profile ${profile}` : 'aws sso login --profile PROFILE (then --profile PROFILE or AWS_PROFILE)';
    throw new LkpError('AwsCredentialsMissing', `no usable AWS credentials${profile ? ` for profile ${profile}` : ''}: ${(error as Error).message.split('\n')[0]}; log in with \`${how}\``, { cause: error });
  }
  if (creds.expiration && creds.expiration.getTime() <= Date.now()) {
    throw new LkpError('AwsCredentialsMissing', `the AWS credentials${profile ? ` for profile ${profile}` : ''} have expired; log in again with \`aws sso login${profile ? ` --profile ${profile}` : ''}\``);
  }
  return creds;
};
