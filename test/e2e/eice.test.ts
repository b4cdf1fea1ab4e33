// `--via eice` and `--via ssm` end to end: real sshd hosts configured by `lkp host`, the
// local signer (moto with IAM enforced behind it), the laptop's EC2 (DescribeInstances and
// DescribeInstanceConnectEndpoints, which moto lacks) from the EC2 fake, and the loopback
// EICE fake, which checks each presigned openTunnel URL's SigV4 signature and pipes the
// WebSocket to the sshd its "VPC" maps the instance's private IP to. The private IPs are
// 10.0.x addresses nothing listens on: a login can only have come through the tunnel.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialRegistry } from '../fakes/credentials.js';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2.js';
import { startFakeEice, type FakeEice, type FakeEndpoint } from '../fakes/eice.js';
import { startFakeImds } from '../fakes/imds.js';
import { asTestIdentity, EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { makeLocalCa } from '../helpers/local-ca.js';
import { LKP_BIN, lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser, startSshd, tempDir, type RunningSshd } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';

const VPC = 'vpc-0e1ce00000000000a';
const SUBNET = 'subnet-0e1ce00000000000a';
const EICE_ID = 'eice-0123456789abcdef0';
const EICE_DNS = `${EICE_ID}.1a2b3c4d.ec2-instance-connect-endpoint.us-east-1.amazonaws.com`;
const IP_X = '10.0.1.10';
const IP_Y = '10.0.1.11';

let X: string;
let Y: string;
let ACCOUNT: string;
const arn = (id: string) => `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${id}`;

const run = (cmd: string, args: string[], env: Record<string, string>, opts: { keepStdinOpen?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: [opts.keepStdinOpen ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });

describe('lkp ssh exec --via eice | ssm', () => {
  let world: MotoWorld;
  let laptopEc2: FakeEc2;
  let eice: FakeEice;
  let signer: LocalSigner;
  let sshdX: RunningSshd;
  let sshdY: RunningSshd;
  const login = currentUser();
  const home = tempDir('lkp-eice home-');
  let env: Record<string, string>;
  const routes = new Map<string, number>();
  const eiceEndpoints: FakeEndpoint[] = [{ endpointId: EICE_ID, routes }];

  const bootstrap = async (instanceId: string): Promise<RunningSshd> => {
    const credentials = await world.session('lkp-host', instanceId);
    const imds = await startFakeImds({ instanceId, accountId: ACCOUNT, privateIp: '127.0.0.1', roleCredentials: { ...credentials, sessionToken: credentials.sessionToken ?? '' } });
    const host = await makeSandboxHost();
    const r = await lkp(['host', '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], {
      env: { AWS_ENDPOINT_URL_LAMBDA: signer.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    });
    await imds.close();
    if (r.code !== 0) throw new Error(`lkp host failed: ${r.stderr}`);
    return startSshd(host.sshdConfig);
  };

  beforeAll(async () => {
    world = await startMotoWorld();
    ACCOUNT = world.account;
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    X = (await world.launch({ tags: { Team: 'payments' } })).InstanceId ?? '';
    Y = (await world.launch({ tags: { Team: 'payments' } })).InstanceId ?? '';
    const alice = await world.sso('alice@example.com');
    const registry = new CredentialRegistry();
    registry.add(asTestIdentity(alice));
    const inVpc = { ownerId: ACCOUNT, vpcId: VPC, subnetId: SUBNET, tags: { Team: 'payments' } };
    laptopEc2 = await startFakeEc2({
      registry,
      instances: [
        { instanceId: X, privateIpAddress: IP_X, ...inVpc },
        { instanceId: Y, privateIpAddress: IP_Y, ...inVpc },
        // Running in a VPC without an endpoint.
        { instanceId: 'i-0aaaaaaaaaaaaaaa1', privateIpAddress: '10.9.0.5', ownerId: ACCOUNT, vpcId: 'vpc-0ffffffffffffff01', subnetId: 'subnet-0ffffffffffffff01' },
      ],
      instanceConnectEndpoints: [
        { instanceConnectEndpointId: 'eice-0fffffffffffffff0', state: 'create-complete', dnsName: 'other.example', vpcId: 'vpc-0ddddddddddddddd1', subnetId: 'subnet-0ddddddddddddddd1' },
        { instanceConnectEndpointId: 'eice-0eeeeeeeeeeeeeee0', state: 'delete-in-progress', dnsName: 'gone.example', vpcId: VPC, subnetId: SUBNET },
        { instanceConnectEndpointId: EICE_ID, state: 'create-complete', dnsName: EICE_DNS, vpcId: VPC, subnetId: SUBNET },
      ],
    });
    eice = await startFakeEice({ registry, endpoints: eiceEndpoints, region: 'us-east-1' });
    const ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.push(
      { name: 'fleet', for: 'host', method: 'aws', accounts: [ACCOUNT], roles: ['lkp-host'] },
      { name: 'payments', for: 'user', method: 'aws', callers: ['arn:aws:sts::*:assumed-role/AWSReservedSSO_Admin_*/*'], instances: { tags: { Team: 'payments' } }, logins: [login] },
    );
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
    sshdX = await bootstrap(X);
    sshdY = await bootstrap(Y);
    routes.set(IP_X, sshdX.port);
    routes.set(IP_Y, sshdY.port);
    env = {
      AWS_ENDPOINT_URL_LAMBDA: signer.url,
      AWS_ENDPOINT_URL_EC2: laptopEc2.url,
      AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT: eice.url,
      AWS_ACCESS_KEY_ID: alice.accessKeyId,
      AWS_SECRET_ACCESS_KEY: alice.secretAccessKey,
      AWS_SESSION_TOKEN: alice.sessionToken ?? '',
      LKP_HOME: home,
    };
  }, 120_000);
  afterAll(async () => {
    await Promise.all([sshdX?.stop(), sshdY?.stop()]);
    await signer?.stop();
    await eice?.close();
    await laptopEc2?.close();
    await world?.close();
  }, 60_000);

  const exec = (id: string, args: string[], extra: string[] = [], extraEnv: Record<string, string> = {}) =>
    lkp(['ssh', 'exec', '--instance-arn', arn(id), '--user', login, '--via', 'eice', ...extra, '--', ...args], { env: { ...env, ...extraEnv } });
  const opened = () => eice.tunnels.filter((t) => t.status === 101);

  it('ok/logs in through the tunnel and passes the exit code through', async () => {
    const before = opened().length;
    const ok = await exec(X, ['true']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const three = await exec(X, ['exit 3']);
    expect(three.code).toBe(3);
    const tunnels = opened().slice(before);
    expect(tunnels).toHaveLength(2);
    // The endpoint in the instance's VPC (not the one being deleted), its private IP, port 22, one hour at most.
    expect(tunnels[0]).toMatchObject({ endpointId: EICE_ID, privateIp: IP_X, remotePort: '22', maxTunnelDuration: '3600' });
    expect(tunnels[0]?.caller).toMatch(/assumed-role\/AWSReservedSSO_Admin_[^/]+\/alice@example.com$/);
    expect(laptopEc2.calls.filter((c) => c.action === 'DescribeInstanceConnectEndpoints').at(-1)?.filters).toEqual([
      { name: 'state', values: ['create-complete'] },
      { name: 'vpc-id', values: [VPC] },
    ]);
  });

  it('ok/arguments with spaces and quotes arrive intact', async () => {
    const r = await exec(X, [`printf '%s|' "a b" 'c  d' "it's"`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("a b|c  d|it's|");
  });

  it("fail/an endpoint piping to another instance's sshd fails host verification, with no prompt", async () => {
    routes.set(IP_X, sshdY.port);
    try {
      const r = await exec(X, ['true']);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/Host key verification failed|No .* host key is known/);
      expect(r.stderr).not.toMatch(/Are you sure you want to continue connecting/);
    } finally {
      routes.set(IP_X, sshdX.port);
    }
  });

  it('fail/a forged signature is refused: TunnelRefused', async () => {
    // The proxy as ssh runs it, signing with a secret that is not the key's.
    const r = await lkp(['ssh', 'proxy', '--via', 'eice', '--host', X, '--port', '22', '--address', IP_X, '--eice-id', EICE_ID, '--eice-dns', EICE_DNS, '--region', 'us-east-1'], {
      env: { ...env, AWS_SECRET_ACCESS_KEY: 'forged0000000000000000000000000000000000' },
    });
    expect(r.code).toBe(53);
    expect(r.stderr).toMatch(/^lkp: TunnelRefused: /);
    expect(eice.tunnels.at(-1)).toMatchObject({ status: 403, reason: 'SignatureDoesNotMatch' });
  });

  it('fail/an IAM denial of ec2-instance-connect:OpenTunnel says which permission is missing', async () => {
    eice.setAuthorize(() => false);
    try {
      const r = await exec(X, ['true']);
      expect(r.code).toBe(255); // ssh's code: the ProxyCommand failed
      expect(r.stderr).toMatch(/lkp: TunnelRefused: .*ec2-instance-connect:OpenTunnel/);
    } finally {
      eice.setAuthorize(() => true);
    }
  });

  it("fail/the endpoint's connection limit is a clear error: TunnelLimit", async () => {
    // A limit of one (EICE's is 20), taken by a tunnel that stays open.
    eice.setLimit(1);
    const holder = spawn(process.execPath, [LKP_BIN, 'ssh', 'proxy', '--via', 'eice', '--host', Y, '--port', '22', '--address', IP_Y, '--eice-id', EICE_ID, '--eice-dns', EICE_DNS, '--region', 'us-east-1'], { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      for (let i = 0; i < 200 && eice.open(EICE_ID) < 1; i += 1) await new Promise((r) => setTimeout(r, 25));
      expect(eice.open(EICE_ID)).toBe(1);
      const r = await exec(X, ['true']);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/lkp: TunnelLimit: .*20 concurrent connections/);
      expect(eice.tunnels.at(-1)?.status).toBe(429);
    } finally {
      holder.kill();
      eice.setLimit(20);
    }
  });

  it('fail/the tunnel closed at its maximum duration says so: TunnelLimit', async () => {
    const r = await run(process.execPath, [LKP_BIN, 'ssh', 'proxy', '--via', 'eice', '--host', X, '--port', '22', '--address', IP_X, '--eice-id', EICE_ID, '--eice-dns', EICE_DNS, '--region', 'us-east-1', '--max-tunnel-duration', '1'], env, { keepStdinOpen: true });
    expect(r.stdout).toMatch(/^SSH-2\.0-/); // sshd's banner came through the tunnel
    expect(r.code).toBe(54);
    expect(r.stderr).toMatch(/^lkp: TunnelLimit: .*maximum duration/);
  });

  it('fail/no endpoint in the instance VPC: EiceNotFound, before any certificate is asked for', async () => {
    const r = await lkp(['ssh', 'exec', '--instance-arn', arn('i-0aaaaaaaaaaaaaaa1'), '--user', login, '--via', 'eice', '--', 'true'], { env });
    expect(r.code).toBe(52);
    expect(r.stderr).toMatch(/EiceNotFound: there is no EC2 Instance Connect Endpoint in vpc-0ffffffffffffff01/);
    const byId = await exec(X, ['true'], ['--eice-id', 'eice-0fffffffffffffff1']);
    expect(byId.code).toBe(52);
  });

  it('ok/a certificate cache hit with a cached route makes no EC2 call; a tunnel refused because the endpoint is gone looks again once', async () => {
    const cEnv = { LKP_HOME: tempDir('lkp-eice-cache-') };
    const since = (mark: number) => laptopEc2.calls.slice(mark).map((c) => c.action);
    let mark = laptopEc2.calls.length;
    const first = await exec(X, ['true'], [], cEnv);
    expect(first.code, first.stderr).toBe(0);
    expect(since(mark).sort()).toEqual(['DescribeInstanceConnectEndpoints', 'DescribeInstances']);
    mark = laptopEc2.calls.length;
    const hit = await exec(X, ['echo hit'], [], cEnv);
    expect(hit.stdout.trim()).toBe('hit');
    expect(since(mark)).toEqual([]);
    // The plan says the same: certificate and route from the cache, nothing asked of EC2.
    const dry = await exec(X, ['true'], ['--dry-run'], cEnv);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`Endpoint ${EICE_ID} \\(cached`));
    expect(dry.stdout).toMatch(/certificate: cached/);
    expect(dry.stdout).toMatch(new RegExp(`address: +${IP_X.replace(/\./g, '\\.')} \\(private IPv4, cached`));
    expect(dry.stdout).not.toMatch(/would/);
    expect(since(mark)).toEqual([]);
    // The endpoint is replaced: the cached one answers 404, EC2 lists only the new one.
    const NEW_ID = 'eice-0123456789abcdef1';
    const old = laptopEc2.endpoints.findIndex((e) => e.instanceConnectEndpointId === EICE_ID);
    const [oldEc2] = laptopEc2.endpoints.splice(old, 1);
    laptopEc2.endpoints.push({ instanceConnectEndpointId: NEW_ID, state: 'create-complete', dnsName: `${NEW_ID}.1a2b3c4d.ec2-instance-connect-endpoint.us-east-1.amazonaws.com`, vpcId: VPC, subnetId: SUBNET });
    eiceEndpoints.splice(0, 1, { endpointId: NEW_ID, routes });
    try {
      mark = laptopEc2.calls.length;
      const tunnels = eice.tunnels.length;
      const again = await exec(X, ['echo again'], [], cEnv);
      expect(again.stderr).toBe('');
      expect(again.stdout.trim()).toBe('again');
      expect(since(mark)).toEqual(['DescribeInstanceConnectEndpoints']);
      expect(eice.tunnels.slice(tunnels).map((t) => [t.endpointId, t.status])).toEqual([[EICE_ID, 404], [NEW_ID, 101]]);
      // The new endpoint is cached: the next hit asks EC2 nothing and goes straight through it.
      mark = laptopEc2.calls.length;
      const next = await exec(X, ['true'], [], cEnv);
      expect(next.code, next.stderr).toBe(0);
      expect(since(mark)).toEqual([]);
      expect(eice.tunnels.at(-1)).toMatchObject({ endpointId: NEW_ID, status: 101 });
    } finally {
      laptopEc2.endpoints.splice(laptopEc2.endpoints.findIndex((e) => e.instanceConnectEndpointId === NEW_ID), 1);
      if (oldEc2) laptopEc2.endpoints.push(oldEc2);
      eiceEndpoints.splice(0, 1, { endpointId: EICE_ID, routes });
    }
  });

  it('ok/--jump: the bastion is reached through the tunnel, the target through the bastion', async () => {
    const before = opened().length;
    const r = await exec(X, ['echo via-eice-jump'], ['--jump', `${login}@${arn(Y)}`, '--address', '127.0.0.1', '--port', String(sshdX.port)]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('via-eice-jump');
    expect(opened().slice(before).map((t) => t.privateIp)).toEqual([IP_Y]);
  });

  it('ok/"via": "eice" in the client config: a cache hit (no --via) still goes through the tunnel', async () => {
    const vHome = tempDir('lkp-eice-via-');
    writeFileSync(path.join(vHome, 'config.json'), JSON.stringify({ version: 1, defaultSigner: 'prod', signers: { prod: { functionName: 'lkp-signer', region: 'us-east-1', via: 'eice' } } }));
    const vEnv = { ...env, LKP_HOME: vHome, LKP_CONFIG: path.join(vHome, 'config.json') };
    const plain = () => lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--', 'echo via-config'], { env: vEnv });
    const issued = () => signer.audit().filter((a) => a.outcome === 'issued' && a.action === 'user-cert').length;
    const miss = await plain();
    expect(miss.stderr).toBe('');
    expect(miss.stdout.trim()).toBe('via-config');
    await signer.waitForAudit(1);
    const before = { tunnels: opened().length, issued: issued() };
    const hit = await plain();
    expect(hit.stderr).toBe('');
    expect(hit.code).toBe(0);
    expect(hit.stdout.trim()).toBe('via-config');
    expect(issued()).toBe(before.issued); // the cached certificate
    expect(opened().slice(before.tunnels).map((t) => t.privateIp)).toEqual([IP_X]);
  });

  it('ok/transparent mode with "via": "eice": plain ssh LOGIN@i-… goes through the tunnel', async () => {
    const fakeHome = tempDir('lkp-eice-user-');
    const tHome = path.join(fakeHome, '.lkp');
    const binDir = path.join(fakeHome, 'bin');
    mkdirSync(binDir);
    symlinkSync(LKP_BIN, path.join(binDir, 'lkp'));
    mkdirSync(tHome, { recursive: true });
    writeFileSync(path.join(tHome, 'config.json'), JSON.stringify({ version: 1, defaultSigner: 'prod', signers: { prod: { functionName: 'lkp-signer', region: 'us-east-1', via: 'eice' } } }));
    const tEnv = { ...env, HOME: fakeHome, LKP_HOME: tHome, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
    const install = await lkp(['ssh', 'config', '--install'], { env: tEnv });
    expect(install.code, install.stderr).toBe(0);
    const before = opened().length;
    const sshConfig = path.join(fakeHome, '.ssh', 'config');
    const r = await run('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', `${login}@${X}`, 'echo transparent-eice'], tEnv);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('transparent-eice');
    expect(r.code).toBe(0);
    expect(opened().slice(before).map((t) => t.privateIp)).toEqual([IP_X]);
    // prepare left the per-instance file with the tunnel as ProxyCommand: the next connection
    // needs no prepare, and still goes through the tunnel, verified as the instance id.
    const hostConf = readFileSync(path.join(tHome, 'hosts', X, `${login}.conf`), 'utf8');
    expect(hostConf).toContain(`HostKeyAlias ${X}`);
    expect(hostConf).toMatch(/^    ProxyCommand .*'--via' 'eice'.* --port %p$/m);
    expect(hostConf).toContain(`RevokedHostKeys "${path.join(tHome, 'revoked_keys.prod')}"`);
    const again = await run('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', `${login}@${X}`, 'echo transparent-eice-2'], tEnv);
    expect(again.stderr).toBe('');
    expect(again.stdout.trim()).toBe('transparent-eice-2');
    expect(opened().slice(before).map((t) => t.privateIp)).toEqual([IP_X, IP_X]);
  });

  describe('--via ssm', () => {
    const stubs = tempDir('lkp-ssm-stubs-');
    const withPlugin = path.join(stubs, 'with-plugin');
    const withoutPlugin = path.join(stubs, 'without-plugin');
    const log = path.join(stubs, 'aws.log');
    beforeAll(() => {
      // A stub `aws`: records its argv and environment, then connects to the loopback sshd.
      const aws = `#!${process.execPath}
const fs = require('node:fs');
const net = require('node:net');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), region: process.env.AWS_REGION }) + '\\n');
const s = net.connect(Number(process.env.STUB_SSHD_PORT), '127.0.0.1');
process.stdin.pipe(s);
s.pipe(process.stdout);
s.on('close', () => process.exit(0));
`;
      for (const dir of [withPlugin, withoutPlugin]) {
        mkdirSync(dir);
        writeFileSync(path.join(dir, 'aws'), aws);
        chmodSync(path.join(dir, 'aws'), 0o755);
      }
      writeFileSync(path.join(withPlugin, 'session-manager-plugin'), '#!/bin/sh\nexit 0\n');
      chmodSync(path.join(withPlugin, 'session-manager-plugin'), 0o755);
    });

    it("ok/ssh's ProxyCommand is exactly AWS's documented one", async () => {
      writeFileSync(log, '');
      const r = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--via', 'ssm', '--', 'echo via-ssm'], {
        env: { ...env, STUB_SSHD_PORT: String(sshdX.port), PATH: `${withPlugin}${path.delimiter}${process.env.PATH ?? ''}` },
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('via-ssm');
      const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; region: string });
      expect(calls).toEqual([{ argv: ['ssm', 'start-session', '--target', X, '--document-name', 'AWS-StartSSHSession', '--parameters', 'portNumber=22'], region: 'us-east-1' }]);
      const dry = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--via', 'ssm', '--dry-run', '--', 'true'], { env: { ...env, PATH: `${withPlugin}${path.delimiter}${process.env.PATH ?? ''}` } });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`ProxyCommand=aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p' -l ${login} ${X} true`);
      // Session Manager reaches the instance by its id: the plan asks EC2 for no address.
      expect(dry.stdout).not.toMatch(/would look up/);
      expect(dry.stdout).toMatch(new RegExp(`address: +${X} \\(the instance id`));
    });

    it('ok/transparent mode with "via": "ssm": plain ssh LOGIN@i-… runs the documented command', async () => {
      writeFileSync(log, '');
      const fakeHome = tempDir('lkp-ssm-user-');
      const tHome = path.join(fakeHome, '.lkp');
      const binDir = path.join(fakeHome, 'bin');
      mkdirSync(binDir);
      symlinkSync(LKP_BIN, path.join(binDir, 'lkp'));
      mkdirSync(tHome, { recursive: true });
      writeFileSync(path.join(tHome, 'config.json'), JSON.stringify({ version: 1, defaultSigner: 'prod', signers: { prod: { functionName: 'lkp-signer', region: 'us-east-1', via: 'ssm' } } }));
      const tEnv = { ...env, HOME: fakeHome, LKP_HOME: tHome, STUB_SSHD_PORT: String(sshdY.port), PATH: `${binDir}${path.delimiter}${withPlugin}${path.delimiter}${process.env.PATH ?? ''}` };
      const install = await lkp(['ssh', 'config', '--install'], { env: tEnv });
      expect(install.code, install.stderr).toBe(0);
      const r = await run('ssh', ['-F', path.join(fakeHome, '.ssh', 'config'), '-o', 'BatchMode=yes', `${login}@${Y}`, 'echo transparent-ssm'], tEnv);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('transparent-ssm');
      const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[] });
      expect(calls.map((c) => c.argv)).toEqual([['ssm', 'start-session', '--target', Y, '--document-name', 'AWS-StartSSHSession', '--parameters', 'portNumber=22']]);
    });

    it('ok/the signer\'s "ssmDocument" (the template\'s port-22 document) is the one started, in exec and transparent mode; --dry-run looks up no address', async () => {
      writeFileSync(log, '');
      const fakeHome = tempDir('lkp-ssm-doc-');
      const tHome = path.join(fakeHome, '.lkp');
      const binDir = path.join(fakeHome, 'bin');
      mkdirSync(binDir);
      symlinkSync(LKP_BIN, path.join(binDir, 'lkp'));
      mkdirSync(tHome, { recursive: true });
      const DOC = 'lkp-lkp-StartSSHSession';
      writeFileSync(path.join(tHome, 'config.json'), JSON.stringify({ version: 1, defaultSigner: 'prod', signers: { prod: { functionName: 'lkp-signer', region: 'us-east-1', via: 'ssm', ssmDocument: DOC } } }));
      const tEnv = { ...env, HOME: fakeHome, LKP_HOME: tHome, STUB_SSHD_PORT: String(sshdX.port), PATH: `${binDir}${path.delimiter}${withPlugin}${path.delimiter}${process.env.PATH ?? ''}` };
      const mark = laptopEc2.calls.length;
      const dry = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--dry-run', '--', 'true'], { env: tEnv });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).not.toMatch(/would look up/);
      expect(dry.stdout).toMatch(new RegExp(`address: +${X} \\(the instance id`));
      expect(dry.stdout).toContain(`ProxyCommand=aws ssm start-session --target %h --document-name ${DOC} --parameters portNumber=%p'`);
      const r = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--', 'echo doc'], { env: tEnv });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('doc');
      expect(laptopEc2.calls.length).toBe(mark); // Session Manager needs no address from EC2
      const install = await lkp(['ssh', 'config', '--install'], { env: tEnv });
      expect(install.code, install.stderr).toBe(0);
      const t = await run('ssh', ['-F', path.join(fakeHome, '.ssh', 'config'), '-o', 'BatchMode=yes', `${login}@${X}`, 'echo transparent-doc'], tEnv);
      expect(t.stderr).toBe('');
      expect(t.stdout.trim()).toBe('transparent-doc');
      const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[] });
      const expected = ['ssm', 'start-session', '--target', X, '--document-name', DOC, '--parameters', 'portNumber=22'];
      expect(calls.map((c) => c.argv)).toEqual([expected, expected]);
    });

    it('fail/a missing session-manager-plugin says exactly what to install: ToolMissing', async () => {
      const r = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--via', 'ssm', '--', 'true'], {
        env: { ...env, PATH: `${withoutPlugin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin` },
      });
      expect(r.code).toBe(55);
      expect(r.stderr).toMatch(/^lkp: ToolMissing: .*session-manager-plugin.*session-manager-working-with-install-plugin\.html/);
      expect(r.stderr).not.toMatch(/AWS CLI v2/);
    });
  });
});
