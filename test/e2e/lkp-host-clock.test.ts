// A fresh instance's clock is often off at boot. The real `lkp host`, run under libfaketime
// with its clock an hour behind (or 50 minutes ahead), against a `lkp signer serve` at the
// true time on the EC2 path (IMDSv2 fake; STS, EC2 and IAM from moto): its identity proof is dated by the
// signer's clock (ca-keys' serverTime), so it passes the signer's 5-minute freshness check.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeImds, type FakeImds } from '../fakes/imds.js';
import { EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { faketimeEnv } from '../helpers/faketime.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';

describe('lkp host with a clock that is off', () => {
  let world: MotoWorld;
  let instanceId = '';
  let imds: FakeImds;
  let signer: LocalSigner;
  const login = currentUser();

  beforeAll(async () => {
    world = await startMotoWorld();
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    const instance = await world.launch();
    instanceId = instance.InstanceId ?? '';
    const credentials = await world.session('lkp-host', instanceId);
    imds = await startFakeImds({ instanceId, accountId: world.account, privateIp: instance.PrivateIpAddress ?? '10.0.0.12', roleCredentials: { ...credentials, sessionToken: credentials.sessionToken ?? '' } });
    const ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.push({ name: 'fleet hosts', for: 'host', method: 'aws', accounts: [world.account], roles: ['lkp-host'], instanceProfiles: ['lkp-host'] });
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
  }, 120_000);
  afterAll(async () => {
    await signer?.stop();
    await imds?.close();
    await world?.close();
  });

  it('ok/the ca-keys answer carries the signer\'s clock as serverTime (ISO 8601 UTC, additive in version 1)', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const { body } = await invokeJson(lambdaClient(signer.url), { version: 1, action: 'ca-keys' });
    expect(body.serverTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(body.serverTime as string)).toBeGreaterThanOrEqual(before);
  });

  for (const offset of ['-1h', '+50m']) {
    it(`ok/a host clock at ${offset} still gets its certificate: the proof is dated by the signer's clock`, async () => {
      const host = await makeSandboxHost();
      const env = { AWS_ENDPOINT_URL_LAMBDA: signer.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', ...faketimeEnv(offset) };
      const r = await lkp(['host', '--ssh-dir', host.sshDir, '--users', login, '--no-reload', '--retry-for', '0'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/this clock is \d+ s (behind|ahead of) the signer's/);
      expect(readFileSync(path.join(host.sshDir, 'lkp/principals', login), 'utf8')).toBe(`${login}@${instanceId}\n`);
      const audit = await signer.waitForAudit(1);
      expect(audit.filter((a) => a.action === 'host-cert').at(-1)?.outcome).toBe('issued');
    });
  }
});
