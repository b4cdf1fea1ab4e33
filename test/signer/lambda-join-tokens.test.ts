// The Lambda handler (src/signer/lambda.ts, in this process as the Lambda runtime would
// load it) with join tokens: the key in KMS (HMAC_256, the signer may only kms:VerifyMac)
// and the ledger in DynamoDB, against moto with IAM enforced. A token is spent for one
// request across containers (that request again is a re-issue for the same key); a Lambda config whose ledger is per container is refused.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lkp } from '../helpers/lkp.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startMoto, type Moto, type MotoCredentials } from '../helpers/moto.js';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';
import { onCleanup } from '../helpers/temp.js';

const TABLE = 'lkp-join-tokens';
type Handler = (event: unknown, context?: { awsRequestId?: string }) => Promise<unknown>;

describe('Lambda handler with join tokens (KMS key, DynamoDB ledger; moto, IAM enforced)', () => {
  let moto: Moto;
  let ca: LocalCa;
  let starter: Record<string, unknown>;
  let keyArn: string;
  let signerCreds: MotoCredentials;
  let hostKey: string;
  let otherKey: string;
  const savedEnv = { ...process.env };

  /** A fresh container: the handler module loaded anew with this config. */
  const container = async (joinTokens: Record<string, unknown>, name: string): Promise<Handler> => {
    const file = path.join(ca.dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ ...starter, joinTokens }));
    process.env.LKP_CONFIG_FILE = file;
    vi.resetModules();
    return ((await import('../../src/signer/lambda.js')) as { handler: Handler }).handler;
  };
  const aws = { kmsKey: { keyId: '' }, ledger: { store: 'dynamodb', table: TABLE }, maxTtl: '1h' };
  const hostCert = (handler: Handler, token: string, publicKey = hostKey) => handler({ version: 1, action: 'host-cert', identity: { method: 'join-token', token }, publicKeys: [publicKey] }, { awsRequestId: 'r-1' }) as Promise<Record<string, unknown>>;
  const code = (body: Record<string, unknown>) => (body.error as { code?: string } | undefined)?.code;

  beforeAll(async () => {
    moto = await startMoto();
    onCleanup(() => moto.close());
    keyArn = (await new KMSClient(moto.client()).send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata?.Arn ?? '';
    aws.kmsKey.keyId = keyArn;
    const ddb = new DynamoDBClient(moto.client());
    await ddb.send(new CreateTableCommand({ TableName: TABLE, AttributeDefinitions: [{ AttributeName: 'tokenId', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'tokenId', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } }));
    // The function's role: verify MACs and write the ledger, nothing else (moto checks KMS actions on "*" only).
    const iam = new IAMClient(moto.client());
    await iam.send(new CreateUserCommand({ UserName: 'lkp-signer-fn' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'lkp-signer-fn', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['kms:VerifyMac', 'dynamodb:PutItem'], Resource: '*' }] }) }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'lkp-signer-fn' }));
    signerCreds = { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' };
    ca = await makeLocalCa();
    starter = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, unknown>;
    // A Lambda cannot keep revocations in the starter's file (lambdaConfigProblem); this test is about tokens.
    delete starter.revocations;
    const keyDir = tempDir();
    hostKey = readPub(await genKey(keyDir, 'host'));
    otherKey = readPub(await genKey(keyDir, 'other'));
    Object.assign(process.env, moto.env(signerCreds));
  }, 120_000);

  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
  });

  it('ok/accepts a join token with the DynamoDB ledger; the same token for another key is refused, in this container and in another; the same request is issued again', async () => {
    const first = await container(aws, 'lambda-a');
    const minted = await lkp(['signer', 'token', 'create', '--config', process.env.LKP_CONFIG_FILE as string, '--principal', 'web-1'], { env: moto.env() });
    expect(minted.stderr).toBe('');
    const token = minted.stdout.trim();
    const issued = await hostCert(first, token);
    expect(code(issued)).toBeUndefined();
    expect((issued.certificates as Array<{ principals: string[] }>)[0]!.principals).toEqual(['web-1']);
    expect(code(await hostCert(first, token, otherKey))).toBe('Unauthenticated');
    const second = await container(aws, 'lambda-b');
    expect(code(await hostCert(second, token, otherKey))).toBe('Unauthenticated');
    const retried = await hostCert(second, token);
    expect(code(retried)).toBeUndefined();
    expect((retried.certificates as Array<{ keyFingerprint: string }>)[0]!.keyFingerprint).toBe((issued.certificates as Array<{ keyFingerprint: string }>)[0]!.keyFingerprint);
  });

  it('fail/a Lambda config with join tokens but a file or memory ledger refuses to start (ConfigInvalid)', async () => {
    for (const [name, joinTokens] of [
      ['file-ledger', { keyFile: 'join_token.key', ledgerFile: 'used_tokens.jsonl' }],
      ['memory-ledger', { kmsKey: { keyId: keyArn } }],
    ] as const) {
      const handler = await container(joinTokens, name);
      await expect(handler({ version: 1, action: 'ca-keys' }), name).rejects.toMatchObject({ code: 'ConfigInvalid', message: expect.stringMatching(/dynamodb|DynamoDB/) });
    }
  });
});
