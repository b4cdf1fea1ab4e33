// The Lambda artifact: `npm run build:lambda` output, imported by a plain node process as
// the Lambda runtime would. Config from an SSM parameter, CA keys from Secrets Manager and
// SSM SecureString, identity through STS and EC2: all moto with IAM enforced, the signer
// acting as an IAM user with only what it needs. Denials are normal answers; a
// misconfiguration is a thrown (function) error.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { createAwsProof } from '../../src/aws/identity-proof.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { makeCa } from '../helpers/ca.js';
import { lkp } from '../helpers/lkp.js';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';

/** An event already serialised (for one JSON.stringify cannot serialise itself). */
class RawEvent {
  constructor(readonly line: string) {}
}

/** Results (and with `audit`, the audit lines too) of running `events` through the bundle. */
const runBundle = (events: unknown[], env: Record<string, string>, audit = false): Promise<string[]> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('test/helpers/lambda-runner.mjs'), path.resolve('build/lambda/index.mjs')], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out.split('\n').filter((l) => /^(RESULT|THROWN) /.test(l) || (audit && l.startsWith('{"type":"lkp.audit"')))) : reject(new Error(`runner exited ${code}: ${err}`))));
    child.stdin.end(events.map((e) => (e instanceof RawEvent ? e.line : JSON.stringify(e))).join('\n'));
  });

