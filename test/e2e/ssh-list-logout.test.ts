// `lkp ssh list` and `lkp ssh logout` from the user's side: a cache filled by real
// `lkp ssh exec --agent` runs (signer on loopback, sshd set up by `lkp host`), a real
// ssh-agent holding lkp's certificates next to a key of the person's own and its certificate
// from another CA.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listCachedCertificates } from '../../src/client/list-certs.js';
import { CredentialRegistry } from '../fakes/credentials.js';
import { startFakeEc2 } from '../fakes/ec2.js';
import { startFakeImds } from '../fakes/imds.js';
import { asTestIdentity, EC2_TRUST, startMotoWorld, type MotoWorld } from '../helpers/moto-world.js';
import { makeLocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser, genKey, startSshd, tempDir, type RunningSshd } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';
import { onCleanup } from '../helpers/temp.js';

// moto's ids for two running instances (the signer's AWS is moto, IAM enforced); the
// laptop's own address lookup answers from the EC2 fake at 127.0.0.1, as in ssh-exec.test.ts.
let X = '';
let Y = '';
let ACCOUNT = '';
const arn = (id: string) => `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${id}`;

const run = (cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string }> =>
  new Promise((resolve) => execFile(cmd, args, { env: { ...process.env, ...env } }, (e, stdout) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout })));

interface ListJson {
  certificates: Array<{ instanceId: string; login: string; signer: string | null; address: string; status: string; keyFingerprint: string; validBefore: string; certificateFile: string }>;
}

