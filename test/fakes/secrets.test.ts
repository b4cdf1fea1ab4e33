import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CredentialRegistry, assumedRole, iamUser, sdkCredentials, type TestIdentity } from './credentials.js';
import { startFakeSecrets, type FakeSecrets } from './secrets.js';

const registry = new CredentialRegistry();
const signer = registry.add(assumedRole('lkp-signer', 'lambda'));
const outsider = registry.add(iamUser('outsider'));
let sm: FakeSecrets;
const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;

const client = (identity: TestIdentity = signer, region = 'us-east-1') =>
  new SecretsManagerClient({ region, maxAttempts: 1, credentials: sdkCredentials(identity) });

beforeAll(async () => {
  sm = await startFakeSecrets({
    registry,
    authorize: (identity) => identity.arn !== outsider.arn,
    secrets: { 'lkp/ca/user': 'PRIVATE KEY v1', 'lkp/ca/bin': Buffer.from([0, 1, 2, 255]) },
  });
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.url;
});
afterAll(async () => {
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
  await sm.close();
});

describe('fake Secrets Manager through @aws-sdk/client-secrets-manager', () => {
  it('returns the current SecretString by name or ARN, and SecretBinary as bytes', async () => {
    const byName = await client().send(new GetSecretValueCommand({ SecretId: 'lkp/ca/user' }));
    expect(byName).toMatchObject({ Name: 'lkp/ca/user', SecretString: 'PRIVATE KEY v1', VersionStages: ['AWSCURRENT'] });
    expect(byName.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:111122223333:secret:lkp\/ca\/user-[A-Za-z0-9]{6}$/);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    const byArn = await client().send(new GetSecretValueCommand({ SecretId: byName.ARN }));
    expect(byArn.VersionId).toBe(byName.VersionId);
    const bin = await client().send(new GetSecretValueCommand({ SecretId: 'lkp/ca/bin' }));
    expect(Buffer.from(bin.SecretBinary ?? [])).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(sm.calls.at(-1)).toMatchObject({ target: 'secretsmanager.GetSecretValue', arn: signer.arn, region: 'us-east-1' });
    expect(sm.requests.at(-1)?.headers['content-type']).toBe('application/x-amz-json-1.1');
  });

  it('keeps AWSPREVIOUS after a rotation', async () => {
    sm.putSecret('lkp/ca/user', 'PRIVATE KEY v2');
    const cur = await client().send(new GetSecretValueCommand({ SecretId: 'lkp/ca/user' }));
    const prev = await client().send(new GetSecretValueCommand({ SecretId: 'lkp/ca/user', VersionStage: 'AWSPREVIOUS' }));
    expect(cur.SecretString).toBe('PRIVATE KEY v2');
    expect(prev.SecretString).toBe('PRIVATE KEY v1');
  });

  it('answers ResourceNotFoundException, AccessDeniedException and deleted secrets as AWS does', async () => {
    const err = await client().send(new GetSecretValueCommand({ SecretId: 'nope' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret.", $metadata: { httpStatusCode: 400 } });
    await expect(client(signer, 'eu-west-1').send(new GetSecretValueCommand({ SecretId: 'lkp/ca/user' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client(outsider).send(new GetSecretValueCommand({ SecretId: 'lkp/ca/user' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    sm.putSecret('doomed', 'x');
    sm.deleteSecret('doomed');
    await expect(client().send(new GetSecretValueCommand({ SecretId: 'doomed' }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });

  it('refuses a bad signature and an unknown key', async () => {
    const bad = new SecretsManagerClient({ region: 'us-east-1', maxAttempts: 1, credentials: { ...sdkCredentials(signer), secretAccessKey: 'nope' } });
    await expect(bad.send(new GetSecretValueCommand({ SecretId: 'lkp/ca/user' }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    await expect(client(iamUser('ghost')).send(new GetSecretValueCommand({ SecretId: 'lkp/ca/user' }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
  });
});
