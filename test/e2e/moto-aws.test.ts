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
import { EC2Client, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateAccessKeyCommand, CreateInstanceProfileCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeImds, type FakeImds } from '../fakes/imds.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { startMoto, type Moto, type MotoCredentials } from '../helpers/moto.js';
import { currentUser, startSshd, tempDir, type RunningSshd } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';

const ACCOUNT = '123456789012'; // moto's account

describe('lkp against moto with IAM enforced', () => {
  let moto: Moto;
  let ca: LocalCa;
  let signer: LocalSigner;
  let blindSigner: LocalSigner;
  let ec2: EC2Client;
  let alice: MotoCredentials;
  const login = currentUser();
  const home = tempDir('lkp-moto-home-');
  const cleanup: Array<() => Promise<unknown> | unknown> = [];

  const user = async (iam: IAMClient, name: string, actions: string[]): Promise<MotoCredentials> => {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (actions.length > 0) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }) }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' };
  };

  /** An instance of the fleet, and the credentials its role has on it (session name = its id). */
  const launch = async (): Promise<{ instanceId: string; privateIp: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string } }> => {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        MinCount: 1,
        MaxCount: 1,
        IamInstanceProfile: { Name: 'lkp-host' },
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Team', Value: 'payments' }] }],
      }),
    );
    const instance = out.Instances?.[0];
    const instanceId = instance?.InstanceId ?? '';
    // moto answers AssumeRole with HTTP 500 when the trust names a Service principal: the
    // role trusts the admin while its sessions are made, then EC2 only (as on AWS; the
    // sessions stay valid). The signer checks the trust policy at request time.
    const iam = new IAMClient(moto.client());
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'lkp-host', PolicyDocument: trust({ AWS: `arn:aws:iam::${ACCOUNT}:user/lkp-test-admin` }) }));
    const sts = new STSClient(moto.client());
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/lkp-host`, RoleSessionName: instanceId }));
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'lkp-host', PolicyDocument: trust({ Service: 'ec2.amazonaws.com' }) }));
    const c = assumed.Credentials;
    return { instanceId, privateIp: instance?.PrivateIpAddress ?? '', credentials: { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '', sessionToken: c?.SessionToken ?? '' } };
  };

  const trust = (principal: Record<string, string>): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });

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
    moto = await startMoto();
    const iam = new IAMClient(moto.client());
    ec2 = new EC2Client(moto.client());
    await iam.send(new CreateRoleCommand({ RoleName: 'lkp-host', AssumeRolePolicyDocument: trust({ Service: 'ec2.amazonaws.com' }) }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'lkp-host' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'lkp-host', RoleName: 'lkp-host' }));
    // The signer's identity: what the deploy template grants it for the aws method.
    const signerCreds = await user(iam, 'lkp-signer', ['ec2:DescribeInstances', 'iam:GetRole']);
    const blindCreds = await user(iam, 'lkp-signer-blind', ['iam:GetRole']);
    alice = await user(iam, 'alice', ['lambda:InvokeFunction', 'ec2:DescribeInstances']);

    ca = await makeLocalCa();
    cleanup.push(() => rmSync(path.dirname(ca.dir), { recursive: true, force: true }));
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.push(
      { name: 'fleet', for: 'host', method: 'aws', accounts: [ACCOUNT], roles: ['lkp-host'], instanceProfiles: ['lkp-host'] },
      { name: 'payments', for: 'user', method: 'aws', callers: [`arn:aws:iam::${ACCOUNT}:user/alice`], instances: { tags: { Team: 'payments' } }, logins: [login] },
    );
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], moto.env(signerCreds));
    blindSigner = await startLocalSigner(ca.config, [], moto.env(blindCreds));
  }, 120_000);

  afterAll(async () => {
    await signer?.stop();
    await blindSigner?.stop();
    for (const c of cleanup.reverse()) await c();
    await moto?.close();
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
    const env = { ...moto.env(alice), AWS_ENDPOINT_URL_LAMBDA: signer.url, LKP_HOME: home };
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
