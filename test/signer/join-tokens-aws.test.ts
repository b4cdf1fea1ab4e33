// Join tokens with the key in KMS and the ledger in DynamoDB, against moto with IAM
// enforced, from the holder's and the operator's side: real `lkp signer serve` processes
// acting as a signer identity that may only kms:VerifyMac and dynamodb:PutItem, tokens
// minted by `lkp signer token create` with the operator's kms:GenerateMac.
// moto 5.2.1 evaluates KMS actions against Resource "*" only (see kms-moto.test.ts), so the
// policies here grant their actions on "*"; the deploy template scopes them to the key and table.
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJoinToken, type JoinTokenClaims } from '../../src/signer/identity/join-token.js';
import { formatPublicKey } from '../../src/ssh/public-key.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startMoto, type Moto, type MotoCredentials } from '../helpers/moto.js';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';
import { onCleanup } from '../helpers/temp.js';

const TABLE = 'lkp-join-tokens';

/** A fresh ed25519 public key line (the private half is not needed: nobody logs in). */
const freshKey = (): string => {
  const x = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x ?? '';
  return formatPublicKey({ kind: 'ed25519', type: 'ssh-ed25519', key: Buffer.from(x, 'base64url') });
};

describe('join tokens with a KMS HMAC key and a DynamoDB ledger (moto, IAM enforced)', () => {
  let moto: Moto;
  let ca: LocalCa;
  let config: string;
  let keyArn: string;
  let signerCreds: MotoCredentials;
  let hostKey: string;
  const signers: LocalSigner[] = [];

  const makeUser = async (iam: IAMClient, name: string, actions: string[]): Promise<MotoCredentials> => {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (actions.length > 0) {
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }) }));
    }
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' };
  };

  beforeAll(async () => {
    moto = await startMoto();
    onCleanup(() => moto.close());
    const kms = new KMSClient(moto.client());
    keyArn = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Description: 'lkp join-token key' }))).KeyMetadata?.Arn ?? '';
    const ddb = new DynamoDBClient(moto.client());
    await ddb.send(new CreateTableCommand({ TableName: TABLE, AttributeDefinitions: [{ AttributeName: 'tokenId', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'tokenId', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } }));
    signerCreds = await makeUser(new IAMClient(moto.client()), 'lkp-signer', ['kms:VerifyMac', 'dynamodb:PutItem']);

    // The starter CA from `lkp ca init`, its token key moved to KMS and its ledger to DynamoDB.
    ca = await makeLocalCa();
    const doc = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, unknown>;
    doc.joinTokens = { kmsKey: { keyId: keyArn }, ledger: { store: 'dynamodb', table: TABLE }, maxTtl: '1h' };
    config = path.join(ca.dir, 'signer-aws.json');
    writeFileSync(config, JSON.stringify(doc));
    hostKey = readPub(await genKey(tempDir(), 'host'));
    for (let i = 0; i < 4; i += 1) signers.push(await startLocalSigner(config, [], moto.env(signerCreds)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(signers.map((s) => s.stop()));
  });

  const mint = async (principal: string, creds?: MotoCredentials) => lkp(['signer', 'token', 'create', '--config', config, '--principal', principal], { env: moto.env(creds) });
  const hostCert = (token: string, url: string, publicKey = hostKey) => invokeJson(lambdaClient(url), { version: 1, action: 'host-cert', identity: { method: 'join-token', token }, publicKeys: [publicKey] });
  const fingerprints = (body: Record<string, unknown>) => (body.certificates as Array<{ keyFingerprint: string }>).map((c) => c.keyFingerprint);
  const code = (body: Record<string, unknown>) => (body.error as { code?: string } | undefined)?.code;

  it('ok/lkp signer token create mints through kms:GenerateMac with the operator credentials; the signer identity cannot mint', async () => {
    const minted = await mint('web-1');
    expect(minted.stderr).toBe('');
    expect(minted.stdout).toMatch(/^lkpjt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\n$/);
    // The signer may verify (kms:VerifyMac) but not mint (no kms:GenerateMac): moto says AccessDenied.
    const denied = await mint('web-1', signerCreds);
    expect(denied.code).toBe(34); // AwsError
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toContain('GenerateMac');
    // ...while the token the operator minted verifies on the signer.
    const answer = await hostCert(minted.stdout.trim(), signers[0]!.url);
    expect(code(answer.body)).toBeUndefined();
    expect((answer.body.certificates as Array<{ principals: string[] }>)[0]!.principals).toEqual(['web-1']);
  });

  it('fail/4 signer processes sharing one DynamoDB table, 50 parallel redemptions of one token with 50 different keys: exactly 1 certificate', async () => {
    const token = (await mint('web-7')).stdout.trim();
    const keys = Array.from({ length: 50 }, freshKey);
    const answers = await Promise.all(keys.map((k, i) => hostCert(token, signers[i % 4]!.url, k)));
    expect(answers.every((a) => a.functionError === undefined)).toBe(true);
    expect(answers.filter((a) => Array.isArray(a.body.certificates))).toHaveLength(1);
    expect(answers.filter((a) => a.body.error !== undefined).map((a) => code(a.body))).toEqual(Array.from({ length: 49 }, () => 'Unauthenticated'));
    // The ledger entry carries a TTL (epoch seconds) after the token's own expiry.
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as { jti: string; exp: number };
    const item = await new DynamoDBClient(moto.client()).send(new GetItemCommand({ TableName: TABLE, Key: { tokenId: { S: claims.jti } }, ConsistentRead: true }));
    expect(Number(item.Item?.ttl?.N)).toBeGreaterThanOrEqual(claims.exp);
  });

  it('ok/the same request sent again (after the first completed, and 20 times at once across 4 processes) gets certificates for that one key; the attacker\'s key is refused', async () => {
    const token = (await mint('web-12')).stdout.trim();
    const first = await hostCert(token, signers[0]!.url);
    expect(code(first.body)).toBeUndefined();
    const again = await hostCert(token, signers[1]!.url);
    expect(code(again.body)).toBeUndefined();
    expect(fingerprints(again.body)).toEqual(fingerprints(first.body));
    expect(code((await hostCert(token, signers[2]!.url, freshKey())).body)).toBe('Unauthenticated');

    const racing = (await mint('web-13')).stdout.trim();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => hostCert(racing, signers[i % 4]!.url)));
    expect(answers.every((a) => a.functionError === undefined)).toBe(true);
    expect(answers.map((a) => code(a.body))).toEqual(Array.from({ length: 20 }, () => undefined));
    expect(new Set(answers.flatMap((a) => fingerprints(a.body)))).toEqual(new Set(fingerprints(first.body)));
    expect(code((await hostCert(racing, signers[3]!.url, freshKey())).body)).toBe('Unauthenticated');
  });

  it('fail/a tampered or forged token is refused by the KMS MAC check; the genuine token still works', async () => {
    const token = (await mint('web-8')).stdout.trim();
    const [prefix, payload, mac] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JoinTokenClaims;
    const altered = `${prefix}.${Buffer.from(JSON.stringify({ ...claims, principals: ['web-9'] })).toString('base64url')}.${mac}`;
    const otherKey = createJoinToken(randomBytes(32), { ...claims, jti: randomUUID() });
    const flipped = `${prefix}.${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    for (const forged of [altered, otherKey, flipped]) {
      const answer = await hostCert(forged, signers[1]!.url);
      expect(answer.functionError).toBeUndefined();
      expect(code(answer.body)).toBe('Unauthenticated');
    }
    expect(code((await hostCert(token, signers[2]!.url)).body)).toBeUndefined();
  });

  it('fail/a signer that may not write the ledger denies with Internal; the audit line names the DynamoDB failure and the token stays usable', async () => {
    const noLedger = await makeUser(new IAMClient(moto.client()), 'lkp-signer-no-ledger', ['kms:VerifyMac']);
    const signer = await startLocalSigner(config, [], moto.env(noLedger));
    signers.push(signer);
    const token = (await mint('web-10')).stdout.trim();
    const answer = await hostCert(token, signer.url);
    expect(answer.functionError).toBeUndefined();
    expect(code(answer.body)).toBe('Internal');
    expect(JSON.stringify(answer.body)).not.toContain(TABLE);
    const audit = (await signer.waitForAudit(1)).find((a) => a.code === 'Internal') as { reason?: string } | undefined;
    expect(audit?.reason).toContain('DynamoDB PutItem');
    expect(code((await hostCert(token, signers[3]!.url)).body)).toBeUndefined();
  });

  it('ok/a PutItem whose answer is lost is retried by the SDK and still counts as this redemption, not as "already used"', async () => {
    // A proxy in front of moto that lets the first PutItem reach DynamoDB, then drops the
    // connection instead of passing the answer on: the write happened, the signer never heard.
    let dropped = 0;
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const upstream = http.request(`${moto.url}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            if (String(req.headers['x-amz-target']).endsWith('.PutItem') && dropped === 0) {
              dropped += 1;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 500, answer.headers).end(Buffer.concat(body));
          });
        });
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const lossy = await startLocalSigner(config, [], { ...moto.env(signerCreds), AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
    signers.push(lossy);
    const token = (await mint('web-11')).stdout.trim();
    const answer = await hostCert(token, lossy.url);
    expect(dropped).toBe(1);
    expect(code(answer.body)).toBeUndefined();
    expect(Array.isArray(answer.body.certificates)).toBe(true);
    expect(code((await hostCert(token, signers[0]!.url, freshKey())).body)).toBe('Unauthenticated');
  });

  it('fail/a signer identity without kms:VerifyMac on the token key refuses to start', async () => {
    const noVerify = await makeUser(new IAMClient(moto.client()), 'lkp-signer-no-verify', ['dynamodb:PutItem']);
    const r = await lkp(['signer', 'serve', '--config', config, '--listen', '127.0.0.1:0'], { env: moto.env(noVerify), timeoutMs: 30_000 });
    expect(r.code).toBe(20); // ConfigInvalid
    expect(r.stderr).toContain(keyArn);
    expect(r.stderr).not.toContain('listening');
  });
});
