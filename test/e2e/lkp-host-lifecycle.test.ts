// `lkp host` through the CLI with a join token and a real `lkp signer serve`: a dry run
// that issues and spends nothing, an unreadable trust file that is not taken for a first
// boot, `host status --json`, and an uninstall that leaves no trace and can run twice.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, parsePublicKey } from '../../src/ssh/public-key.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser, readPub } from '../helpers/openssh.js';
import { makeSandboxHost, type SandboxHost } from '../helpers/sandbox-host.js';

const FILE_SYSTEM_EXIT = 44;

describe('lkp host lifecycle with a join token', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  const login = currentUser();
  const roots: string[] = [];

  beforeAll(async () => {
    ca = await makeLocalCa();
    roots.push(path.dirname(ca.dir));
    signer = await startLocalSigner(ca.config);
  });
  afterAll(async () => {
    await signer?.stop();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  const sandbox = async (): Promise<SandboxHost> => {
    const host = await makeSandboxHost();
    roots.push(host.root);
    return host;
  };
  const env = () => ({ AWS_ENDPOINT_URL_LAMBDA: signer.url });
  const hostRun = (host: SandboxHost, token: string, extra: string[] = []) =>
    lkp(['host', '--join-token', token, '--ssh-dir', host.sshDir, '--users', login, '--no-reload', ...extra], { env: env() });
  const issuedSince = (before: number) => signer.audit().slice(before).filter((a) => a.outcome === 'issued');

  it('ok/--dry-run with a join token issues nothing and spends nothing; the real run then succeeds with the same token', async () => {
    const host = await sandbox();
    const original = readFileSync(host.sshdConfig);
    const token = ca.mint({ principals: ['dry-box', 'dry-box.example.com'] });
    const before = signer.audit().length;
    const dry = await hostRun(host, token, ['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    // What it would send, what it expects, and the sshd diff.
    for (const name of ['ssh_host_ed25519_key', 'ssh_host_ecdsa_key']) {
      expect(dry.stdout).toContain(fingerprint(parsePublicKey(readPub(path.join(host.sshDir, name)))));
    }
    expect(dry.stdout).toMatch(/expected principals.*dry-box, dry-box\.example\.com/);
    expect(dry.stdout).toMatch(/\+TrustedUserCAKeys /);
    expect(readFileSync(host.sshdConfig).equals(original)).toBe(true);
    expect(existsSync(path.join(host.sshDir, 'lkp'))).toBe(false);
    await signer.waitForAudit(before + 1);
    expect(issuedSince(before)).toEqual([]);

    const real = await hostRun(host, token);
    expect(real.code, real.stderr).toBe(0);
    expect(issuedSince(before)).toHaveLength(1);
    expect(readFileSync(path.join(host.sshDir, 'lkp/principals', login), 'utf8')).toBe(`${login}@dry-box\n`);
  });

  it('fail/a trust file that is a directory stops lkp host before the signer issues anything; the token stays usable', async () => {
    const host = await sandbox();
    const trust = path.join(host.sshDir, 'lkp/trusted_user_ca_keys.pub');
    mkdirSync(trust, { recursive: true });
    const token = ca.mint({ principals: ['dir-box'] });
    const before = signer.audit().length;
    const r = await hostRun(host, token);
    expect(r.code).toBe(FILE_SYSTEM_EXIT);
    expect(r.stderr).toContain(trust);
    expect(issuedSince(before)).toEqual([]);

    rmSync(trust, { recursive: true });
    const again = await hostRun(host, token);
    expect(again.code, again.stderr).toBe(0);
  });

  it('fail/a trust file that is a symlink loop (ELOOP) on an installed host is an error, not a first boot', async () => {
    const host = await sandbox();
    expect((await hostRun(host, ca.mint({ principals: ['loop-box'] }))).code).toBe(0);
    const trust = path.join(host.sshDir, 'lkp/trusted_user_ca_keys.pub');
    rmSync(trust);
    symlinkSync(path.basename(trust), trust); // points at itself
    const before = signer.audit().length;
    const r = await hostRun(host, ca.mint({ principals: ['loop-box'] }));
    expect(r.code).toBe(FILE_SYSTEM_EXIT);
    expect(issuedSince(before)).toEqual([]);
  });

  it('ok/host status --json: a stable shape per certificate and for the trust file; exit codes unchanged', async () => {
    const host = await sandbox();
    const empty = await lkp(['host', 'status', '--json', '--ssh-dir', host.sshDir]);
    expect(empty.code).toBe(12);
    const none = JSON.parse(empty.stdout) as Record<string, unknown>;
    expect(none).toMatchObject({ version: 1, state: 'broken', exitCode: 12, trustFile: { present: false, keys: [] } });
    expect((none.certificates as Array<Record<string, unknown>>).map((c) => c.state)).toEqual(['missing', 'missing']);

    expect((await hostRun(host, ca.mint({ principals: ['json-box'] }))).code).toBe(0);
    const r = await lkp(['host', 'status', '--json', '--ssh-dir', host.sshDir]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { state: string; exitCode: number; trustFile: { path: string; present: boolean; keys: string[] }; certificates: Array<Record<string, unknown>> };
    expect(report.state).toBe('ok');
    expect(report.exitCode).toBe(0);
    expect(report.trustFile).toEqual({
      path: path.join(host.sshDir, 'lkp/trusted_user_ca_keys.pub'),
      present: true,
      keys: [fingerprint(parsePublicKey(readFileSync(path.join(ca.dir, 'user_ca.pub'), 'utf8').trim()))],
    });
    expect(report.certificates).toHaveLength(2);
    const ed = report.certificates.find((c) => c.keyType === 'ssh-ed25519');
    expect(ed).toMatchObject({
      path: path.join(host.sshDir, 'lkp/ssh_host_ed25519_key-cert.pub'),
      hostKey: path.join(host.sshDir, 'ssh_host_ed25519_key'),
      state: 'ok',
      renewalDue: false,
      principals: ['json-box'],
    });
    expect(new Date(ed?.validBefore as string).getTime()).toBeGreaterThan(Date.now());
    expect(report.certificates.map((c) => c.keyType).sort()).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
  });

  it('ok/uninstall removes lkp backups too; a second uninstall has nothing to remove and exits 0', async () => {
    const host = await sandbox();
    const original = readFileSync(host.sshdConfig);
    expect((await hostRun(host, ca.mint({ principals: ['gone-box'] }))).code).toBe(0);
    const backups = () => readdirSync(host.sshDir).filter((n) => n.endsWith('.lkp-backup'));
    expect(backups().length).toBeGreaterThan(0);

    const un = await lkp(['host', '--uninstall', '--ssh-dir', host.sshDir, '--no-reload']);
    expect(un.code, un.stderr).toBe(0);
    expect(readFileSync(host.sshdConfig).equals(original)).toBe(true);
    expect(backups()).toEqual([]);
    expect(existsSync(path.join(host.sshDir, 'lkp'))).toBe(false);

    const twice = await lkp(['host', '--uninstall', '--ssh-dir', host.sshDir, '--no-reload']);
    expect(twice.code, twice.stderr).toBe(0);
    expect(twice.stdout).toMatch(/nothing to remove/);
    expect(twice.stdout).not.toMatch(/removed/);
  });
});
