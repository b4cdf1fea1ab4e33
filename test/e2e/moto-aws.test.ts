// The AWS story against moto (an AWS emulator this project did not write) with IAM
// enforced: a host launched with RunInstances (profile, tags) proves itself with the
// credentials sts:AssumeRole gives its role (session name = instance id, served through
// the IMDSv2 fake, which moto lacks), `lkp signer serve` checks the proof with moto's STS,
// the instance with moto's EC2 and the role with moto's IAM, and a real sshd admits a
// person's certificate. Stopped and terminated instances are refused; a signer identity
// without ec2:DescribeInstances gives a generic Internal answer whose audit line names
// the AWS error.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EC2Client, StopInstancesCommand, TerminateInstancesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeImds, type FakeImds } from '../fakes/imds.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import type { MotoCredentials } from '../helpers/moto.js';
import { EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { currentUser, startSshd, tempDir, type RunningSshd } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';

describe('lkp against moto with IAM enforced', () => {
  let world: MotoWorld;
  let ACCOUNT: string;
  let ca: LocalCa;
  let signer: LocalSigner;
  let blindSigner: LocalSigner;
  let ec2: EC2Client;
  let alice: MotoCredentials;
  const login = currentUser();
  const home = tempDir('lkp-moto-home-');
  const cleanup: Array<() => Promise<unknown> | unknown> = [];

  /** An instance of the fleet (RunInstances with profile and tags), and its role's credentials (session name = its id). */
  const launch = async (): Promise<{ instanceId: string; privateIp: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string } }> => {
    const instance = await world.launch({ tags: { Team: 'payments' } });
    const instanceId = instance.InstanceId ?? '';
    // moto answers AssumeRole with HTTP 500 when the trust names a Service principal: the
    // world's session() lets the role trust the admin while it is assumed, then EC2 only
    // again (as on AWS, the session stays valid). The signer checks the trust at request time.
    const c = await world.session('lkp-host', instanceId);
    return { instanceId, privateIp: instance.PrivateIpAddress ?? '', credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken ?? '' } };
  };

  /** Runs `lkp host` as the instance would: IMDSv2 fake serving its role's moto credentials. */
  const bootstrap = async (host: Awaited<ReturnType<typeof launch>>, via: LocalSigner = signer) => {
    const imds: FakeImds = await startFakeImds({ instanceId: host.instanceId, accountId: ACCOUNT, privateIp: host.privateIp, roleCredentials: host.credentials });
    cleanup.push(() => imds.close());
    const sandbox = await makeSandboxHost();
    cleanup.push(() => rmSync(sandbox.root, { recursive: true, force: true }));
    const r = await lkp(['host', '--ssh-dir', sandbox.sshDir, '--users', login, '--no-reload'], {
      env: { AWS_ENDPOINT_URL_LAMBDA: via.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    });
    return { r, sandbox };
  };

  beforeAll(async () => {
    // The signer's identity: what the deploy template grants it for the aws method.
    world = await startMotoWorld({ signerActions: ['ec2:DescribeInstances', 'iam:GetRole'] });
    ACCOUNT = world.account;
    ec2 = new EC2Client(world.client());
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    const blindCreds = await world.user('lkp-signer-blind', ['iam:GetRole']);
    alice = await world.user('alice', ['lambda:InvokeFunction', 'ec2:DescribeInstances']);

    ca = await makeLocalCa();
    cleanup.push(() => rmSync(path.dirname(ca.dir), { recursive: true, force: true }));
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.push(
      { name: 'fleet', for: 'host', method: 'aws', accounts: [ACCOUNT], roles: ['lkp-host'], instanceProfiles: ['lkp-host'] },
      { name: 'payments', for: 'user', method: 'aws', callers: [`arn:aws:iam::${ACCOUNT}:user/alice`], instances: { tags: { Team: 'payments' } }, logins: [login] },
    );
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
    blindSigner = await startLocalSigner(ca.config, [], world.env(blindCreds));
  }, 120_000);

  afterAll(async () => {
    await signer?.stop();
    await blindSigner?.stop();
    for (const c of cleanup.reverse()) await c();
    await world?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('ok/a host bootstraps with exactly the names moto reports; a person logs in to the real sshd', async () => {
    const host = await launch();
    const { r, sandbox } = await bootstrap(host);
    expect(r.code, r.stderr).toBe(0);

    const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [host.instanceId] }))).Reservations?.[0]?.Instances?.[0];
    const expected = [host.instanceId, described?.PrivateDnsName, described?.PrivateIpAddress, described?.PublicDnsName, described?.PublicIpAddress].filter((x): x is string => Boolean(x));
    const status = await lkp(['host', 'status', '--ssh-dir', sandbox.sshDir]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const lines = status.stdout.split('\n').filter((l) => l.includes('principals:'));
    expect(lines.length, status.stdout).toBe(2); // one certificate per host key (ed25519, ecdsa)
    for (const line of lines) {
      expect(line.replace(/.*principals:\s*/, '').split(/,\s*/).sort()).toEqual([...expected].sort());
    }

    const sshd: RunningSshd = await startSshd(sandbox.sshdConfig);
    cleanup.push(() => sshd.stop());
    const arn = `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${host.instanceId}`;
    const env = { ...world.env(alice), AWS_ENDPOINT_URL_LAMBDA: signer.url, LKP_HOME: home };
    const ok = await lkp(['ssh', 'exec', '--instance-arn', arn, '--user', login, '--address', '127.0.0.1', '--port', String(sshd.port), '--', 'echo', 'moto-ok'], { env });
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('moto-ok');
    expect(signer.audit().some((a) => a.action === 'user-cert' && a.outcome === 'issued' && String(a.caller).includes('user/alice'))).toBe(true);
  });

  it('fail/a stopped and a terminated instance get no host certificate', async () => {
    const stopped = await launch();
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped.instanceId] }));
    const a = await bootstrap(stopped);
    expect(a.r.code).toBe(4);
    expect(a.r.stderr).toMatch(/stopped/);
    const terminated = await launch();
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated.instanceId] }));
    const b = await bootstrap(terminated);
    expect(b.r.code).toBe(4);
    expect(b.r.stderr).toMatch(/terminated|shutting-down|does not exist/);
  });

  it('fail/a signer identity without ec2:DescribeInstances: the host sees Internal with a request id, the audit line holds the AWS error', async () => {
    const host = await launch();
    const before = blindSigner.audit().length;
    const { r } = await bootstrap(host, blindSigner);
    expect(r.code).toBe(10);
    const requestId = /request ([0-9a-f-]{36})/.exec(r.stderr)?.[1];
    expect(requestId, r.stderr).toBeDefined();
    expect(r.stderr).not.toMatch(/AccessDenied|DescribeInstances|403/);
    const lines = await blindSigner.waitForAudit(before + 1);
    const line = lines.find((l) => l.requestId === requestId);
    expect(line?.code).toBe('Internal');
    expect(String(line?.reason)).toMatch(/ec2:DescribeInstances/);
    expect(String(line?.reason)).toMatch(/AccessDenied|HTTP 403/);
  });
});
