// Reads a Secrets Manager secret string through @aws-sdk/client-secrets-manager: where a
// CA private key (file-format) may live. Errors name the secret, never its content.
import { LkpError } from '../errors.js';
import { clientConfig, sdkFailure, withProgress, type Credentials } from './sdk-options.js';

const LABEL = { operation: 'Secrets Manager GetSecretValue', endpointEnvId: 'SECRETS_MANAGER' };

/** The secret's current string value. */
export const fetchSecretString = async (secretId: string, region: string, credentials?: Credentials): Promise<string> => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('./sdk/secrets-manager.js');
  let value: string | undefined;
  try {
    const client = withProgress(new SecretsManagerClient(clientConfig({ region, ...(credentials ? { credentials } : {}) })), LABEL);
    value = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    throw sdkFailure(LABEL, error, secretId);
  }
  if (typeof value !== 'string') throw new LkpError('AwsError', `secret ${secretId} has no SecretString (store the OpenSSH private key as text)`);
  return value;
};
