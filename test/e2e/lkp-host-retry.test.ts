// `lkp host` at boot, when the signer is not there yet or is busy: it retries what may pass
// on its own (no answer, `Throttled`) with jittered back-off inside its --retry-for window,
// saying on stderr what failed and when it tries next; a refusal is never retried.
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, TEST_INSTANCE_ID } from '../fakes/credentials.js';
import { startFakeImds } from '../fakes/imds.js';
import { startAwsWorld } from '../helpers/aws-world.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';
import { startSignerProxy } from '../helpers/signer-proxy.js';
import { onCleanup } from '../helpers/temp.js';

const freePort = async (): Promise<number> => {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
};

describe('lkp host retries an unreachable or throttled signer, never a refusal', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  const login = currentUser();

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
  });
  afterAll(async () => {
    await signer?.stop();
  });

  const host = async (signerUrl: string, retryFor: string, name: string) => {
    const sandbox = await makeSandboxHost();
    return lkp(['host', '--join-token', ca.mint({ principals: [name] }), '--ssh-dir', sandbox.sshDir, '--users', login, '--no-reload', '--retry-for', retryFor], { env: { AWS_ENDPOINT_URL_LAMBDA: signerUrl } });
  };

  it('ok/a signer answering Throttled three times: lkp host backs off, says so, and succeeds', async () => {
    const proxy = await startSignerProxy({ upstream: signer.url, decide: (_action, n) => (n <= 3 ? { code: 'Throttled' } : undefined) });
    const r = await host(proxy.url, '60s', 'busy-host');
    expect(r.code, r.stderr).toBe(0);
    // Then the revocation list, installed with the certificates (issue 11).
    expect(proxy.actions).toEqual(['ca-keys', 'ca-keys', 'ca-keys', 'ca-keys', 'host-cert', 'krl']);
    for (const n of [1, 2, 3]) expect(r.stderr).toMatch(new RegExp(`lkp host: signer: attempt ${n} failed: Throttled: .*; next try in \\d+(\\.\\d)? s \\(.* left of the --retry-for window\\)`));
    expect(r.stdout).toContain('busy-host');
  });

  it('fail/Forbidden is never retried: exactly one host-cert call, exit code of Forbidden', async () => {
    const proxy = await startSignerProxy({ upstream: signer.url, decide: (action) => (action === 'host-cert' ? { code: 'Forbidden' } : undefined) });
    const r = await host(proxy.url, '60s', 'denied-host');
    expect(r.code).toBe(4);
    expect(proxy.actions).toEqual(['ca-keys', 'host-cert']);
    expect(r.stderr).not.toContain('next try');
  });

  it('fail/Throttled until the window closes: the Throttled exit code; --retry-for 0 keeps the 3-attempt budget', async () => {
    const always = await startSignerProxy({ upstream: signer.url, decide: () => ({ code: 'Throttled' }) });
    const none = await host(always.url, '0', 'never-host');
    expect(none.code).toBe(7);
    expect(always.actions).toHaveLength(3);
    // The first back-off (under 1 s) always fits a 2 s window: at least two tries, then Throttled.
    const brief = await host(always.url, '2s', 'never-host');
    expect(brief.code).toBe(7);
    expect(always.actions.length).toBeGreaterThanOrEqual(5);
  });

  it('ok/a signer that comes up a few seconds after lkp host started: it succeeds within the window', async () => {
    const port = await freePort();
    const run = host(`http://127.0.0.1:${port}`, '2m', 'late-host');
    await new Promise((r) => setTimeout(r, 3_000));
    const proxy = await startSignerProxy({ upstream: signer.url, port, decide: () => undefined });
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/lkp host: signer: attempt 1 failed: SignerUnreachable: .*could not be reached.*; next try in/);
    expect(proxy.actions).toEqual(['ca-keys', 'host-cert', 'krl']);
  });
});

describe('lkp host when AWS throttles the signer', () => {
  it('ok/STS answers Throttling: the signer answers Throttled (audited), lkp host backs off and succeeds', async () => {
    const profile = `arn:aws:iam::${TEST_ACCOUNT}:instance-profile/lkp-host`;
    const world = await startAwsWorld({ instances: [{ instanceId: TEST_INSTANCE_ID, privateIpAddress: '10.0.0.12', iamInstanceProfile: { arn: profile, id: 'AIPA1' } }] });
    onCleanup(() => world.close());
    const imds = await startFakeImds({ registry: world.registry, instanceId: TEST_INSTANCE_ID, privateIp: '10.0.0.12' });
    onCleanup(() => imds.close());
    const ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.push({ name: 'fleet hosts', for: 'host', method: 'aws', accounts: [TEST_ACCOUNT], roles: ['lkp-host'], instanceProfiles: ['lkp-host'] });
    writeFileSync(ca.config, JSON.stringify(config));
    const signer = await startLocalSigner(ca.config, [], world.env());
    world.sts.failNext(2, 'Throttling', 400);
    const sandbox = await makeSandboxHost();
    const r = await lkp(['host', '--ssh-dir', sandbox.sshDir, '--users', currentUser(), '--no-reload', '--retry-for', '60s'], {
      env: { AWS_ENDPOINT_URL_LAMBDA: signer.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/lkp host: signer: attempt 2 failed: Throttled: /);
    const hostCerts = (await signer.waitForAudit(6)).filter((a) => a.action === 'host-cert');
    expect(hostCerts.map((a) => a.code ?? a.outcome)).toEqual(['Throttled', 'Throttled', 'issued']);
    await signer.stop();
  });
});
