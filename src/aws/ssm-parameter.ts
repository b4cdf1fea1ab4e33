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

export interface SsmParameterVersion {
  readonly value: string;
  readonly type: 'String' | 'SecureString' | 'StringList';
  readonly version: number;
}

/** The parameter's value, type and version (for an edit that must not lose someone else's). */
export const fetchSsmParameterVersion = async (name: string, region: string): Promise<SsmParameterVersion> => {
  const { SSMClient, GetParameterCommand } = await import('./sdk/ssm.js');
  let p;
  try {
    const client = withProgress(new SSMClient(clientConfig({ region })), LABEL);
    p = (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter;
  } catch (error) {
    throw sdkFailure(LABEL, error, name);
  }
  if (typeof p?.Value !== 'string') throw new LkpError('AwsError', `SSM parameter ${name} has no value`);
  return { value: p.Value, type: (p.Type ?? 'String') as SsmParameterVersion['type'], version: p.Version ?? 0 };
};

/** Overwrites the parameter with a new value of the same type (SSM keeps the old version in its history). */
export const putSsmParameter = async (name: string, region: string, value: string, type: SsmParameterVersion['type']): Promise<number> => {
  const { SSMClient, PutParameterCommand } = await import('./sdk/ssm.js');
  const label = { operation: 'SSM PutParameter', endpointEnvId: 'SSM' };
  try {
    const client = withProgress(new SSMClient(clientConfig({ region })), label);
    return (await client.send(new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true }))).Version ?? 0;
  } catch (error) {
    throw sdkFailure(label, error, name);
  }
};
