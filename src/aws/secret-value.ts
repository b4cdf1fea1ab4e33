// Reads a Secrets Manager secret string: where a production CA private key lives.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import { defaultCredentials } from './credentials.js';
import { awsJsonCall } from './json-call.js';

/** The secret's current string value. */
export const fetchSecretString = async (secretId: string, region: string, credentials?: AwsCredentialIdentity): Promise<string> => {
  const doc = await awsJsonCall({
    service: 'secretsmanager',
    endpointEnvId: 'SECRETS_MANAGER',
    target: 'secretsmanager.GetSecretValue',
    region,
    credentials: credentials ?? (await defaultCredentials()),
    input: { SecretId: secretId },
  });
  if (typeof doc.SecretString !== 'string') throw new LkpError('AwsError', `secret ${secretId} has no SecretString (store the OpenSSH private key as text)`);
  return doc.SecretString;
};
