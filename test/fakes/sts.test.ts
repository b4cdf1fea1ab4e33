import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  CredentialRegistry,
  assumedRole,
  iamUser,
  instanceRole,
  sdkCredentials,
  ssoRole,
  type TestIdentity,
} from './credentials.js';
import { sendRaw } from './http.js';
import { signForTest } from './sigv4-verify.js';
import { startFakeSts, stsRegionsForHost, type FakeSts } from './sts.js';

const registry = new CredentialRegistry();
const alice = registry.add(iamUser('alice'));
const role = registry.add(assumedRole('deploy', 'ci-run-42'));
const sso = registry.add(ssoRole('alice@example.com'));
const host = registry.add(instanceRole('i-0123456789abcdef0'));
let sts: FakeSts;
const savedEndpoint = process.env.AWS_ENDPOINT_URL_STS;

const client = (identity: TestIdentity, extra: Partial<TestIdentity> = {}): STSClient =>
  new STSClient({ region: 'us-east-1', maxAttempts: 1, credentials: sdkCredentials({ ...identity, ...extra }) });

const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

const presigned = async (identity: TestIdentity, stsHost: string, region: string, extra: Record<string, string> = {}) => {
  const headers = await signForTest(
    {
      method: 'POST',
      url: '/',
      headers: { host: stsHost, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...extra },
      body: BODY,
    },
    identity,
    { service: 'sts', region },
  );
  return { method: 'POST', url: '/', headers, body: BODY };
};

beforeAll(async () => {
  sts = await startFakeSts({ registry });
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
});
afterAll(async () => {
  process.env.AWS_ENDPOINT_URL_STS = savedEndpoint;
  await sts.close();
});

describe('fake STS through @aws-sdk/client-sts', () => {
  it.each([
    ['IAM user', alice, 'arn:aws:iam::111122223333:user/alice'],
    ['assumed role', role, 'arn:aws:sts::111122223333:assumed-role/deploy/ci-run-42'],
    ['SSO role', sso, 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc123/alice@example.com'],
    ['instance role', host, 'arn:aws:sts::111122223333:assumed-role/lkp-host/i-0123456789abcdef0'],
  ])('answers GetCallerIdentity for an %s', async (_kind, identity, arn) => {
    const before = sts.count();
    const out = await client(identity).send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe(arn);
    expect(out.Account).toBe('111122223333');
    expect(out.UserId).toBe(identity.userId);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sts.count()).toBe(before + 1);
    const call = sts.calls.at(-1);
    expect(call).toMatchObject({ action: 'GetCallerIdentity', region: 'us-east-1', arn });
    expect(call?.host).toBe(new URL(sts.url).host);
  });

  it('role user ids are AROA...:SESSION and stable per role', () => {
    expect(role.userId).toMatch(/^AROA[A-Z2-7]{17}:ci-run-42$/);
    expect(host.userId.split(':')[1]).toBe('i-0123456789abcdef0');
    expect(assumedRole('deploy', 'other').userId.split(':')[0]).toBe(role.userId.split(':')[0]);
  });

  it('rejects an unknown access key with InvalidClientTokenId (403)', async () => {
    const stranger = iamUser('mallory');
    const err = await client(stranger).send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
  });

  it('rejects a wrong secret with SignatureDoesNotMatch', async () => {
    const err = await client(alice, { secretAccessKey: 'x'.repeat(40) })
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    expect((err as Error).message).toMatch(/signature we calculated does not match/);
  });

  it('rejects a missing or wrong session token', async () => {
    for (const sessionToken of [undefined, 'not-the-token']) {
      const creds = { accessKeyId: role.accessKeyId, secretAccessKey: role.secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
      const c = new STSClient({ region: 'us-east-1', maxAttempts: 1, credentials: creds });
      await expect(c.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    }
  });

  it('rejects expired temporary credentials with ExpiredToken', async () => {
    const old = registry.add(assumedRole('deploy', 'stale', { ttlMs: -1000 }));
    await expect(client(old).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ExpiredToken' });
  });

  it('rejects a request signed more than 15 minutes off the server clock', async () => {
    sts.setNow(() => new Date(Date.now() + 20 * 60_000));
    try {
      const res = await sendRaw(sts.url, await presigned(alice, 'sts.amazonaws.com', 'us-east-1'));
      expect(res.status).toBe(400);
      expect(res.body).toContain('<Code>RequestExpired</Code>');
    } finally {
      sts.setNow(() => new Date());
    }
  });
});

describe('a forwarded pre-signed request (as the lkp signer does)', () => {
  it('verifies over the Host header naming the real STS host', async () => {
    for (const [stsHost, region] of [
      ['sts.amazonaws.com', 'us-east-1'],
      ['sts.eu-west-1.amazonaws.com', 'eu-west-1'],
    ] as const) {
      const res = await sendRaw(sts.url, await presigned(host, stsHost, region, { 'x-lkp-audience': 'lkp-signer' }));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/xml');
      expect(res.body).toContain('<Arn>arn:aws:sts::111122223333:assumed-role/lkp-host/i-0123456789abcdef0</Arn>');
      const call = sts.calls.at(-1);
      expect(call).toMatchObject({ host: stsHost, region });
      expect(call?.signedHeaders).toContain('x-lkp-audience');
    }
  });

  it('answers JSON when asked with Accept: application/json', async () => {
    const res = await sendRaw(sts.url, await presigned(alice, 'sts.amazonaws.com', 'us-east-1', { accept: 'application/json' }));
    expect(res.status).toBe(200);
    const json = JSON.parse(res.body) as { GetCallerIdentityResponse: { GetCallerIdentityResult: { Arn: string } } };
    expect(json.GetCallerIdentityResponse.GetCallerIdentityResult.Arn).toBe(alice.arn);
  });

  it('fails when the body, a signed header, the Host or the path is changed', async () => {
    const good = await presigned(alice, 'sts.amazonaws.com', 'us-east-1', { 'x-lkp-audience': 'lkp-signer' });
    const tampered = [
      { ...good, body: good.body.replace('2011', '2012') },
      { ...good, headers: { ...good.headers, 'x-lkp-audience': 'someone-else' } },
      { ...good, headers: { ...good.headers, host: 'sts.us-east-1.amazonaws.com' } },
      { ...good, url: '/x' },
    ];
    for (const request of tampered) {
      const res = await sendRaw(sts.url, request);
      expect(res.status).toBe(403);
      expect(res.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
  });

  it('refuses a region the named STS host does not serve', async () => {
    const res = await sendRaw(sts.url, await presigned(alice, 'sts.amazonaws.com', 'us-west-2'));
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/scoped to a valid region/);
    expect(stsRegionsForHost('sts.ap-south-1.amazonaws.com')).toEqual(['ap-south-1']);
    expect(stsRegionsForHost('127.0.0.1:4000')).toBeUndefined();
  });

  it('answers the real error XML for a missing Authorization header', async () => {
    const res = await sendRaw(sts.url, {
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: BODY,
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>MissingAuthenticationToken<\/Code>/);
  });

  it('injected faults reach the SDK as the named error', async () => {
    sts.failNext(1, 'Throttling', 400);
    await expect(client(alice).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(client(alice).send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Arn: alice.arn });
  });
});
