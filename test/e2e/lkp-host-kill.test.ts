// Fault injection on the real command: `lkp host` killed with SIGKILL at random moments,
// at least 50 times, half from a pristine sshd_config (first boot) and half from one lkp
// already configured (renewal). After every kill the configuration passes `sshd -t`, and a
// real sshd started from it still admits the logins that worked before: the admin's plain
// key always, and the certificate login once lkp had configured the host.
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSshdConfig } from '../../src/sshd/validate.js';
import { LKP_BIN, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { currentUser, genKey, readPub, runSsh, startSshd } from '../helpers/openssh.js';
import { makeSandboxHost, type SandboxHost } from '../helpers/sandbox-host.js';

const KILLS = 50;

describe('lkp host under SIGKILL', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  let host: SandboxHost;
  let pristine: string;
  let adminKey: string;
  let certKey: string;
  const login = currentUser();
  let knownHosts: string;

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
    host = await makeSandboxHost();
    adminKey = await genKey(host.root, 'admin');
    writeFileSync(path.join(host.root, 'authorized_keys'), `${readPub(adminKey)}\n`);
    const text = readFileSync(host.sshdConfig, 'utf8').replace('AuthorizedKeysFile none', `AuthorizedKeysFile ${path.join(host.root, 'authorized_keys')}`);
    writeFileSync(host.sshdConfig, text);
    // The client knows the host by its plain keys (before lkp) and by the host CA (after).
    knownHosts = path.join(host.root, 'known_hosts');
    writeFileSync(knownHosts, [
      ...['ssh_host_ed25519_key.pub', 'ssh_host_ecdsa_key.pub'].map((f) => `kill-host ${readFileSync(path.join(host.sshDir, f), 'utf8').trim()}`),
      `@cert-authority kill-host ${readFileSync(path.join(ca.dir, 'host_ca.pub'), 'utf8').trim()}`,
      '',
    ].join('\n'));
    pristine = path.join(host.root, 'sshd_config.pristine');
    copyFileSync(host.sshdConfig, pristine);
    // A user certificate for this host, as a person would hold it.
    certKey = await genKey(host.root, 'person');
    const userToken = ca.mint({ for: 'user', principals: [`${login}@kill-host`] });
    const r = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, [LKP_BIN, 'ssh', 'cert', '--join-token', userToken, '--target', 'kill-host', '--user', login, '--identity', certKey], { env: { ...process.env, AWS_ENDPOINT_URL_LAMBDA: signer.url }, stdio: 'ignore' });
      c.on('exit', (code) => resolve(code ?? -1));
    });
    expect(r).toBe(0);
  });
  afterAll(async () => signer?.stop());

  const runKilled = (delayMs: number): Promise<{ killed: boolean; code: number | null }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [LKP_BIN, 'host', '--join-token', ca.mint({ principals: ['kill-host'] }), '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], {
        env: { ...process.env, AWS_ENDPOINT_URL_LAMBDA: signer.url },
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ killed: signal === 'SIGKILL', code });
      });
    });

  const sshAs = (sshdPort: number, key: string, withCert: boolean) =>
    runSsh([
      '-i', key, '-o', 'IdentitiesOnly=yes', ...(withCert ? ['-o', `CertificateFile=${key}-cert.pub`] : []),
      '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'HostKeyAlias=kill-host', '-p', String(sshdPort), `${login}@127.0.0.1`, 'echo', 'ok',
    ]);

  it(`ok/${KILLS} kills at random moments never leave sshd broken or lock anyone out`, async () => {
    let killedMidway = 0;
    const started = Date.now();
    const done = await runKilled(30_000); // one complete run: the configured state
    expect(done.code).toBe(0);
    // Kill within the time a whole run takes on this machine, so most kills land mid-run.
    const window = Math.max(100, Math.floor((Date.now() - started) * 0.95));
    const configured = path.join(host.root, 'sshd_config.configured');
    copyFileSync(host.sshdConfig, configured);
    for (let i = 0; i < KILLS; i += 1) {
      const fromPristine = i % 2 === 0;
      copyFileSync(fromPristine ? pristine : configured, host.sshdConfig);
      const outcome = await runKilled(10 + Math.floor(Math.random() * window));
      if (outcome.killed) killedMidway += 1;
      const verdict = await validateSshdConfig({ configPath: host.sshdConfig });
      expect(verdict.ok, `kill ${i}: ${verdict.problems.join('; ')}`).toBe(true);
      const sshd = await startSshd(host.sshdConfig);
      try {
        { const a = await sshAs(sshd.port, adminKey, false); expect(a.stdout.trim(), `kill ${i}: admin key login: ${a.stderr} ${sshd.log().slice(-600)}`).toBe('ok'); }
        if (!fromPristine) expect((await sshAs(sshd.port, certKey, true)).stdout.trim(), `kill ${i}: certificate login`).toBe('ok');
      } finally {
        await sshd.stop();
      }
    }
    // Most kills must land while lkp host was still working, or the test proves little.
    expect(killedMidway).toBeGreaterThanOrEqual(KILLS / 2);
  }, 300_000);
});