describe('Lambda bundle', () => {
  let world: MotoWorld;
  const hostCa = makeCa('ed25519');
  const userCa = makeCa('ecdsa-p384');
  let instanceId: string;
  const secretReads = () => world.callsTo('secretsmanager').filter((c) => c.action === 'GetSecretValue').length;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-lambda.js'], { stdio: 'ignore' });
    // What the function's role is granted: read its config and CA keys, check identities.
    world = await startMotoWorld({ signerActions: ['ec2:DescribeInstances', 'iam:GetRole', 'ssm:GetParameter', 'secretsmanager:GetSecretValue', 'kms:Decrypt', 'dynamodb:Scan'] });
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    instanceId = (await world.launch()).InstanceId ?? '';
    await new SecretsManagerClient(world.client()).send(new CreateSecretCommand({ Name: 'lkp/host-ca', SecretString: hostCa.privateText }));
    const config = {
      version: 1,
      serverId: 'lkp-prod-signer',
      hostCa: { store: 'secretsmanager', secretIds: ['lkp/host-ca'] },
      userCa: { store: 'ssm', names: ['/lkp/user-ca'] },
      rules: [{ name: 'fleet', for: 'host', method: 'aws', accounts: [world.account], roles: ['lkp-host'] }],
      revocations: { store: 'dynamodb', table: 'lkp-revocations' },
    };
    await new DynamoDBClient(world.client()).send(
      new CreateTableCommand({ TableName: 'lkp-revocations', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
    );
    const ssm = new SSMClient(world.client());
    const parameters: Array<[string, string, 'String' | 'SecureString']> = [
      ['/lkp/config', JSON.stringify(config), 'String'],
      ['/lkp/user-ca', userCa.privateText, 'SecureString'],
      ['/lkp/broken', '{"version":1', 'String'],
      ['/lkp/config-lost-key', JSON.stringify({ ...config, hostCa: { store: 'secretsmanager', secretIds: ['lkp/no-such-secret'] } }), 'String'],
    ];
    for (const [Name, Value, Type] of parameters) await ssm.send(new PutParameterCommand({ Name, Value, Type }));
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  const env = (parameter = '/lkp/config') => world.env(world.signer, { LKP_CONFIG_SSM_PARAMETER: parameter });

  it('ok/answers ca-keys and a verified host-certificate request; denials are answers, not errors', async () => {
    const hostKey = readPub(await genKey(tempDir(), 'h'));
    const who = await world.session('lkp-host', instanceId);
    const reads = secretReads();
    const proof = await createAwsProof({ credentials: who, region: 'us-east-1', audience: 'lkp-prod-signer', digest: requestDigest({ action: 'host-cert', publicKeys: [parsePublicKey(hostKey)] }) });
    const lines = await runBundle(
      [
        { version: 1, action: 'ca-keys' },
        { version: 1, action: 'host-cert', identity: { method: 'aws', proof }, publicKeys: [hostKey] },
        { version: 1, action: 'host-cert', identity: { method: 'aws', proof }, publicKeys: [hostKey] /* replay: digest still fine, so STS+policy decide */ },
        { version: 1, action: 'nope' },
        { version: 1, action: 'host-cert', identity: { method: 'join-token', token: 'x' }, publicKeys: [hostKey] },
      ],
      env(),
    );
    const results = lines.map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>);
    expect(lines.every((l) => l.startsWith('RESULT'))).toBe(true);
    expect(results[0]).toMatchObject({ serverId: 'lkp-prod-signer', hostCaKeys: [hostCa.publicLine.split(' ').slice(0, 2).join(' ')], userCaKeys: [userCa.publicLine.split(' ').slice(0, 2).join(' ')] });
    expect((results[1]!.certificates as Array<{ principals: string[] }>)[0]!.principals).toContain(instanceId);
    expect(results[3]).toMatchObject({ error: { code: 'BadRequest' } });
    expect(results[4]).toMatchObject({ error: { code: 'Unauthenticated' } });
    expect(secretReads() - reads).toBe(1); // loaded once per container
  });

  it('fail/an already-parsed event nested 5,000 levels deep is a BadRequest answer, not a function error', async () => {
    const deep = new RawEvent(`{"version":1,"action":"ca-keys","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    const lines = await runBundle([deep, { version: 1, action: 'ca-keys' }], env());
    expect(lines[0]).toMatch(/^RESULT /);
    expect(JSON.parse((lines[0] as string).slice(7))).toMatchObject({ error: { code: 'BadRequest' } });
    expect(lines[1]).toMatch(/^RESULT .*hostCaKeys/);
  });

  it('fail/an unreachable CA key is an Internal answer; its audit line carries the cause chain', async () => {
    const lines = await runBundle([{ version: 1, action: 'ca-keys' }], env('/lkp/config-lost-key'), true);
    const result = lines.find((l) => l.startsWith('RESULT ')) as string;
    expect(JSON.parse(result.slice(7))).toMatchObject({ error: { code: 'Internal' } });
    expect(result).not.toContain('no-such-secret');
    const audit = JSON.parse(lines.find((l) => l.startsWith('{')) as string) as { code: string; reason: string; causes?: string[] };
    expect(audit).toMatchObject({ code: 'Internal', reason: expect.stringContaining('lkp/no-such-secret') });
    expect(audit.causes?.[0]).toMatch(/^AwsError: /);
  });

  it('fail/a broken config is a function error (someone must look), not a denial', async () => {
    const lines = await runBundle([{ version: 1, action: 'ca-keys' }], env('/lkp/broken'));
    expect(lines[0]).toMatch(/^THROWN .*not valid JSON/);
  });

  it('ok/answers krl from the DynamoDB table an administrator wrote with lkp signer revoke (as themselves)', async () => {
    const admin = await world.user('lkp-admin', ['ssm:GetParameter', 'dynamodb:PutItem', 'dynamodb:Scan']);
    const revoked = await lkp(['signer', 'revoke', '--ssm-parameter', '/lkp/config', '--serial', '4242', '--ca', 'host', '--reason', 'host decommissioned', '--json'], { env: world.env(admin) });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ added: true, revocation: { revokedBy: admin.arn } });
    const scans = () => world.callsTo('dynamodb').filter((c) => c.action === 'Scan').length;
    const before = scans();
    // A storm of hosts refreshing at once: one container scans the table once.
    const lines = await runBundle(Array.from({ length: 20 }, () => ({ version: 1, action: 'krl' })), env(), true);
    expect(scans() - before).toBe(1);
    const results = lines.filter((l) => l.startsWith('RESULT '));
    expect(results).toHaveLength(20);
    const answer = JSON.parse((results[19] as string).slice(7)) as { krl: string; count: number };
    expect(answer.count).toBe(1);
    const file = path.join(tempDir(), 'krl');
    writeFileSync(file, Buffer.from(answer.krl, 'base64'));
    const listing = spawnSync('ssh-keygen', ['-Q', '-l', '-f', file], { encoding: 'utf8' });
    expect(listing.status, listing.stderr).toBe(0);
    expect(listing.stdout).toContain('serial: 4242');
    expect(lines.some((l) => l.startsWith('{') && (JSON.parse(l) as { action: string; revocations?: number }).revocations === 1)).toBe(true);
  });
});
