import { afterEach, describe, expect, it } from 'vitest';
import { imdsClient } from '../../src/host/imds.js';
import { CredentialRegistry } from '../fakes/credentials.js';
import { startFakeImds, type FakeImds } from '../fakes/imds.js';

describe('IMDSv2 client', () => {
  let imds: FakeImds | undefined;
  afterEach(async () => {
    await imds?.close();
    imds = undefined;
  });
  const noSleep = async () => undefined;

  it('ok/identity and role credentials with a session token', async () => {
    imds = await startFakeImds({ registry: new CredentialRegistry(), instanceId: 'i-0123456789abcdef0', availabilityZone: 'eu-west-1b' });
    const c = imdsClient({ endpoint: imds.url, sleep: noSleep });
    expect(await c.identity()).toMatchObject({ instanceId: 'i-0123456789abcdef0', region: 'eu-west-1' });
    expect((await c.roleCredentials()).accessKeyId).toBe(imds.credentials()?.accessKeyId);
    expect(imds.requests.every((r) => r.method === 'PUT' || r.headers['x-aws-ec2-metadata-token'])).toBe(true);
  });

  it('ok/retries transient failures and renews a revoked token', async () => {
    imds = await startFakeImds({ registry: new CredentialRegistry() });
    imds.failNext(2, { status: 503 });
    const c = imdsClient({ endpoint: imds.url, sleep: noSleep });
    expect((await c.identity()).instanceId).toBe(imds.instanceId);
    imds.revokeTokens();
    expect((await c.identity()).instanceId).toBe(imds.instanceId);
    expect(imds.tokensIssued()).toBe(2);
  });

  it('fail/no metadata service: a clear "not on EC2?" error', async () => {
    const c = imdsClient({ endpoint: 'http://127.0.0.1:9', sleep: noSleep, attempts: 2, timeoutMs: 200 });
    await expect(c.identity()).rejects.toMatchObject({ code: 'ImdsUnavailable', message: expect.stringMatching(/not on EC2\? use --join-token/) });
  });

  it('fail/an instance without a role says so', async () => {
    imds = await startFakeImds({ registry: new CredentialRegistry(), roleName: null });
    const c = imdsClient({ endpoint: imds.url, sleep: noSleep });
    await expect(c.roleCredentials()).rejects.toMatchObject({ code: 'ImdsUnavailable' });
  });
});
