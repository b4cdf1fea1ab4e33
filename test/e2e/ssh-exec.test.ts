// `lkp ssh exec` end to end against a real sshd configured by `lkp host` (EC2 path), with
// `lkp signer serve` as the signer. The signer's AWS (STS, EC2, IAM) is moto with IAM
// enforced; hosts get their role credentials from sts:AssumeRole through the IMDSv2 fake.
// The laptop's own DescribeInstances (which address to dial) answers from the EC2 fake,
// holding the same instance ids at 127.0.0.1: moto gives every instance a public address
// outside loopback and cannot place one at 127.0.0.1, and tests dial loopback only.
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialRegistry } from '../fakes/credentials.js';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2.js';
import { startFakeImds, type FakeImds } from '../fakes/imds.js';
import { asTestIdentity, EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { LKP_BIN, lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser, startSshd, tempDir, type RunningSshd } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';
import { faketimeEnv } from '../helpers/faketime.js';

// moto's ids for two running instances of the fleet and a stopped one.
let X: string;
let Y: string;
let STOPPED: string;
let ACCOUNT: string;
const arn = (id: string) => `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${id}`;

/** Plain ssh with an environment (the transparent mode's Match exec runs lkp with it). */
const runSshWithEnv = (args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn('ssh', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });

const runSshAdd = (args: string[], sock: string): Promise<string> =>
  new Promise((resolve) => execFile('ssh-add', args, { env: { ...process.env, SSH_AUTH_SOCK: sock } }, (_e, out) => resolve(out)));

describe('lkp ssh exec', () => {
  let world: MotoWorld;
  let laptopEc2: FakeEc2;
  let ca: LocalCa;
  let signer: LocalSigner;
  let sshdX: RunningSshd;
  let sshdY: RunningSshd;
  const login = currentUser();
  const home = tempDir('lkp-home dir-'); // a space: every path lkp writes into ssh's config or argv must survive it
  let env: Record<string, string>;

  const bootstrap = async (instanceId: string): Promise<RunningSshd> => {
    const credentials = await world.session('lkp-host', instanceId);
    const imds: FakeImds = await startFakeImds({ instanceId, accountId: ACCOUNT, privateIp: '127.0.0.1', roleCredentials: { ...credentials, sessionToken: credentials.sessionToken ?? '' } });
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
    STOPPED = (await world.launch({ tags: { Team: 'payments' }, state: 'stopped' })).InstanceId ?? '';
    const alice = await world.sso('alice@example.com');
    const registry = new CredentialRegistry();
    registry.add(asTestIdentity(alice));
    const profile = { arn: `arn:aws:iam::${ACCOUNT}:instance-profile/lkp-host`, id: 'AIPA1' };
    laptopEc2 = await startFakeEc2({
      registry,
      instances: [
        { instanceId: X, ownerId: ACCOUNT, privateIpAddress: '127.0.0.1', iamInstanceProfile: profile, tags: { Team: 'payments' } },
        { instanceId: Y, ownerId: ACCOUNT, privateIpAddress: '127.0.0.1', iamInstanceProfile: profile, tags: { Team: 'payments' } },
        { instanceId: STOPPED, ownerId: ACCOUNT, privateIpAddress: '127.0.0.1', iamInstanceProfile: profile, tags: { Team: 'payments' }, state: 'stopped' },
      ],
    });
    ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.push(
      { name: 'fleet', for: 'host', method: 'aws', accounts: [ACCOUNT], roles: ['lkp-host'] },
      { name: 'payments', for: 'user', method: 'aws', callers: ['arn:aws:sts::*:assumed-role/AWSReservedSSO_Admin_*/*'], instances: { tags: { Team: 'payments' } }, logins: [login], message: `payments admins log in as ${login} only` },
    );
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
    sshdX = await bootstrap(X);
    sshdY = await bootstrap(Y);
    env = {
      AWS_ENDPOINT_URL_LAMBDA: signer.url,
      AWS_ENDPOINT_URL_EC2: laptopEc2.url,
      AWS_ACCESS_KEY_ID: alice.accessKeyId,
      AWS_SECRET_ACCESS_KEY: alice.secretAccessKey,
      AWS_SESSION_TOKEN: alice.sessionToken ?? '',
      LKP_HOME: home,
    };
  }, 120_000);
  afterAll(async () => {
    await Promise.all([sshdX?.stop(), sshdY?.stop()]);
    await signer?.stop();
    await laptopEc2?.close();
    await world?.close();
  }, 60_000);

  const exec = (id: string, port: number, args: string[], extra: string[] = []) => lkp(['ssh', 'exec', '--instance-arn', arn(id), '--user', login, '--port', String(port), ...extra, '--', ...args], { env });
  const issued = () => signer.audit().filter((a) => a.outcome === 'issued' && a.action === 'user-cert').length;

  it('ok/logs in and passes the exit code through; a second run uses the cached certificate', async () => {
    const first = await exec(X, sshdX.port, ['true']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    await signer.waitForAudit(1);
    const before = issued();
    const three = await exec(X, sshdX.port, ['exit 3']);
    expect(three.code).toBe(3);
    expect(issued()).toBe(before); // no signer call on a cache hit
    const files = readFileSync(path.join(home, 'id_ed25519'), 'utf8');
    expect(files).toMatch(/OPENSSH PRIVATE KEY/);
    expect(statSync(path.join(home, 'id_ed25519')).mode & 0o777).toBe(0o600);
  });

  it('ok/a cache hit loads no AWS SDK client: no Lambda, EC2, STS or SSO code is even imported', async () => {
    // A module hook in the lkp process records every module whose source is an SDK client's.
    const dir = tempDir('lkp-hook-');
    const log = path.join(dir, 'sdk-modules.log');
    writeFileSync(
      path.join(dir, 'loader.mjs'),
      `import { appendFileSync } from 'node:fs';
const MARKERS = ['AWSGirApiService', 'AmazonEC2', 'AWSSecurityTokenServiceV20110615', 'SWBPortalService'];
export async function load(url, context, next) {
  const r = await next(url, context);
  const text = r.source ? String(r.source) : '';
  appendFileSync(${JSON.stringify(log)}, (MARKERS.some((m) => text.includes(m)) ? 'SDK ' : 'ok ') + url + '\\n');
  return r;
}
`,
    );
    writeFileSync(path.join(dir, 'hook.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'loader.mjs')).href)});\n`);
    // CommonJS modules (the cache hit runs from dist/bundle/exec-hit.cjs) bypass the hook:
    // a preload checks every one of them the same way when the process ends.
    writeFileSync(
      path.join(dir, 'cjs.cjs'),
      `const { appendFileSync, readFileSync } = require('node:fs');
const MARKERS = ['AWSGirApiService', 'AmazonEC2', 'AWSSecurityTokenServiceV20110615', 'SWBPortalService'];
process.on('exit', () => {
  for (const f of Object.keys(require.cache)) {
    if (f === __filename) continue;
    const text = readFileSync(f, 'utf8');
    appendFileSync(${JSON.stringify(log)}, (MARKERS.some((m) => text.includes(m)) ? 'SDK ' : 'ok ') + require('node:url').pathToFileURL(f).href + '\\n');
  }
});
`,
    );
    const hooks = `--require ${path.join(dir, 'cjs.cjs')} --import ${pathToFileURL(path.join(dir, 'hook.mjs')).href}`;
    expect((await exec(X, sshdX.port, ['true'])).code).toBe(0);
    const before = issued();
    const hit = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--port', String(sshdX.port), '--', 'true'], { env: { ...env, NODE_OPTIONS: hooks } });
    expect(hit.code, hit.stderr).toBe(0);
    expect(issued()).toBe(before);
    const loaded = readFileSync(log, 'utf8').trim().split('\n');
    expect(loaded.some((l) => l.endsWith('/dist/bundle/exec-hit.cjs'))).toBe(true); // the checks saw lkp's own code
    expect(loaded.filter((l) => l.startsWith('SDK '))).toEqual([]);
    // The hook does see them on a miss (--refresh asks the signer and EC2).
    writeFileSync(log, '');
    const miss = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--port', String(sshdX.port), '--refresh', '--', 'true'], { env: { ...env, NODE_OPTIONS: hooks } });
    expect(miss.code, miss.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/^SDK /m);
  });

  it('ok/arguments with spaces and quotes reach ssh intact', async () => {
    const r = await exec(X, sshdX.port, [`printf '%s|' "a b" 'c  d' "it's"`]);
    expect(r.stdout).toBe("a b|c  d|it's|");
    const dry = await exec(X, sshdX.port, ['echo', 'two  spaces', `q"uote`], ['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`-o StrictHostKeyChecking=yes -o UpdateHostKeys=no -o HostKeyAlias=${X}`);
    expect(dry.stdout.trim().endsWith(`127.0.0.1 echo 'two  spaces' 'q"uote'`)).toBe(true);
  });

  it('fail/a denied login shows the policy message', async () => {
    const r = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', 'daemon', '--port', String(sshdX.port), '--', 'true'], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`payments admins log in as ${login} only`);
  });

  it('fail/a stopped or unknown instance is a clear error', async () => {
    const stopped = await exec(STOPPED, sshdX.port, ['true']);
    expect(stopped.code).toBe(35);
    expect(stopped.stderr).toMatch(/is stopped; start it first/);
    const unknown = await exec('i-0ddddddddddddddd4', sshdX.port, ['true']);
    expect(unknown.code).toBe(35);
    expect(unknown.stderr).toMatch(/does not exist/);
  });

  it("fail/a host presenting another instance's certificate is refused without any prompt", async () => {
    // Instance X's certificate, but the sshd that answers is Y's (same address, Y's port).
    const r = await exec(X, sshdY.port, ['true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Host key verification failed|No .* host key is known/);
    expect(r.stderr).not.toMatch(/Are you sure you want to continue connecting/);
  });

  it('ok/transparent mode: after `lkp ssh config --install`, plain ssh logs in by instance id; a second install changes nothing', async () => {
    // A home with a space, and lkp installed on PATH (in a folder with a space too).
    const fakeHome = tempDir('lkp-user home-');
    const tHome = path.join(fakeHome, '.lkp');
    const binDir = path.join(fakeHome, 'bin dir');
    mkdirSync(binDir);
    symlinkSync(LKP_BIN, path.join(binDir, 'lkp'));
    const tEnv = { ...env, HOME: fakeHome, LKP_HOME: tHome, AWS_REGION: 'us-east-1', PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
    const sshConfig = path.join(fakeHome, '.ssh', 'config');
    mkdirSync(path.dirname(sshConfig), { recursive: true });
    writeFileSync(sshConfig, 'Host *\n    ServerAliveInterval 30\n');
    const install = await lkp(['ssh', 'config', '--install'], { env: tEnv });
    expect(install.code, install.stderr).toBe(0);
    const once = readFileSync(sshConfig, 'utf8');
    expect(once.startsWith('# BEGIN lkp ssh config')).toBe(true);
    expect(once).toContain('ServerAliveInterval 30');
    expect(once).toContain(`ProxyCommand '${path.join(binDir, 'lkp')}' ssh proxy`);
    const again = await lkp(['ssh', 'config', '--install'], { env: tEnv });
    expect(again.stdout).toMatch(/already up to date/);
    expect(readFileSync(sshConfig, 'utf8')).toBe(once);
    const r = await runSshWithEnv(['-F', sshConfig, '-o', 'BatchMode=yes', '-p', String(sshdX.port), `${login}@${X}`, 'echo transparent-$(whoami)'], tEnv);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`transparent-${login}`);
    expect(r.code).toBe(0);
  });

  it('ok/transparent mode, cached certificate: the first connection runs lkp once (prepare, no proxy), the next none, an expiring certificate is obtained again', async () => {
    // A signer issuing 5-minute user certificates: the cache's margin is then 150 s, so a
    // clock 4 minutes ahead sees the certificate expiring while the signer still accepts
    // the identity proof (5 minutes).
    const shortConfig = path.join(path.dirname(ca.config), 'signer-short.json'); // CA files are relative to it
    writeFileSync(shortConfig, JSON.stringify({ ...(JSON.parse(readFileSync(ca.config, 'utf8')) as object), certificates: { user: { default: '5m' } } }));
    const short = await startLocalSigner(shortConfig, [], world.env());
    try {
      const fakeHome = tempDir('lkp-user home-');
      const binDir = path.join(fakeHome, 'bin dir');
      mkdirSync(binDir);
      // lkp on PATH is a wrapper that logs every invocation, then runs the real lkp.
      const calls = path.join(fakeHome, 'calls.log');
      writeFileSync(path.join(binDir, 'lkp'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${process.execPath}' '${LKP_BIN}' "$@"\n`, { mode: 0o755 });
      const tEnv = { ...env, AWS_ENDPOINT_URL_LAMBDA: short.url, HOME: fakeHome, LKP_HOME: path.join(fakeHome, '.lkp'), AWS_REGION: 'us-east-1', PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
      const sshConfig = path.join(fakeHome, '.ssh', 'config');
      const install = await lkp(['ssh', 'config', '--install'], { env: tEnv });
      expect(install.code, install.stderr).toBe(0);
      const issuedShort = () => short.audit().filter((a) => a.outcome === 'issued' && a.action === 'user-cert').length;
      const issuedReaches = async (n: number) => {
        for (let i = 0; i < 200 && issuedShort() < n; i += 1) await new Promise((r) => setTimeout(r, 10));
        return issuedShort();
      };
      const lkpCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) : []);
      const connect = (extra: Record<string, string> = {}) => runSshWithEnv(['-F', sshConfig, '-o', 'BatchMode=yes', '-p', String(sshdX.port), `${login}@${X}`, 'echo cached-$(whoami)'], { ...tEnv, ...extra });

      writeFileSync(calls, '');
      const first = await connect();
      expect(first.stderr).toBe('');
      expect(first.stdout.trim()).toBe(`cached-${login}`);
      expect(await issuedReaches(1)).toBe(1);
      expect(lkpCalls()).toEqual([`ssh prepare --host ${X} --user ${login}`]);

      writeFileSync(calls, '');
      const second = await connect();
      expect(second.stderr).toBe('');
      expect(second.stdout.trim()).toBe(`cached-${login}`);
      expect(lkpCalls()).toEqual([]); // no lkp process at all
      expect(issuedShort()).toBe(1);

      // Four minutes later (this ssh and everything it starts): the certificate is inside
      // its safety margin, so the per-instance config steps aside and prepare gets a new one.
      writeFileSync(calls, '');
      const later = await connect(faketimeEnv('+4m'));
      expect(later.stderr).toBe('');
      expect(later.stdout.trim()).toBe(`cached-${login}`);
      expect(await issuedReaches(2)).toBe(2);
      expect(lkpCalls().filter((c) => c.startsWith('ssh prepare'))).toHaveLength(1);
    } finally {
      await short.stop();
    }
  });

  it('ok/transparent mode: once the KRL copy is past its 15-minute bound the per-instance config steps aside, and prepare fetches the KRL again', async () => {
    const fakeHome = tempDir('lkp-krl home-');
    const binDir = path.join(fakeHome, 'bin');
    mkdirSync(binDir);
    const calls = path.join(fakeHome, 'calls.log');
    writeFileSync(path.join(binDir, 'lkp'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${process.execPath}' '${LKP_BIN}' "$@"\n`, { mode: 0o755 });
    const tHome = path.join(fakeHome, '.lkp');
    const tEnv = { ...env, HOME: fakeHome, LKP_HOME: tHome, AWS_REGION: 'us-east-1', PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
    const sshConfig = path.join(fakeHome, '.ssh', 'config');
    const install = await lkp(['ssh', 'config', '--install'], { env: tEnv });
    expect(install.code, install.stderr).toBe(0);
    const lkpCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) : []);
    const connect = (extra: Record<string, string> = {}) => runSshWithEnv(['-F', sshConfig, '-o', 'BatchMode=yes', '-p', String(sshdX.port), `${login}@${X}`, 'echo krl-$(whoami)'], { ...tEnv, ...extra });
    const krl = path.join(tHome, 'revoked_keys.lkp-signer');

    writeFileSync(calls, '');
    expect((await connect()).stdout.trim()).toBe(`krl-${login}`);
    expect(lkpCalls()).toEqual([`ssh prepare --host ${X} --user ${login}`]);
    const fetchedAt = statSync(krl).mtimeMs;
    expect(readFileSync(path.join(tHome, 'hosts', X, `${login}.conf`), 'utf8')).toContain(`RevokedHostKeys "${krl}"`);

    // 14 minutes on (a one-hour certificate): still no lkp process.
    writeFileSync(calls, '');
    const soon = await connect(faketimeEnv('+14m'));
    expect(soon.stdout.trim()).toBe(`krl-${login}`);
    expect(lkpCalls()).toEqual([]);

    // 16 minutes on: the certificate is still good, but the copy is due, so prepare runs and fetches it.
    writeFileSync(calls, '');
    const due = await connect(faketimeEnv('+16m'));
    expect(due.stdout.trim()).toBe(`krl-${login}`);
    expect(lkpCalls().filter((c) => c.startsWith('ssh prepare'))).toHaveLength(1);
    expect(statSync(krl).mtimeMs).toBeGreaterThan(fetchedAt);
  });

  it('ok/jump host: each hop gets its own certificate and is verified by its own host certificate', async () => {
    const before = issued();
    const r = await exec(X, sshdX.port, ['echo via-jump'], ['--refresh', '--jump', `${login}@${arn(Y)}#${sshdY.port}`]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('via-jump');
    await signer.waitForAudit(1);
    const certs = signer.audit().filter((a) => a.outcome === 'issued' && a.action === 'user-cert').slice(before);
    expect(certs.map((a) => a.principals)).toEqual([[`${login}@${Y}`], [`${login}@${X}`]]);
    // A "bastion X" that is really Y is refused: its certificate names Y.
    const wrong = await exec(X, sshdX.port, ['true'], ['--jump', `${login}@${arn(X)}#${sshdY.port}`]);
    expect(wrong.code).toBe(255);
    expect(wrong.stderr).toMatch(/Host key verification failed|No .* host key is known/);
  });

  it('ok/a signer that does not answer fails over to the next one in the client config', async () => {
    const picky = await startLocalSigner(ca.config, ['--function-name', 'lkp-signer'], world.env());
    try {
      const file = path.join(home, 'failover.json');
      writeFileSync(file, JSON.stringify({ version: 1, defaultSigner: 'primary', signers: { primary: { functionName: 'lkp-gone', region: 'us-east-1', fallbacks: ['secondary'] }, secondary: { functionName: 'lkp-signer', region: 'us-east-1' } } }));
      const r = await lkp(['ssh', 'exec', '--instance-arn', arn(Y), '--user', login, '--port', String(sshdY.port), '--refresh', '--', 'echo failed-over'], { env: { ...env, AWS_ENDPOINT_URL_LAMBDA: picky.url, LKP_CONFIG: file } });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('failed-over');
    } finally {
      await picky.stop();
    }
  });

  it('ok/concurrent runs for different instances do not clobber each other', async () => {
    const [a, b] = await Promise.all([exec(X, sshdX.port, ['echo x'], ['--refresh']), exec(Y, sshdY.port, ['echo y'], ['--refresh'])]);
    expect([a.stdout.trim(), b.stdout.trim()]).toEqual(['x', 'y']);
    const cache = readdirSync(path.join(home, 'cache'));
    expect(cache.filter((f) => f.endsWith('-cert.pub')).length).toBeGreaterThanOrEqual(2);
    for (const f of cache) expect(statSync(path.join(home, 'cache', f)).mode & 0o777).toBe(0o600);
    expect(cache.some((f) => f.includes('.lkp-tmp-'))).toBe(false);
  });

  it('ok/--agent adds the key and its certificate to ssh-agent', async () => {
    const sock = path.join(tempDir('lkp-agent-'), 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i += 1) await new Promise((r) => setTimeout(r, 20));
      const r = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--port', String(sshdX.port), '--agent', '--', 'true'], { env: { ...env, SSH_AUTH_SOCK: sock } });
      expect(r.code, r.stderr).toBe(0);
      const listed = await runSshAdd(['-L'], sock);
      expect(listed).toMatch(/ssh-ed25519-cert-v01@openssh.com /);
    } finally {
      agent.kill();
    }
  });

  it('ok/a signal to lkp reaches ssh, and lkp ends with it', async () => {
    const child = spawn(process.execPath, [LKP_BIN, 'ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--port', String(sshdX.port), '--', 'sleep 30'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1500));
    const started = Date.now();
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(signal === 'SIGTERM' || code === 255 || code === 143).toBe(true);
  });

  it('fail/no credentials: says how to log in', async () => {
    const awsConfig = path.join(tempDir('lkp-aws-'), 'config');
    writeFileSync(awsConfig, '[profile nope]\nregion = us-east-1\n');
    const r = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--refresh', '--profile', 'nope', '--', 'true'], {
      env: { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_CONFIG_FILE: awsConfig, AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    expect(r.code).toBe(33);
    expect(r.stderr).toMatch(/aws sso login --profile nope/);
  });

  it('ok/--dry-run issues nothing and spends nothing: it shows what it would request and run', async () => {
    const dryHome = tempDir('lkp-dryhome-');
    const issuedBefore = issued();
    const auditBefore = signer.audit().length;
    const r = await lkp(['ssh', 'exec', '--instance-arn', arn(Y), '--user', login, '--port', String(sshdY.port), '--dry-run', '--', 'uptime'], { env: { ...env, LKP_HOME: dryHome } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(Y);
    expect(r.stdout).toContain(`${login}@${Y}`);
    expect(r.stdout).toMatch(/DescribeInstances at http:\/\/127\.0\.0\.1:\d+ \(AWS_ENDPOINT_URL_EC2\)/);
    expect(r.stdout).toContain(`(AWS_ENDPOINT_URL_LAMBDA)`);
    expect(r.stdout).toMatch(new RegExp(`^ssh: +ssh .*HostKeyAlias=${Y} .* uptime$`, 'm'));
    // With the key present (a real run made it), --refresh: still nothing issued.
    const again = await lkp(['ssh', 'exec', '--instance-arn', arn(Y), '--user', login, '--refresh', '--dry-run', '--', 'true'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/key: +.+ SHA256:/);
    await signer.waitForAudit(auditBefore + 2); // the two ca-keys answers, if any, arrive first
    expect(issued()).toBe(issuedBefore);
    expect(signer.audit().filter((a) => a.outcome === 'issued').length).toBe(signer.audit().slice(0, auditBefore).filter((a) => a.outcome === 'issued').length);
    expect(existsSync(path.join(dryHome, 'cache'))).toBe(false);
    expect(existsSync(path.join(dryHome, 'id_ed25519'))).toBe(false);
  });

  it('fail/a broken client config names the file and the field', async () => {
    const file = path.join(home, 'bad-config.json');
    writeFileSync(file, JSON.stringify({ signers: { prod: { functionName: 'lkp', region: 'mars-1' } } }));
    const r = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--signer', 'prod', '--', 'true'], { env: { ...env, LKP_CONFIG: file } });
    expect(r.code).toBe(20);
    expect(r.stderr).toContain(`${file}: signers.prod.region: is not an AWS region name`);
  });
});
