// The `aws` identity method end to end: proofs signed with the SDK's SigV4 signer, sent
// through the real Lambda client to `lkp signer serve`, which forwards them to moto's STS
// (IAM enforced: signatures and keys checked for real) and asks moto's EC2 about the
// instance and moto's IAM about the role's trust. Instances come from RunInstances (their
// ids, addresses and names are moto's); the authoriser is the Lambda fake (moto cannot
// invoke functions without Docker). A second moto account holds the cross-account instance.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Instance } from '@aws-sdk/client-ec2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { createAwsProof } from '../../src/aws/identity-proof.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { instanceRole, type SdkCredentials } from '../fakes/credentials.js';
import { EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { certInfo, genKey, readPub, tempDir } from '../helpers/openssh.js';

const OTHER_ACCOUNT = '444455556666';
const MISSING = 'i-0ffffffffffffffff';

describe('aws identity method (moto, IAM enforced)', () => {
  let world: MotoWorld;
  let ACCOUNT: string;
  let ca: LocalCa;
  let signer: LocalSigner;
  let client: LambdaClient;
  let hostKey: string;
  let otherKey: string;
  let HOST: Instance;
  let HOST_ID: string;
  let STOPPED: string;
  let OTHER_PROFILE: string;
  let SEARCH: string;
  let TERMINATED: string;
  let FOREIGN: string;
  let authoriserMode: 'allow' | 'deny' | 'throw' | 'slow' | 'narrow' = 'allow';
  const dir = tempDir();

  beforeAll(async () => {
    world = await startMotoWorld({
      accounts: [OTHER_ACCOUNT],
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
    ACCOUNT = world.account;
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    await world.role('lkp-host-loose', { Version: '2012-10-17', Statement: [EC2_TRUST.Statement[0], { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });
    await world.role('some-other-role', EC2_TRUST);
    await world.role('other', EC2_TRUST, { instanceProfile: true });
    await world.role('lkp-host', EC2_TRUST, { account: OTHER_ACCOUNT, instanceProfile: true });
    // What the other account grants the signer: describe its instances and read its roles' trust.
    await world.role('lkp-describe', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: world.signer.arn }, Action: 'sts:AssumeRole' }] }, { account: OTHER_ACCOUNT, actions: ['ec2:DescribeInstances', 'iam:GetRole'] });
    HOST = await world.launch({ tags: { Team: 'payments', 'lkp:principals': 'web.example.com,api.example.com' } });
    HOST_ID = HOST.InstanceId ?? '';
    STOPPED = (await world.launch({ tags: { Team: 'payments' }, state: 'stopped' })).InstanceId ?? '';
    OTHER_PROFILE = (await world.launch({ profile: 'other', tags: { Team: 'payments' } })).InstanceId ?? '';
    SEARCH = (await world.launch({ tags: { Team: 'search' } })).InstanceId ?? '';
    TERMINATED = (await world.launch({ tags: { Team: 'payments' }, state: 'terminated' })).InstanceId ?? '';
    FOREIGN = (await world.launch({ account: OTHER_ACCOUNT })).InstanceId ?? '';
    ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, unknown>;
    config.rules = [
      { name: 'fleet hosts', for: 'host', method: 'aws', accounts: [ACCOUNT, OTHER_ACCOUNT], regions: ['us-east-1'], roles: ['lkp-host', 'lkp-host-loose'], instanceProfiles: ['lkp-host'], extraPrincipalsTag: 'lkp:principals', extraPrincipals: ['*.example.com'] },
      { name: 'payments admins', for: 'user', method: 'aws', callers: [`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_*/*`], instances: { accounts: [ACCOUNT], tags: { Team: 'payments' } }, logins: ['ec2-user'], maxValidity: '8h', sourceAddress: '127.0.0.0/8', message: 'payments admins log in as ec2-user only' },
    ];
    config.authoriser = { functionName: 'lkp-authoriser', timeout: '1s' };
    config.aws = { crossAccountRoles: { [OTHER_ACCOUNT]: `arn:aws:iam::${OTHER_ACCOUNT}:role/lkp-describe` } };
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
    client = lambdaClient(signer.url);
    hostKey = readPub(await genKey(dir, 'host'));
    otherKey = readPub(await genKey(dir, 'other'));
  }, 120_000);
  afterAll(async () => {
    await signer?.stop();
    await world?.close();
  });

  const proofFor = async (who: SdkCredentials | Promise<SdkCredentials>, digestInput: Parameters<typeof requestDigest>[0], over: { audience?: string; signingDate?: Date } = {}) =>
    createAwsProof({ credentials: await who, region: 'us-east-1', audience: over.audience ?? ca.serverId, digest: requestDigest(digestInput), ...(over.signingDate ? { signingDate: over.signingDate } : {}) });

  type MutableProof = { url: string; method: string; headers: Record<string, string>; body: string };
  const hostRequest = async (who: SdkCredentials | Promise<SdkCredentials>, keys = [hostKey], over: Parameters<typeof proofFor>[2] = {}) => {
    const proof = await proofFor(who, { action: 'host-cert', publicKeys: keys.map(parsePublicKey) }, over);
    return { version: 1, action: 'host-cert', identity: { method: 'aws', proof: { ...proof, headers: { ...proof.headers } } as MutableProof }, publicKeys: keys };
  };
  const userRequest = async (who: SdkCredentials | Promise<SdkCredentials>, target: string, login = 'ec2-user', over: Parameters<typeof proofFor>[2] = {}) => ({
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
  const host = (id = HOST_ID, role = 'lkp-host') => world.session(role, id);
  const alice = () => world.sso('alice@example.com');
  const arnOf = (id: string) => `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${id}`;

  it('ok/a host gets a certificate whose principals are exactly the facts EC2 reported', async () => {
    authoriserMode = 'allow';
    const { body } = await invokeJson(client, await hostRequest(host()));
    expect(body.error).toBeUndefined();
    const cert = (body.certificates as Array<{ principals: string[]; certificate: string }>)[0]!;
    // Exactly the facts moto's DescribeInstances reports, then the tag's names.
    const facts = [HOST_ID, HOST.PrivateDnsName, HOST.PrivateIpAddress, HOST.PublicDnsName, HOST.PublicIpAddress].filter((x): x is string => Boolean(x));
    expect(facts.length).toBe(5);
    expect(cert.principals).toEqual([...facts, 'web.example.com', 'api.example.com']);
    expect(body.hostId).toBe(HOST_ID);
    expect(await certInfo(cert.certificate, dir)).toContain('host certificate');
    expect(world.callsTo('sts').at(-1)).toMatchObject({ action: 'GetCallerIdentity', host: 'sts.us-east-1.amazonaws.com', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/lkp-host/${HOST_ID}` });
    expect(world.callsTo('ec2').at(-1)).toMatchObject({ action: 'DescribeInstances', region: 'us-east-1', params: { 'InstanceId.1': HOST_ID }, arn: world.signer.arn });
    expect(world.lambda.invocations.at(-1)?.payload).toMatchObject({ Kind: 'LkpHostCertAuthorizationRequest', HostInstanceArn: arnOf(HOST_ID) });
  });

  it('ok/a person gets a user certificate for an allowed instance and login, scoped LOGIN@INSTANCE', async () => {
    authoriserMode = 'allow';
    const target = arnOf(HOST_ID);
    const { body } = await invokeJson(client, await userRequest(alice(), target));
    expect(body.error).toBeUndefined();
    const cert = body.certificate as { certificate: string; principals: string[]; keyId: string };
    expect(cert.principals).toEqual([`ec2-user@${HOST_ID}`]);
    expect(cert.keyId).toContain(`caller=arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_abc123/alice@example.com`);
    const info = await certInfo(cert.certificate, dir);
    expect(info).toContain('user certificate');
    expect(info).toContain('source-address 127.0.0.0/8');
    expect(world.lambda.invocations.at(-1)?.payload).toMatchObject({ Kind: 'LkpUserCertAuthorizationRequest', SshUsername: 'ec2-user', From: { Type: 'AssumedRole', Account: ACCOUNT } });
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
    const target = arnOf(HOST_ID);
    const u = await userRequest(alice(), target);
    await expectDenied({ ...u, target: arnOf(SEARCH) }, 'Unauthenticated', /another request/);
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
    await expectDenied(await hostRequest(host(STOPPED)), 'Forbidden', /stopped/);
    await expectDenied(await hostRequest(host(TERMINATED)), 'Forbidden', /terminated|no instance profile/);
    await expectDenied(await hostRequest(host(MISSING)), 'Forbidden', /does not exist/);
    await expectDenied(await hostRequest(host(OTHER_PROFILE)), 'Forbidden', /no host rule/);
  });

  it('fail/a person cannot get a host certificate, and a host role from another role name is refused', async () => {
    await expectDenied(await hostRequest(alice()), 'Forbidden', /instance role session/);
    await expectDenied(await hostRequest(host(HOST_ID, 'some-other-role')), 'Forbidden', /no host rule|no policy rule names|not EC2-only/);
  });

  it('fail/a host role that more than EC2 can assume is refused (session names could be spoofed)', async () => {
    await expectDenied(await hostRequest(host(HOST_ID, 'lkp-host-loose')), 'Forbidden', /not EC2-only \(AWS principals may assume the role\)/);
    expect(world.callsTo('iam').at(-1)).toMatchObject({ action: 'GetRole', params: { RoleName: 'lkp-host-loose' }, arn: world.signer.arn });
  });

  it('fail/a caller no rule matches, a login or a tag the rule does not allow', async () => {
    const target = arnOf(HOST_ID);
    await expectDenied(await userRequest(world.user('mallory', ['lambda:InvokeFunction']), target), 'Forbidden', /no policy rule/);
    await expectDenied(await userRequest(alice(), target, 'root'), 'Forbidden', /payments admins log in as ec2-user only/);
    await expectDenied(await userRequest(alice(), arnOf(SEARCH)), 'Forbidden', /no policy rule/);
    await expectDenied(await userRequest(alice(), arnOf(STOPPED)), 'Forbidden', /stopped/);
  });

  it('fail/an authoriser that denies (its message reaches the user), throws or times out', async () => {
    const target = arnOf(HOST_ID);
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
    // moto keeps each account's instances and roles apart: only that account's principals see them.
    const who = world.session('lkp-host', FOREIGN, { account: OTHER_ACCOUNT });
    const { body } = await invokeJson(client, await hostRequest(who));
    expect(body.error, JSON.stringify(body.error)).toBeUndefined();
    expect(body.hostId).toBe(FOREIGN);
    expect(world.callsTo('ec2').at(-1)?.arn).toBe(`arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/lkp-describe/lkp-signer`);
    expect(world.callsTo('sts').some((c) => c.action === 'AssumeRole' && c.arn === world.signer.arn)).toBe(true);
  });

  it('ok/an authoriser may narrow the principals but never widen them', async () => {
    authoriserMode = 'narrow';
    const { body } = await invokeJson(client, await hostRequest(host()));
    expect((body.certificates as Array<{ principals: string[] }>)[0]!.principals).toEqual([HOST_ID]);
    authoriserMode = 'allow';
  });
});