describe('lkp ssh list / logout', () => {
  let world: MotoWorld;
  let signer: LocalSigner;
  const sshd: Record<string, RunningSshd> = {};
  const login = currentUser();
  const home = tempDir('lkp-home list-');
  let env: Record<string, string>;
  let sock: string;
  let ownKeyLine: string;
  let ownCertLine: string;

  const bootstrap = async (instanceId: string): Promise<RunningSshd> => {
    const credentials = await world.session('lkp-host', instanceId);
    const imds = await startFakeImds({ instanceId, accountId: ACCOUNT, privateIp: '127.0.0.1', roleCredentials: { ...credentials, sessionToken: credentials.sessionToken ?? '' } });
    const host = await makeSandboxHost();
    const r = await lkp(['host', '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], {
      env: { AWS_ENDPOINT_URL_LAMBDA: signer.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    });
    await imds.close();
    if (r.code !== 0) throw new Error(`lkp host failed: ${r.stderr}`);
    const started = await startSshd(host.sshdConfig);
    onCleanup(() => started.stop());
    return started;
  };

  const agentLines = async (): Promise<string[]> => (await run('ssh-add', ['-L'], { SSH_AUTH_SOCK: sock })).stdout.split('\n').filter((l) => l.trim());
  const certsInAgent = async (): Promise<string[]> => (await agentLines()).filter((l) => l.includes('-cert-v01@openssh.com '));
  const list = async (): Promise<ListJson> => {
    const r = await lkp(['ssh', 'list', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as ListJson;
  };

  beforeAll(async () => {
    world = await startMotoWorld();
    onCleanup(() => world.close());
    ACCOUNT = world.account;
    await world.role('lkp-host', EC2_TRUST, { instanceProfile: true });
    // moto's ids are random; list sorts by instance id, so name them in that order.
    [X, Y] = [(await world.launch({ tags: { Team: 'payments' } })).InstanceId ?? '', (await world.launch({ tags: { Team: 'payments' } })).InstanceId ?? ''].sort() as [string, string];
    const alice = await world.sso('alice@example.com');
    const registry = new CredentialRegistry();
    registry.add(asTestIdentity(alice));
    const profile = { arn: `arn:aws:iam::${ACCOUNT}:instance-profile/lkp-host`, id: 'AIPA1' };
    const laptopEc2 = await startFakeEc2({
      registry,
      instances: [X, Y].map((instanceId) => ({ instanceId, ownerId: ACCOUNT, privateIpAddress: '127.0.0.1', iamInstanceProfile: profile, tags: { Team: 'payments' } })),
    });
    onCleanup(() => laptopEc2.close());
    const ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.push(
      { name: 'fleet', for: 'host', method: 'aws', accounts: [ACCOUNT], roles: ['lkp-host'] },
      { name: 'payments', for: 'user', method: 'aws', callers: ['arn:aws:sts::*:assumed-role/AWSReservedSSO_Admin_*/*'], instances: { tags: { Team: 'payments' } }, logins: [login] },
    );
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config, [], world.env());
    sshd[X] = await bootstrap(X);
    sshd[Y] = await bootstrap(Y);
    // A real ssh-agent, holding a key of the person's own that logout must leave alone.
    sock = path.join(tempDir('lkp-agent-'), 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    onCleanup(() => agent.kill());
    for (let i = 0; i < 200 && !existsSync(sock); i += 1) await new Promise((r) => setTimeout(r, 20));
    // Its certificate comes from another CA, even naming one of these instances: not lkp's to remove.
    const ownDir = tempDir('lkp-own-key-');
    const own = await genKey(ownDir, 'id_own');
    const otherCa = await genKey(ownDir, 'other_ca');
    expect((await run('ssh-keygen', ['-q', '-s', otherCa, '-I', 'corp', '-n', `${login}@${X}`, '-V', '+1h', `${own}.pub`], {})).code).toBe(0);
    expect((await run('ssh-add', ['-q', own], { SSH_AUTH_SOCK: sock })).code).toBe(0); // adds id_own and id_own-cert.pub
    ownKeyLine = readFileSync(`${own}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    ownCertLine = readFileSync(`${own}-cert.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    env = {
      AWS_ENDPOINT_URL_LAMBDA: signer.url,
      AWS_ENDPOINT_URL_EC2: laptopEc2.url,
      AWS_ACCESS_KEY_ID: alice.accessKeyId,
      AWS_SECRET_ACCESS_KEY: alice.secretAccessKey,
      AWS_SESSION_TOKEN: alice.sessionToken ?? '',
      LKP_HOME: home,
      SSH_AUTH_SOCK: sock,
    };
    for (const id of [X, Y]) {
      const r = await lkp(['ssh', 'exec', '--instance-arn', arn(id), '--user', login, '--port', String(sshd[id]?.port), '--agent', '--', 'true'], { env });
      if (r.code !== 0) throw new Error(`lkp ssh exec ${id} failed: ${r.stderr}`);
    }
  }, 120_000);

  it('ok/list shows each cached certificate: instance, login, signer, address, expiry, key fingerprint', async () => {
    const keyFp = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(home, 'id_ed25519.pub')], {})).stdout.split(' ')[1];
    const { certificates } = await list();
    expect(certificates.map((c) => [c.instanceId, c.login, c.signer, c.address, c.status])).toEqual([
      [X, login, 'lkp-signer', '127.0.0.1', 'valid'],
      [Y, login, 'lkp-signer', '127.0.0.1', 'valid'],
    ]);
    for (const c of certificates) {
      expect(c.keyFingerprint).toBe(keyFp);
      expect(Date.parse(c.validBefore)).toBeGreaterThan(Date.now());
      expect(readFileSync(c.certificateFile, 'utf8')).toMatch(/^ssh-ed25519-cert-v01@openssh\.com /);
    }
    const text = await lkp(['ssh', 'list'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${X} +${login} +lkp-signer +127\\.0\\.0\\.1 .* valid .*${keyFp?.replace(/[+/]/g, '.')}$`, 'm'));
    // The same cache read later than the certificates' expiry: expired, still listed.
    const later = await listCachedCertificates(home, Math.floor(Date.now() / 1000) + 365 * 86400);
    expect(later.map((c) => c.expired)).toEqual([true, true]);
  });

  it('ok/an entry written before lkp recorded its signer still lists, from the certificate', async () => {
    const { certificates } = await list();
    const entryFile = (certificates[1]?.certificateFile ?? '').replace(/-cert\.pub$/, '.json');
    const original = readFileSync(entryFile, 'utf8');
    try {
      const { for: _dropped, ...old } = JSON.parse(original) as Record<string, unknown>;
      writeFileSync(entryFile, JSON.stringify(old));
      const again = await list();
      expect(again.certificates[1]).toMatchObject({ instanceId: Y, login, signer: null, status: 'valid' });
    } finally {
      writeFileSync(entryFile, original);
    }
  });

  it("ok/logout --instance removes that instance's cached certificate and its agent copy only", async () => {
    expect(await certsInAgent()).toHaveLength(3);
    const r = await lkp(['ssh', 'logout', '--instance', X, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { instanceId: string; removed: Array<{ instanceId: string }>; agent: { status: string; removed: number } };
    expect(out.instanceId).toBe(X);
    expect(out.removed.map((c) => c.instanceId)).toEqual([X]);
    expect(out.agent).toEqual({ status: 'done', removed: 1 });
    expect((await list()).certificates.map((c) => c.instanceId)).toEqual([Y]);
    const left = await certsInAgent();
    expect(left).toHaveLength(2);
    expect(left.some((l) => l.startsWith(ownCertLine))).toBe(true);
    expect(existsSync(path.join(home, 'hosts', X))).toBe(false);
  });

  it("fail/logout --instance with something that is not an instance is a usage error", async () => {
    const r = await lkp(['ssh', 'logout', '--instance', 'web-1'], { env });
    expect(r.code).toBe(21);
    expect(r.stderr).toMatch(/^lkp: UsageError: /);
    expect((await list()).certificates).toHaveLength(1);
  });

  it("ok/logout removes every cached certificate and lkp's agent copies; the person's own key and its other-CA certificate stay; exec works again", async () => {
    const r = await lkp(['ssh', 'logout'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 cached certificate removed; 1 removed from ssh-agent$/m);
    expect((await list()).certificates).toEqual([]);
    expect(readdirSync(path.join(home, 'cache'))).toEqual([]);
    expect((await certsInAgent()).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([ownCertLine]);
    expect((await agentLines()).some((l) => l.startsWith(ownKeyLine))).toBe(true);
    const empty = await lkp(['ssh', 'list'], { env });
    expect(empty.stdout).toMatch(/^no cached certificates/);
    const noAgent = await lkp(['ssh', 'logout', '--json'], { env: { ...env, SSH_AUTH_SOCK: '' } });
    expect(JSON.parse(noAgent.stdout)).toMatchObject({ removed: [], agent: { status: 'no-agent', removed: 0 } });
    const again = await lkp(['ssh', 'exec', '--instance-arn', arn(X), '--user', login, '--port', String(sshd[X]?.port), '--', 'echo back'], { env });
    expect(again.stdout.trim(), again.stderr).toBe('back');
  });

  it('ok/--help shows examples', async () => {
    for (const cmd of ['list', 'logout']) {
      const r = await lkp(['ssh', cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain('--json');
    }
  });
});
