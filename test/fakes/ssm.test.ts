import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CredentialRegistry, assumedRole, iamUser, sdkCredentials, type TestIdentity } from './credentials.js';
import { fakeCiphertext, startFakeSsm, type FakeSsm } from './ssm.js';

const registry = new CredentialRegistry();
const signer = registry.add(assumedRole('lkp-signer', 'lambda'));
const outsider = registry.add(iamUser('outsider'));
let ssm: FakeSsm;
const saved = process.env.AWS_ENDPOINT_URL_SSM;

const client = (identity: TestIdentity = signer) => new SSMClient({ region: 'us-east-1', maxAttempts: 1, credentials: sdkCredentials(identity) });

beforeAll(async () => {
  ssm = await startFakeSsm({
    registry,
    authorize: (identity) => identity.arn !== outsider.arn,
    parameters: { '/lkp/ca/host': 'PRIVATE KEY', '/lkp/config': { type: 'String', value: 'plain' } },
  });
  process.env.AWS_ENDPOINT_URL_SSM = ssm.url;
});
afterAll(async () => {
  process.env.AWS_ENDPOINT_URL_SSM = saved;
  await ssm.close();
});

describe('fake SSM through @aws-sdk/client-ssm', () => {
  it('decrypts a SecureString only WithDecryption', async () => {
    const clear = await client().send(new GetParameterCommand({ Name: '/lkp/ca/host', WithDecryption: true }));
    expect(clear.Parameter).toMatchObject({
      Name: '/lkp/ca/host',
      Type: 'SecureString',
      Value: 'PRIVATE KEY',
      Version: 1,
      ARN: 'arn:aws:ssm:us-east-1:111122223333:parameter/lkp/ca/host',
      DataType: 'text',
    });
    expect(clear.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    const sealed = await client().send(new GetParameterCommand({ Name: '/lkp/ca/host' }));
    expect(sealed.Parameter?.Value).toBe(fakeCiphertext('PRIVATE KEY'));
    expect(ssm.calls.at(-1)).toMatchObject({ target: 'AmazonSSM.GetParameter', input: { Name: '/lkp/ca/host' }, arn: signer.arn });
  });

  it('reads by ARN and by :VERSION selector', async () => {
    ssm.putParameter('/lkp/ca/host', 'PRIVATE KEY 2');
    const latest = await client().send(new GetParameterCommand({ Name: ssm.parameterArn('/lkp/ca/host'), WithDecryption: true }));
    expect(latest.Parameter).toMatchObject({ Value: 'PRIVATE KEY 2', Version: 2 });
    const v1 = await client().send(new GetParameterCommand({ Name: '/lkp/ca/host:1', WithDecryption: true }));
    expect(v1.Parameter).toMatchObject({ Value: 'PRIVATE KEY', Version: 1, Selector: ':1' });
    const plain = await client().send(new GetParameterCommand({ Name: '/lkp/config' }));
    expect(plain.Parameter?.Value).toBe('plain');
  });

  it('answers ParameterNotFound, ParameterVersionNotFound and AccessDeniedException', async () => {
    const err = await client().send(new GetParameterCommand({ Name: '/nope' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ParameterNotFound', $metadata: { httpStatusCode: 400 } });
    await expect(client().send(new GetParameterCommand({ Name: '/lkp/ca/host:9' }))).rejects.toMatchObject({ name: 'ParameterVersionNotFound' });
    await expect(client(outsider).send(new GetParameterCommand({ Name: '/lkp/ca/host' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('refuses a bad signature and an unknown key', async () => {
    const bad = new SSMClient({ region: 'us-east-1', maxAttempts: 1, credentials: { ...sdkCredentials(signer), secretAccessKey: 'nope' } });
    await expect(bad.send(new GetParameterCommand({ Name: '/lkp/ca/host' }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    await expect(client(iamUser('ghost')).send(new GetParameterCommand({ Name: '/lkp/ca/host' }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });
});
