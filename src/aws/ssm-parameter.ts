// Reads an SSM parameter (SecureString decrypted): the signer's policy or a CA key.
import type { AwsCredentialIdentity } from '@smithy/types';
import { LkpError } from '../errors.js';
import { defaultCredentials } from './credentials.js';
import { awsJsonCall } from './json-call.js';

/** The parameter's value; throws AwsError when it cannot be read. */
export const fetchSsmParameter = async (name: string, region: string, credentials?: AwsCredentialIdentity): Promise<string> => {
  const doc = await awsJsonCall({
    service: 'ssm',
    endpointEnvId: 'SSM',
    target: 'AmazonSSM.GetParameter',
    region,
    credentials: credentials ?? (await defaultCredentials()),
    input: { Name: name, WithDecryption: true },
  });
  const value = (doc.Parameter as { Value?: unknown } | undefined)?.Value;
  if (typeof value !== 'string') throw new LkpError('AwsError', `SSM parameter ${name} has no value`);
  return value;
};
