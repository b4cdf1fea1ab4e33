// Fault injection on the real command: `lkp host refresh-krl` killed with SIGKILL at random
// moments, at least 30 times, while the signer's KRL changes before every run (one more
// revocation each time, so every run has a new file to swap in). sshd reads RevokedKeys at
// every key login and refuses them all when the file is missing or does not parse, so after
// each kill the file must exist, load in ssh-keygen, and a running sshd must still admit a
// valid certificate.
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LKP_BIN, lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { currentUser, genKey, runSsh, startSshd, type RunningSshd } from '../helpers/openssh.js';
import { makeSandboxHost, type SandboxHost } from '../helpers/sandbox-host.js';

const run = promisify(execFile);
const KILLS = 30;
const HOST = 'kill-krl-host';

describe('lkp host refresh-krl under SIGKILL', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  let host: SandboxHost;
  let sshd: RunningSshd;
  let person: string;
  let knownHosts: string;
  const login = currentUser();
  const env = () => ({ AWS_ENDPOINT_URL_LAMBDA: signer.url });
  const krlFile = () => path.join(host.sshDir, 'lkp/revoked_keys');

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
    host = await makeSandboxHost();
    const r = await lkp(['host', '--join-token', ca.mint({ principals: [HOST] }), '--ssh-dir', host.sshDir, '--users', login, '--no-reload'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    knownHosts = path.join(host.root, 'known_hosts');
    writeFileSync(knownHosts, `@cert-authority ${HOST} ${readFileSync(path.join(ca.dir, 'host_ca.pub'), 'utf8').trim()}\n`);
    person = await genKey(host.root, 'person');
    const c = await lkp(['ssh', 'cert', '--join-token', ca.mint({ for: 'user', principals: [`${login}@${HOST}`] }), '--target', HOST, '--user', login, '--identity', person], { env: env() });
    expect(c.code, c.stderr).toBe(0);
    sshd = await startSshd(host.sshdConfig);
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
    await signer?.stop();
  });

  const runKilled = (delayMs: number): Promise<{ killed: boolean; code: number | null }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [LKP_BIN, 'host', 'refresh-krl', '--ssh-dir', host.sshDir], { env: { ...process.env, ...env() }, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ killed: signal === 'SIGKILL', code });
      });
    });

  const admitted = async (): Promise<{ ok: boolean; why: string }> => {
    const r = await runSsh(['-i', person, '-o', 'IdentitiesOnly=yes', '-o', `CertificateFile=${person}-cert.pub`, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', `HostKeyAlias=${HOST}`, '-p', String(sshd.port), `${login}@127.0.0.1`, 'echo', 'ok']);
    return { ok: r.stdout.trim() === 'ok', why: `${r.stderr} ${sshd.log().slice(-400)}` };
  };

  it(`ok/${KILLS} kills at random moments never leave RevokedKeys missing or unparsable; sshd keeps admitting a valid certificate`, async () => {
    const started = Date.now();
    const done = await runKilled(30_000); // one complete run, to size the window
    expect(done.code).toBe(0);
    const window = Math.max(100, Math.floor((Date.now() - started) * 0.95));
    let killedMidway = 0;
    let serial = 1000;
    for (let i = 0; i < KILLS; i += 1) {
      // A new revocation (of a serial nobody holds): the next run has a different KRL to swap in.
      serial += 1 + Math.floor(Math.random() * 50);
      expect((await lkp(['signer', 'revoke', '--config', ca.config, '--serial', String(serial), '--ca', 'user', '--reason', 'kill test'])).code).toBe(0);
      const outcome = await runKilled(10 + Math.floor(Math.random() * window));
      if (outcome.killed) killedMidway += 1;
      else expect(outcome.code, `run ${i}`).toBe(0);
      expect(await run('ssh-keygen', ['-Q', '-l', '-f', krlFile()]).then(() => true, () => false), `kill ${i}: the KRL loads`).toBe(true);
      const login1 = await admitted();
      expect(login1.ok, `kill ${i}: certificate login: ${login1.why}`).toBe(true);
    }
    expect(killedMidway).toBeGreaterThanOrEqual(KILLS / 2);
    // A complete run afterwards serves every revocation and clears killed runs' temp files.
    const last = await lkp(['host', 'refresh-krl', '--ssh-dir', host.sshDir, '--json'], { env: env() });
    expect(last.code, last.stderr).toBe(0);
    expect((JSON.parse(last.stdout) as { count: number }).count).toBe(KILLS);
    expect(readdirSync(path.dirname(krlFile())).filter((n) => n.includes('.lkp-tmp-'))).toEqual([]);
    expect((await admitted()).ok).toBe(true);
  }, 300_000);
});
