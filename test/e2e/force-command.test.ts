// A rule that forces a command is a restriction (like `restrict` in authorized_keys): the
// certificate lkp issues for it carries no extension the rule does not list, so against a
// real sshd the forced command runs, and port forwarding (-L, -R, -D), agent forwarding
// and a pty are refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { certInfo, currentUser, freePort, genKey, readPub, runSsh, startSshd, tempDir, writeSshdConfig, type RunningSshd } from '../helpers/openssh.js';

const HOST = 'deploy-host';
const FORCED = 'echo "forced agent=${SSH_AUTH_SOCK:-none} tty=$(tty)"';

describe('forceCommand rules against a real sshd', () => {
  const login = currentUser();
  const dir = tempDir('lkp-force-');
  let ca: LocalCa;
  let signer: LocalSigner;
  let sshd: RunningSshd;
  let agent: ChildProcess | undefined;
  const agentSock = path.join(dir, 'agent.sock');
  let clientKey: string;
  let knownHosts: string;
  const children: ChildProcess[] = [];

  const issue = async (token: string, body: Record<string, unknown>) => {
    const { body: answer } = await invokeJson(lambdaClient(signer.url), { version: 1, identity: { method: 'join-token', token }, ...body });
    if (answer.error) throw new Error(JSON.stringify(answer.error));
    return answer;
  };

  beforeAll(async () => {
    ca = await makeLocalCa();
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.unshift(
      { name: 'deploy only', for: 'user', method: 'join-token', principals: [`*@${HOST}`], forceCommand: FORCED },
      { name: 'deploy with a terminal', for: 'user', method: 'join-token', principals: [`*@${HOST}-pty`], forceCommand: FORCED, extensions: ['permit-agent-forwarding', 'permit-pty'] },
    );
    writeFileSync(ca.config, JSON.stringify(config));
    signer = await startLocalSigner(ca.config);

    const hostKey = await genKey(dir, 'ssh_host_ed25519_key');
    const host = await issue(ca.mint({ principals: [HOST] }), { action: 'host-cert', publicKeys: [readPub(hostKey)] });
    writeFileSync(`${hostKey}-cert.pub`, `${(host.certificates as Array<{ certificate: string }>)[0]!.certificate}\n`);
    writeFileSync(path.join(dir, 'user_ca.pub'), `${(host.userCaKeys as string[]).join('\n')}\n`);
    knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, `@cert-authority ${HOST} ${(host.hostCaKeys as string[])[0]}\n`);
    mkdirSync(path.join(dir, 'principals'));
    writeFileSync(path.join(dir, 'principals', login), `${login}@${HOST}\n${login}@${HOST}-pty\n`);
    sshd = await startSshd(
      writeSshdConfig(dir, [
        `HostKey ${hostKey}`,
        `HostCertificate ${hostKey}-cert.pub`,
        `TrustedUserCAKeys ${path.join(dir, 'user_ca.pub')}`,
        `AuthorizedPrincipalsFile ${path.join(dir, 'principals')}/%u`,
        'AuthorizedKeysFile none',
        'PermitRootLogin prohibit-password',
        'AllowTcpForwarding yes',
        'AllowAgentForwarding yes',
        'PermitTTY yes',
      ]),
    );

    clientKey = await genKey(dir, 'id_ed25519');
    const user = await issue(ca.mint({ for: 'user', principals: [`${login}@${HOST}`] }), { action: 'user-cert', publicKey: readPub(clientKey), login, target: HOST });
    writeFileSync(`${clientKey}-cert.pub`, `${(user.certificate as { certificate: string }).certificate}\n`);

    // A real agent to forward (only its socket matters).
    agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(agentSock); i += 1) await new Promise((r) => setTimeout(r, 25));
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    agent?.kill('SIGTERM');
    await sshd?.stop();
    await signer?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (ca) rmSync(path.dirname(ca.dir), { recursive: true, force: true });
  });

  const sshArgs = (extra: string[]): string[] => [
    ...extra, '-i', clientKey, '-o', `CertificateFile=${clientKey}-cert.pub`, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', `HostKeyAlias=${HOST}`, '-p', String(sshd.port), `${login}@127.0.0.1`,
  ];

  /** ssh with SSH_AUTH_SOCK pointing at the test's agent. */
  const withAgent = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn('ssh', ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  /** Starts `ssh -N` with a forwarding and waits until its local port accepts connections. */
  const forwarding = async (flag: string, spec: string, port: number): Promise<ChildProcess> => {
    const child = spawn('ssh', ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-N', flag, spec, ...sshArgs([])], { stdio: 'ignore' });
    children.push(child);
    for (let i = 0; i < 400; i += 1) {
      if (child.exitCode !== null) throw new Error(`ssh ${flag} exited ${child.exitCode}`);
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (up) return child;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`ssh ${flag} never listened`);
  };

  /** Connects, optionally sends bytes, and collects what comes back until close (or an sshd banner). */
  const exchange = (port: number, send: (socket: net.Socket, data: Buffer) => void): Promise<string> =>
    new Promise((resolve) => {
      let got = Buffer.alloc(0);
      const socket = net.connect(port, '127.0.0.1', () => send(socket, got));
      const done = () => (clearTimeout(timer), socket.destroy(), resolve(got.toString('latin1')));
      const timer = setTimeout(done, 10_000);
      socket.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.includes('SSH-2.0')) return done();
        send(socket, got);
      });
      socket.on('close', done);
      socket.on('error', done);
    });

  it('ok/the certificate carries the forced command and no extensions', async () => {
    const info = await certInfo(readFileSync(`${clientKey}-cert.pub`, 'utf8').trim(), dir);
    expect(info).toContain('force-command');
    expect(info).not.toMatch(/permit-(port|agent|X11)-forwarding|permit-pty|permit-user-rc/);
  });

  it('ok/a rule that forces a command may list the extensions it grants (and only those)', async () => {
    const listed = path.join(dir, 'listed');
    writeFileSync(listed, readFileSync(clientKey));
    writeFileSync(`${listed}.pub`, readFileSync(`${clientKey}.pub`));
    chmodSync(listed, 0o600);
    const user = await issue(ca.mint({ for: 'user', principals: [`${login}@${HOST}-pty`] }), { action: 'user-cert', publicKey: readPub(clientKey), login, target: `${HOST}-pty` });
    const cert = (user.certificate as { certificate: string }).certificate;
    const info = await certInfo(cert, dir);
    expect(info).toContain('permit-agent-forwarding');
    expect(info).toContain('permit-pty');
    expect(info).not.toMatch(/port-forwarding|X11-forwarding|permit-user-rc/);
    writeFileSync(`${listed}-cert.pub`, `${cert}\n`);
    const r = await withAgent(['-A', ...sshArgs([]).map((a) => a.replace(clientKey, listed))]);
    expect(r.stdout.trim()).toMatch(/^forced agent=\/\S+ tty=not a tty$/);
  });

  it('fail/the forced command runs, without the forwarded agent', async () => {
    const r = await withAgent(['-A', ...sshArgs([])]);
    expect(r.stdout.trim()).toBe('forced agent=none tty=not a tty');
    expect(r.code).toBe(0);
  });

  it('fail/a pty request is refused', async () => {
    const r = await runSsh(sshArgs(['-tt']));
    expect(r.stdout).not.toMatch(/tty=\/dev\//);
    expect(r.stderr).toMatch(/PTY allocation request failed/);
  });

  it('fail/remote forwarding (-R) is refused', async () => {
    const r = await runSsh(sshArgs(['-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${sshd.port}`]));
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/remote port forwarding failed/);
  });

  it('fail/local forwarding (-L) to a loopback service on the host is refused', async () => {
    const port = await freePort();
    const child = await forwarding('-L', `${port}:127.0.0.1:${sshd.port}`, port);
    const got = await exchange(port, () => undefined);
    child.kill('SIGTERM');
    expect(got).not.toContain('SSH-2.0');
  });

  it('fail/a SOCKS proxy (-D) is refused', async () => {
    const port = await freePort();
    const child = await forwarding('-D', String(port), port);
    let step = 0;
    const got = await exchange(port, (socket, data) => {
      if (step === 0) socket.write(Buffer.from([5, 1, 0]));
      else if (step === 1 && data.length >= 2) socket.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, sshd.port >> 8, sshd.port & 0xff]));
      else return;
      step += 1;
    });
    child.kill('SIGTERM');
    expect(got).not.toContain('SSH-2.0');
    // a SOCKS5 reply, if any, is not "succeeded"
    if (got.length >= 4) expect(got.charCodeAt(3)).not.toBe(0);
  });
});
