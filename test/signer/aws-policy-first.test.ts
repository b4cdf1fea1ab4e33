// The `aws` method from an attacker's side, over the wire to `lkp signer serve` with
// moto's STS/EC2/IAM (IAM enforced; calls counted by the moto world's recording proxy): the policy names the caller before any instance is described (no
// oracle, no amplification), tags cannot claim EC2's names, the target ARN's account must
// own the instance, the global STS endpoint is pinned to its home region, and signed
// header names are read as own properties only.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestDigest } from '../../src/api/digest.js';
import { AUDIENCE_HEADER, DIGEST_HEADER, STS_BODY, createAwsProof } from '../../src/aws/identity-proof.js';
import { signRequest } from '../../src/aws/sigv4.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import type { SdkCredentials } from '../fakes/credentials.js';
import { EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';

const OTHER_ACCOUNT = '444455556666';
const MISSING = 'i-0ffffffffffffffff';
// Names a tag must never add: each instance below claims one of them.
const EC2_SHAPED = ['ip-10-1-2-3', 'ip-10-1-2-3.ec2.internal', 'web.eu-west-1.compute.internal', 'ec2-54-1-2-3.compute-1.amazonaws.com', 'i-0fffffffffffffff0', '10.1.2.3', '2001:db8::1'];

describe('aws identities: policy before facts', () => {
  let world: MotoWorld;
  let TEST_ACCOUNT: string;
  let RUNNING: string;
  let STOPPED: string;
  let FOREIGN: string;
  let OTHER_TEAM: string;
  let OTHER_TEAM_STOPPED: string;
  const tagged: string[] = [];
  let ca: LocalCa;
  let signer: LocalSigner;
  let miswired: LocalSigner;
  let client: LambdaClient;
  let key: string;
  const dir = tempDir();

  beforeAll(async () => {
    world = await startMotoWorld({ accounts: [OTHER_ACCOUNT] });
    TEST_ACCOUNT = world.account;
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    await world.role('some-other-role', EC2_TRUST);
    await world.role('lkp-host', EC2_TRUST, { account: OTHER_ACCOUNT, instanceProfile: true });
    await world.role('lkp-describe', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: world.signer.arn }, Action: 'sts:AssumeRole' }] }, { account: OTHER_ACCOUNT, actions: ['ec2:DescribeInstances'] });
    RUNNING = (await world.launch({ tags: { Team: 'payments', 'lkp:principals': 'web.example.com' } })).InstanceId ?? '';
    STOPPED = (await world.launch({ tags: { Team: 'payments' }, state: 'stopped' })).InstanceId ?? '';
    FOREIGN = (await world.launch({ account: OTHER_ACCOUNT, tags: { Team: 'payments' } })).InstanceId ?? '';
    OTHER_TEAM = (await world.launch({ tags: { Team: 'search' } })).InstanceId ?? '';
    OTHER_TEAM_STOPPED = (await world.launch({ tags: { Team: 'search' }, state: 'stopped' })).InstanceId ?? '';
    for (const name of [...EC2_SHAPED, '']) tagged.push((await world.launch({ tags: { Team: 'payments', 'lkp:principals': `ok.example.com,${name}` } })).InstanceId ?? '');
    ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, unknown>;
    config.rules = [
      { name: 'fleet hosts', for: 'host', method: 'aws', accounts: [TEST_ACCOUNT], roles: ['lkp-host'], extraPrincipalsTag: 'lkp:principals', extraPrincipals: ['*'] },
      { name: 'payments admins', for: 'user', method: 'aws', callers: [`arn:aws:sts::${TEST_ACCOUNT}:assumed-role/AWSReservedSSO_Admin_*/*`], instances: { accounts: [TEST_ACCOUNT, OTHER_ACCOUNT], tags: { Team: 'payments' } }, logins: ['ec2-user'] },
    ];
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
    // A signer whose describe role for this account lives in another one (a wiring mistake):
    // DescribeInstances then answers about OTHER_ACCOUNT's instances.
    const miswiredConfig = path.join(path.dirname(ca.config), 'miswired.json');
    writeFileSync(miswiredConfig, JSON.stringify({ ...config, aws: { crossAccountRoles: { [TEST_ACCOUNT]: `arn:aws:iam::${OTHER_ACCOUNT}:role/lkp-describe` } } }));
    miswired = await startLocalSigner(miswiredConfig, [], world.env());
    client = lambdaClient(signer.url);
    key = readPub(await genKey(dir, 'k'));
  }, 120_000);
  afterAll(async () => {
    await signer?.stop();
    await miswired?.stop();
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
    if (ca) rmSync(path.dirname(ca.dir), { recursive: true, force: true });
  });

  const userRequest = async (who: SdkCredentials, target: string, login = 'ec2-user') => ({
    version: 1,
    action: 'user-cert',
    identity: {
      method: 'aws',
      proof: await createAwsProof({ credentials: who, region: 'us-east-1', audience: ca.serverId, digest: requestDigest({ action: 'user-cert', publicKeys: [parsePublicKey(key)], login, target }) }),
    },
    publicKey: key,
    login,
    target,
  });
  const hostRequest = async (who: SdkCredentials) => ({
    version: 1,
    action: 'host-cert',
    identity: { method: 'aws', proof: await createAwsProof({ credentials: who, region: 'us-east-1', audience: ca.serverId, digest: requestDigest({ action: 'host-cert', publicKeys: [parsePublicKey(key)] }) }) },
    publicKeys: [key],
  });
  const errorOf = async (request: unknown) => {
    const { body, functionError } = await invokeJson(client, request);
    expect(functionError).toBeUndefined();
    expect(body.certificate ?? body.certificates).toBeUndefined();
    return body.error as { code: string; message: string };
  };
  const awsCalls = () => world.callsTo('ec2').length + world.callsTo('iam').length;
  const arn = (id: string, account = TEST_ACCOUNT, region = 'us-east-1') => `arn:aws:ec2:${region}:${account}:instance/${id}`;

  it('fail/a caller no rule names gets one answer for existing, stopped and missing instances, and costs no EC2 call', async () => {
    const mallory = await world.user('mallory', ['lambda:InvokeFunction']);
    const before = awsCalls();
    const answers = [];
    for (const target of [RUNNING, STOPPED, MISSING, arn(RUNNING), arn(MISSING, OTHER_ACCOUNT, 'eu-west-1')]) {
      answers.push(await errorOf(await userRequest(mallory, target)));
    }
    expect(awsCalls()).toBe(before);
    expect(answers[0]?.code).toBe('Forbidden');
    for (const a of answers) expect(a).toEqual(answers[0]);
  });

  it('fail/an instance session whose role no host rule names costs no EC2 or IAM call', async () => {
    const sessions = [await world.session('some-other-role', RUNNING), await world.session('some-other-role', MISSING)];
    const before = awsCalls();
    const a = await errorOf(await hostRequest(sessions[0]!));
    const b = await errorOf(await hostRequest(sessions[1]!));
    expect(a.code).toBe('Forbidden');
    // Two callers (the session name is the instance id), one answer: nothing about the instance.
    expect({ ...b, message: b.message.replace(MISSING, RUNNING) }).toEqual(a);
    expect(awsCalls()).toBe(before);
  });

  it('fail/a named caller learns nothing about accounts its rules do not cover (no EC2 call) nor the state of instances its tags do not match', async () => {
    const alice = await world.sso('alice@example.com');
    const before = awsCalls();
    const unrelated = [arn(RUNNING, '777788889999'), arn(MISSING, '777788889999', 'eu-west-1')];
    const answers = [];
    for (const target of unrelated) answers.push(await errorOf(await userRequest(alice, target)));
    expect(awsCalls()).toBe(before);
    expect(answers[0]?.code).toBe('Forbidden');
    expect(answers[1]).toEqual(answers[0]);
    // In a covered account, an instance of another team: the same refusal whether it runs or not.
    const running = await errorOf(await userRequest(alice, arn(OTHER_TEAM)));
    const stopped = await errorOf(await userRequest(alice, arn(OTHER_TEAM_STOPPED)));
    expect(running.code).toBe('Forbidden');
    expect({ ...stopped, message: stopped.message.replace(OTHER_TEAM_STOPPED, OTHER_TEAM) }).toEqual(running);
    expect(stopped.message).not.toMatch(/stopped/);
    // Its own team's stopped instance is named as stopped (people can act on it).
    expect((await errorOf(await userRequest(alice, arn(STOPPED)))).message).toMatch(/stopped/);
  });

  it('ok/a named caller still gets its certificate', async () => {
    const { body } = await invokeJson(client, await userRequest(await world.sso('alice@example.com'), arn(RUNNING)));
    expect(body.error).toBeUndefined();
    expect((body.certificate as { principals: string[] }).principals).toEqual([`ec2-user@${RUNNING}`]);
  });

  it('fail/a target ARN whose account does not own the instance', async () => {
    const alice = await world.sso('alice@example.com');
    // FOREIGN exists, in OTHER_ACCOUNT. moto keeps accounts apart, so this account's EC2
    // does not know it; a describe role wired to the wrong account does, and the instance's
    // OwnerId must still refuse it.
    expect((await errorOf(await userRequest(alice, arn(FOREIGN, TEST_ACCOUNT)))).code).toBe('NotFound');
    const viaMiswired = await invokeJson(lambdaClient(miswired.url), await userRequest(alice, arn(FOREIGN, TEST_ACCOUNT)));
    expect(viaMiswired.body.certificate).toBeUndefined();
    expect((viaMiswired.body.error as { code: string }).code).toBe('Forbidden');
    expect(world.callsTo('ec2').at(-1)).toMatchObject({ action: 'DescribeInstances', arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/lkp-describe/lkp-signer` });
  });

  it('fail/a tag naming an EC2 DNS name, an instance id or an address adds nothing: the host is refused', async () => {
    for (const [i, name] of EC2_SHAPED.entries()) {
      expect((await errorOf(await hostRequest(await world.session('lkp-host', tagged[i]!)))).code, name).toBe('Forbidden');
    }
    // The same host with only a name of its own gets it.
    const { body } = await invokeJson(client, await hostRequest(await world.session('lkp-host', tagged[EC2_SHAPED.length]!)));
    expect(body.error).toBeUndefined();
    expect((body.certificates as Array<{ principals: string[] }>)[0]!.principals).toContain('ok.example.com');
  });

  it('fail/the global STS endpoint signed for another region is refused before STS is asked', async () => {
    const alice = await world.sso('alice@example.com');
    const host = 'sts.amazonaws.com';
    const target = RUNNING;
    const headers = await signRequest(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: host,
        path: '/',
        headers: {
          host,
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          [AUDIENCE_HEADER]: ca.serverId,
          [DIGEST_HEADER]: requestDigest({ action: 'user-cert', publicKeys: [parsePublicKey(key)], login: 'ec2-user', target }),
        },
        body: STS_BODY,
      },
      { service: 'sts', region: 'eu-west-1', credentials: alice },
    );
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const before = world.callsTo('sts').length;
    const error = await errorOf({ version: 1, action: 'user-cert', identity: { method: 'aws', proof: { url: `https://${host}/`, method: 'POST', headers: lower, body: STS_BODY } }, publicKey: key, login: 'ec2-user', target });
    expect(error.code).toBe('Unauthenticated');
    expect(world.callsTo('sts').length).toBe(before);
  });

  it('fail/a signed header named like an Object.prototype member but absent is refused, not read from the prototype', async () => {
    const request = await userRequest(await world.sso('alice@example.com'), arn(RUNNING));
    const proof = request.identity.proof;
    const auth = proof.headers.authorization as string;
    const tampered = { ...request, identity: { method: 'aws', proof: { ...proof, headers: { ...proof.headers, authorization: auth.replace('SignedHeaders=', 'SignedHeaders=constructor;') } } } };
    const before = world.callsTo('sts').length;
    expect((await errorOf(tampered)).code).toBe('Unauthenticated');
    expect(world.callsTo('sts').length).toBe(before);
  });
});
