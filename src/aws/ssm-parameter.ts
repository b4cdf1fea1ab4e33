// Reads an SSM parameter (SecureString decrypted) through @aws-sdk/client-ssm: the
// signer's policy, or a CA key.
import { LkpError } from '../errors.js';
import { clientConfig, sdkFailure, withProgress, type Credentials } from './sdk-options.js';

const LABEL = { operation: 'SSM GetParameter', endpointEnvId: 'SSM' };

/** The parameter's value; throws AwsError when it cannot be read. */
export const fetchSsmParameter = async (name: string, region: string, credentials?: Credentials): Promise<string> => {
  const { SSMClient, GetParameterCommand } = await import('./sdk/ssm.js');
  let value: string | undefined;
  try {
    const client = withProgress(new SSMClient(clientConfig({ region, ...(credentials ? { credentials } : {}) })), LABEL);
    value = (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
  } catch (error) {
    throw sdkFailure(LABEL, error, name);
  }
  if (typeof value !== 'string') throw new LkpError('AwsError', `SSM parameter ${name} has no value`);
  return value;
};
