import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromInstanceMetadata } from '@aws-sdk/credential-providers';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CredentialRegistry } from './credentials.js';
import { sendRaw } from './http.js';
import { startFakeImds, type FakeImds } from './imds.js';
import { startFakeSts, type FakeSts } from './sts.js';

const registry = new CredentialRegistry();
let imds: FakeImds;
let sts: FakeSts;
const saved = { imds: process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT, sts: process.env.AWS_ENDPOINT_URL_STS };

const token = async (ttl = '60'): Promise<string> => {
  const res = await sendRaw(imds.url, { method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl } });
  expect(res.status).toBe(200);
  return res.body;
};
const get = (path: string, tok?: string) =>
  sendRaw(imds.url, { method: 'GET', url: path, headers: tok === undefined ? {} : { 'x-aws-ec2-metadata-token': tok } });

beforeAll(async () => {
  imds = await startFakeImds({ registry, instanceId: 'i-0123456789abcdef0', availabilityZone: 'eu-west-1b' });
  sts = await startFakeSts({ registry });
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.url;
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
});
afterEach(() => {
  imds.setAvailable(true);
  imds.setDelay(0);
  imds.setNow(() => new Date());
});
afterAll(async () => {
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = saved.imds;
  process.env.AWS_ENDPOINT_URL_STS = saved.sts;
  await Promise.all([imds.close(), sts.close()]);
});

describe('fake IMDSv2 through the SDK', () => {
  it('fromInstanceMetadata obtains role credentials that STS accepts', async () => {
    const creds = await fromInstanceMetadata()();
    expect(creds.accessKeyId).toBe(imds.credentials()?.accessKeyId);
    expect(creds.sessionToken).toBe(imds.credentials()?.sessionToken);
    expect(creds.expiration?.getTime()).toBeGreaterThan(Date.now() + 5 * 3_600_000);
    // The SDK did PUT token, then GET role list, then GET role credentials, all with the token.
    const paths = imds.requests.slice(-3).map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/iam/security-credentials/',
      'GET /latest/meta-data/iam/security-credentials/lkp-host',
    ]);
    expect(imds.requests.at(-3)?.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600');

    const sts2 = new STSClient({ region: 'eu-west-1', maxAttempts: 1, credentials: fromInstanceMetadata() });
    const who = await sts2.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe('arn:aws:sts::111122223333:assumed-role/lkp-host/i-0123456789abcdef0');
  });

  it('retries GETs that fail, as configured by maxRetries', async () => {
    imds.failNext(2, { method: 'GET', status: 500 });
    const creds = await fromInstanceMetadata({ maxRetries: 2 })();
    expect(creds.accessKeyId).toBe(imds.credentials()?.accessKeyId);
    imds.failNext(1, { method: 'GET', status: 500 });
    await expect(fromInstanceMetadata({ maxRetries: 0 })()).rejects.toThrow(/instance metadata/);
  });

  it('a failed token PUT is fatal because IMDSv1 fallback is disabled', async () => {
    imds.failNext(1, { method: 'PUT', status: 500 });
    await expect(fromInstanceMetadata()()).rejects.toThrow(/v1 fallback has been blocked/);
  });

  it('unavailable and slow IMDS surface as errors', async () => {
    imds.setAvailable(false);
    await expect(fromInstanceMetadata()()).rejects.toThrow();
    imds.setAvailable(true);
    imds.setDelay(400);
    const started = Date.now();
    await expect(fromInstanceMetadata({ timeout: 100 })()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('serves instance metadata and the identity document with a token', async () => {
    const tok = await token();
    expect((await get('/latest/meta-data/instance-id', tok)).body).toBe('i-0123456789abcdef0');
    expect((await get('/latest/meta-data/placement/region', tok)).body).toBe('eu-west-1');
    const info = JSON.parse((await get('/latest/meta-data/iam/info', tok)).body) as Record<string, string>;
    expect(info).toMatchObject({ Code: 'Success', InstanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/lkp-host' });
    const doc = JSON.parse((await get('/latest/dynamic/instance-identity/document', tok)).body) as Record<string, string>;
    expect(doc).toMatchObject({
      instanceId: 'i-0123456789abcdef0',
      region: 'eu-west-1',
      accountId: '111122223333',
      availabilityZone: 'eu-west-1b',
      privateIp: '10.0.1.23',
    });
    const creds = JSON.parse((await get('/latest/meta-data/iam/security-credentials/lkp-host', tok)).body) as Record<string, string>;
    expect(creds).toMatchObject({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: imds.credentials()?.accessKeyId });
    expect(creds.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await get('/latest/meta-data/nope', tok)).status).toBe(404);
  });

  it('refuses GETs without a valid, unexpired token (IMDSv1 disabled)', async () => {
    expect((await get('/latest/meta-data/instance-id')).status).toBe(401);
    expect((await get('/latest/meta-data/instance-id', 'forged')).status).toBe(401);
    const tok = await token('1');
    imds.setNow(() => new Date(Date.now() + 2000));
    expect((await get('/latest/meta-data/instance-id', tok)).status).toBe(401);
    imds.setNow(() => new Date());
    const tok2 = await token();
    imds.revokeTokens();
    expect((await get('/latest/meta-data/instance-id', tok2)).status).toBe(401);
  });

  it('validates the token TTL header and refuses forwarded token requests', async () => {
    for (const ttl of ['0', '21601', 'abc']) {
      const res = await sendRaw(imds.url, { method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl } });
      expect(res.status).toBe(400);
    }
    expect((await sendRaw(imds.url, { method: 'PUT', url: '/latest/api/token' })).status).toBe(400);
    const fwd = await sendRaw(imds.url, {
      method: 'PUT',
      url: '/latest/api/token',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(fwd.status).toBe(403);
    const ok = await sendRaw(imds.url, { method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' } });
    expect(ok.headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600');
  });

  it('rotated credentials replace the served ones; revoked ones stop working at STS', async () => {
    const old = imds.credentials();
    const fresh = imds.rotateCredentials(true);
    expect(fresh.accessKeyId).not.toBe(old?.accessKeyId);
    const stale = new STSClient({
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: old?.accessKeyId ?? '', secretAccessKey: old?.secretAccessKey ?? '', sessionToken: old?.sessionToken ?? '' },
    });
    await expect(stale.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
  });

  it('an instance without a role has no iam/ metadata', async () => {
    const bare = await startFakeImds({ registry, roleName: null });
    try {
      const res = await sendRaw(bare.url, { method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
      const r = await sendRaw(bare.url, { method: 'GET', url: '/latest/meta-data/iam/security-credentials/', headers: { 'x-aws-ec2-metadata-token': res.body } });
      expect(r.status).toBe(404);
      expect(bare.credentials()).toBeUndefined();
    } finally {
      await bare.close();
    }
  });
});
