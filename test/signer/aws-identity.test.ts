// The `aws` identity method end to end: proofs signed with the SDK's SigV4 signer, sent
// through the real Lambda client to `lkp signer serve`, which forwards them to a fake STS
// that verifies signatures for real and asks a fake EC2 about the instance.
import { readFileSync, writeFileSync } from 'node:fs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { createAwsProof } from '../../src/aws/identity-proof.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { instanceRole, ssoRole, iamUser, sdkCredentials, TEST_ACCOUNT, type TestIdentity } from '../fakes/credentials.js';
import { startAwsWorld, type AwsWorld } from '../helpers/aws-world.js';
import { EC2_ONLY_TRUST } from '../fakes/iam.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { certInfo, genKey, readPub, tempDir } from '../helpers/openssh.js';

const HOST_ID = 'i-0a1b2c3d4e5f60718';
const PROFILE = `arn:aws:iam::${TEST_ACCOUNT}:instance-profile/lkp-host`;
const OTHER_ACCOUNT = '444455556666';

describe('aws identity method', () => {
  let world: AwsWorld;
  let ca: LocalCa;
  let signer: LocalSigner;
  let client: LambdaClient;
  let hostKey: string;
  let otherKey: string;
  let authoriserMode: 'allow' | 'deny' | 'throw' | 'slow' | 'narrow' = 'allow';
  const dir = tempDir();

  beforeAll(async () => {
    world = await startAwsWorld({
      roles: {
        'lkp-host': EC2_ONLY_TRUST,
        'lkp-host-loose': { Version: '2012-10-17', Statement: [EC2_ONLY_TRUST.Statement[0], { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] },
      },
      instances: [
        { instanceId: HOST_ID, availabilityZone: 'us-east-1a', privateIpAddress: '10.0.1.5', publicIpAddress: '203.0.113.7', iamInstanceProfile: { arn: PROFILE, id: 'AIPA1' }, tags: { Team: 'payments', 'lkp:principals': 'web.example.com,api.example.com' } },
        { instanceId: 'i-0000000000000000a', iamInstanceProfile: { arn: PROFILE, id: 'AIPA1' }, tags: { Team: 'payments' }, state: 'stopped' },
        { instanceId: 'i-0000000000000000b', iamInstanceProfile: { arn: `arn:aws:iam::${TEST_ACCOUNT}:instance-profile/other`, id: 'AIPA2' }, tags: { Team: 'payments' } },
        { instanceId: 'i-0000000000000000c', iamInstanceProfile: { arn: PROFILE, id: 'AIPA1' }, tags: { Team: 'search' } },
        { instanceId: 'i-0000000000000000d', iamInstanceProfile: { arn: PROFILE, id: 'AIPA1' }, tags: { Team: 'payments' }, state: 'terminated' },
        { instanceId: 'i-0000000000000000e', ownerId: OTHER_ACCOUNT, iamInstanceProfile: { arn: `arn:aws:iam::${OTHER_ACCOUNT}:instance-profile/lkp-host`, id: 'AIPA3' } },
      ],
      functions: {
        'lkp-authoriser': async (payload) => {
          const p = payload as { Kind: string; SshUsername?: string; Principals: string[] };
          if (authoriserMode === 'deny') return { authorized: false, message: 'change freeze until Friday' };
          if (authoriserMode === 'throw') throw new Error('authoriser bug');
          if (authoriserMode === 'slow') await new Promise((r) => setTimeout(r, 3000));
          if (authoriserMode === 'narrow') return { Authorized: true, Principals: p.Principals.slice(0, 1) };
          return { Authorized: true, Message: 'ok' };
        },
      },
    });
    ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, unknown>;
    config.rules = [
      { name: 'fleet hosts', for: 'host', method: 'aws', accounts: [TEST_ACCOUNT, OTHER_ACCOUNT], regions: ['us-east-1'], roles: ['lkp-host', 'lkp-host-loose'], instanceProfiles: ['lkp-host'], extraPrincipalsTag: 'lkp:principals', extraPrincipals: ['*.example.com'] },
      { name: 'payments admins', for: 'user', method: 'aws', callers: [`arn:aws:sts::${TEST_ACCOUNT}:assumed-role/AWSReservedSSO_Admin_*/*`], instances: { accounts: [TEST_ACCOUNT], tags: { Team: 'payments' } }, logins: ['ec2-user'], maxValidity: '8h', sourceAddress: '127.0.0.0/8', message: 'payments admins log in as ec2-user only' },
    ];
    config.authoriser = { functionName: 'lkp-authoriser', timeout: '1s' };
    config.aws = { crossAccountRoles: { [OTHER_ACCOUNT]: `arn:aws:iam::${OTHER_ACCOUNT}:role/lkp-describe` } };
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
    client = lambdaClient(signer.url);
    hostKey = readPub(await genKey(dir, 'host'));
    otherKey = readPub(await genKey(dir, 'other'));
  });
  afterAll(async () => {
    await signer?.stop();
    await world?.close();
  });

  const proofFor = async (who: TestIdentity, digestInput: Parameters<typeof requestDigest>[0], over: { audience?: string; signingDate?: Date } = {}) =>
    createAwsProof({ credentials: sdkCredentials(who), region: 'us-east-1', audience: over.audience ?? ca.serverId, digest: requestDigest(digestInput), ...(over.signingDate ? { signingDate: over.signingDate } : {}) });

  type MutableProof = { url: string; method: string; headers: Record<string, string>; body: string };
  const hostRequest = async (who: TestIdentity, keys = [hostKey], over: Parameters<typeof proofFor>[2] = {}) => {
    const proof = await proofFor(who, { action: 'host-cert', publicKeys: keys.map(parsePublicKey) }, over);
    return { version: 1, action: 'host-cert', identity: { method: 'aws', proof: { ...proof, headers: { ...proof.headers } } as MutableProof }, publicKeys: keys };
  };
  const userRequest = async (who: TestIdentity, target: string, login = 'ec2-user', over: Parameters<typeof proofFor>[2] = {}) => ({
    version: 1,
    action: 'user-cert',
    identity: { method: 'aws', proof: await proofFor(who, { action: 'user-cert', publicKeys: [parsePublicKey(otherKey)], login, target }, over) },
    publicKey: otherKey,
    login,
    target,
  });
  const expectDenied = async (request: unknown, code: string, message?: RegExp) => {
    const before = signer.audit().length;
    const { body, functionError } = await invokeJson(client, request);
    expect(functionError).toBeUndefined();
    const error = body.error as { code: string; message: string } | undefined;
    expect(error?.code, JSON.stringify(body)).toBe(code);
    if (message) expect(error?.message).toMatch(message);
    expect(body.certificate).toBeUndefined();
    expect(body.certificates).toBeUndefined();
    const audit = await signer.waitForAudit(before + 1);
    expect(audit.at(-1)).toMatchObject({ outcome: 'denied', code });
  };
  const host = (id = HOST_ID) => world.registry.add(instanceRole(id, 'lkp-host'));
  const alice = () => world.registry.add(ssoRole('alice@example.com'));

  it('ok/a host gets a certificate whose principals are exactly the facts EC2 reported', async () => {
    authoriserMode = 'allow';
    const { body } = await invokeJson(client, await hostRequest(host()));
    expect(body.error).toBeUndefined();
    const cert = (body.certificates as Array<{ principals: string[]; certificate: string }>)[0]!;
    expect(cert.principals).toEqual([HOST_ID, 'ip-10-0-1-5.ec2.internal', '10.0.1.5', 'ec2-203-0-113-7.compute-1.amazonaws.com', '203.0.113.7', 'web.example.com', 'api.example.com']);
    expect(body.hostId).toBe(HOST_ID);
    expect(await certInfo(cert.certificate, dir)).toContain('host certificate');
    expect(world.sts.calls.at(-1)).toMatchObject({ action: 'GetCallerIdentity', host: 'sts.us-east-1.amazonaws.com', arn: `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/lkp-host/${HOST_ID}` });
    expect(world.ec2.calls.at(-1)).toMatchObject({ action: 'DescribeInstances', region: 'us-east-1', instanceIds: [HOST_ID], arn: world.signerIdentity.arn });
    expect(world.lambda.invocations.at(-1)?.payload).toMatchObject({ Kind: 'LkpHostCertAuthorizationRequest', HostInstanceArn: `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/${HOST_ID}` });
  });

  it('ok/a person gets a user certificate for an allowed instance and login, scoped LOGIN@INSTANCE', async () => {
    authoriserMode = 'allow';
    const target = `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/${HOST_ID}`;
    const { body } = await invokeJson(client, await userRequest(alice(), target));
    expect(body.error).toBeUndefined();
    const cert = body.certificate as { certificate: string; principals: string[]; keyId: string };
    expect(cert.principals).toEqual([`ec2-user@${HOST_ID}`]);
    expect(cert.keyId).toContain('caller=arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc123/alice@example.com');
    const info = await certInfo(cert.certificate, dir);
    expect(info).toContain('user certificate');
    expect(info).toContain('source-address 127.0.0.0/8');
    expect(world.lambda.invocations.at(-1)?.payload).toMatchObject({ Kind: 'LkpUserCertAuthorizationRequest', SshUsername: 'ec2-user', From: { Type: 'AssumedRole', Account: TEST_ACCOUNT } });
  });

  it('fail/a forged signature is refused by STS', async () => {
    const req = await hostRequest(host());
    const auth = req.identity.proof.headers.authorization as string;
    req.identity.proof.headers.authorization = auth.replace(/Signature=([0-9a-f])/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
    await expectDenied(req, 'Unauthenticated', /SignatureDoesNotMatch/);
  });

  it('fail/an unknown access key is refused by STS', async () => {
    await expectDenied(await hostRequest(instanceRole(HOST_ID)), 'Unauthenticated', /InvalidClientTokenId|rejected by STS/);
  });

  it('fail/a proof for another signer (audience)', async () => {
    await expectDenied(await hostRequest(host(), [hostKey], { audience: 'lkp-other' }), 'Unauthenticated', /another signer/);
  });

  it('fail/a proof older than 5 minutes', async () => {
    await expectDenied(await hostRequest(host(), [hostKey], { signingDate: new Date(Date.now() - 6 * 60_000) }), 'Unauthenticated', /older than 5 minutes/);
  });

  it('fail/a proof replayed with another public key, instance or login', async () => {
    const withKey = await hostRequest(host());
    await expectDenied({ ...withKey, publicKeys: [otherKey] }, 'Unauthenticated', /another request/);
    const target = `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/${HOST_ID}`;
    const u = await userRequest(alice(), target);
    await expectDenied({ ...u, target: `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/i-0000000000000000c` }, 'Unauthenticated', /another request/);
    await expectDenied({ ...u, login: 'root' }, 'Unauthenticated', /another request/);
  });

  it('fail/an STS host that is not on the allowlist', async () => {
    const req = await hostRequest(host());
    req.identity.proof.url = 'https://sts.attacker.example/';
    req.identity.proof.headers.host = 'sts.attacker.example';
    await expectDenied(req, 'Unauthenticated', /not an AWS STS endpoint/);
    const sneaky = await hostRequest(host());
    sneaky.identity.proof.url = 'https://sts.amazonaws.com.attacker.example/';
    await expectDenied(sneaky, 'Unauthenticated', /not an AWS STS endpoint/);
    const other = await hostRequest(host());
    other.identity.proof.body = 'Action=AssumeRole&Version=2011-06-15';
    await expectDenied(other, 'Unauthenticated', /exactly GetCallerIdentity/);
  });

  it('fail/an instance session for a stopped, terminated, unknown instance or one with another profile', async () => {
    await expectDenied(await hostRequest(host('i-0000000000000000a')), 'Forbidden', /stopped/);
    await expectDenied(await hostRequest(host('i-0000000000000000d')), 'Forbidden', /terminated|no instance profile/);
    await expectDenied(await hostRequest(host('i-0ffffffffffffffff')), 'Forbidden', /does not exist/);
    await expectDenied(await hostRequest(host('i-0000000000000000b')), 'Forbidden', /no host rule/);
  });

  it('fail/a person cannot get a host certificate, and a host role from another role name is refused', async () => {
    await expectDenied(await hostRequest(alice()), 'Forbidden', /instance role session/);
    await expectDenied(await hostRequest(world.registry.add(instanceRole(HOST_ID, 'some-other-role'))), 'Forbidden', /no host rule|no policy rule names|not EC2-only/);
  });

  it('fail/a host role that more than EC2 can assume is refused (session names could be spoofed)', async () => {
    await expectDenied(await hostRequest(world.registry.add(instanceRole(HOST_ID, 'lkp-host-loose'))), 'Forbidden', /not EC2-only \(AWS principals may assume the role\)/);
    expect(world.iam.calls.at(-1)).toMatchObject({ action: 'GetRole', roleName: 'lkp-host-loose', arn: world.signerIdentity.arn });
  });

  it('fail/a caller no rule matches, a login or a tag the rule does not allow', async () => {
    const target = `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/${HOST_ID}`;
    await expectDenied(await userRequest(world.registry.add(iamUser('mallory')), target), 'Forbidden', /no policy rule/);
    await expectDenied(await userRequest(alice(), target, 'root'), 'Forbidden', /payments admins log in as ec2-user only/);
    await expectDenied(await userRequest(alice(), `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/i-0000000000000000c`), 'Forbidden', /no policy rule/);
    await expectDenied(await userRequest(alice(), `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/i-0000000000000000a`), 'Forbidden', /stopped/);
  });

  it('fail/an authoriser that denies (its message reaches the user), throws or times out', async () => {
    const target = `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/${HOST_ID}`;
    authoriserMode = 'deny';
    await expectDenied(await userRequest(alice(), target), 'Forbidden', /change freeze until Friday/);
    await expectDenied(await hostRequest(host()), 'Forbidden', /change freeze until Friday/);
    authoriserMode = 'throw';
    await expectDenied(await userRequest(alice(), target), 'Forbidden', /authoriser failed/);
    authoriserMode = 'slow';
    await expectDenied(await userRequest(alice(), target), 'Forbidden', /did not answer/);
    authoriserMode = 'allow';
  });

  it('ok/an instance in another account is described through the role configured for that account', async () => {
    // EC2 in that account only answers that account's principals.
    world.ec2.setAuthorize((id) => id.account === OTHER_ACCOUNT);
    try {
      const who = world.registry.add(instanceRole('i-0000000000000000e', 'lkp-host', { account: OTHER_ACCOUNT }));
      const { body } = await invokeJson(client, await hostRequest(who));
      expect(body.error, JSON.stringify(body.error)).toBeUndefined();
      expect(body.hostId).toBe('i-0000000000000000e');
      expect(world.ec2.calls.at(-1)?.arn).toBe(`arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/lkp-describe/lkp-signer`);
      expect(world.sts.calls.some((c) => c.action === 'AssumeRole' && c.arn === world.signerIdentity.arn)).toBe(true);
    } finally {
      world.ec2.setAuthorize(() => true);
    }
  });

  it('ok/an authoriser may narrow the principals but never widen them', async () => {
    authoriserMode = 'narrow';
    const { body } = await invokeJson(client, await hostRequest(host()));
    expect((body.certificates as Array<{ principals: string[] }>)[0]!.principals).toEqual([HOST_ID]);
    authoriserMode = 'allow';
  });
});
