// Real OpenSSH for tests: key generation with ssh-keygen, an sshd on 127.0.0.1 started
// from a config in a temp dir, and an ssh client run with strict host checking.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { onCleanup, tempDir } from './temp.js';

const run = promisify(execFile);
export const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
}) ?? 'sshd';

/** A fresh temp dir under the OS temp folder, removed when the test file ends. */
export { tempDir } from './temp.js';

export type KeyType = 'ed25519' | 'ecdsa-256' | 'ecdsa-384' | 'ecdsa-521' | 'rsa-2048' | 'rsa-3072' | 'rsa-1024';

/** Generates a key with ssh-keygen; returns the private key path (public is +.pub). */
export const genKey = async (dir: string, name: string, type: KeyType = 'ed25519'): Promise<string> => {
  const file = path.join(dir, name);
  const [t, bits] = type.split('-') as [string, string | undefined];
  await run('ssh-keygen', ['-q', '-t', t, ...(bits ? ['-b', bits] : []), '-N', '', '-C', name, '-f', file]);
  return file;
};

export const readPub = (privatePath: string): string => readFileSync(`${privatePath}.pub`, 'utf8').trim();

/** `ssh-keygen -L` output for a certificate line. */
export const certInfo = async (certLine: string, dir = tempDir()): Promise<string> => {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}-cert.pub`);
  writeFileSync(file, `${certLine}\n`);
  return (await run('ssh-keygen', ['-L', '-f', file])).stdout;
};

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

export interface RunningSshd {
  readonly port: number;
  readonly process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `sshd -D -e -f CONFIG -p PORT` on 127.0.0.1 and waits until it accepts. */
export const startSshd = async (configFile: string, extraArgs: string[] = []): Promise<RunningSshd> => {
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const child = spawn(SSHD, ['-D', '-e', '-f', configFile, '-p', String(port), '-o', 'ListenAddress=127.0.0.1', ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Stopped when the test file ends even if the test forgot (or failed before) stop().
  onCleanup(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`sshd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    process: child,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};

/** Writes a minimal sshd_config for tests (StrictModes off for files under /tmp). */
export const writeSshdConfig = (dir: string, lines: string[]): string => {
  const file = path.join(dir, 'sshd_config');
  writeFileSync(
    file,
    [
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'LogLevel VERBOSE',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      ...lines,
      '',
    ].join('\n'),
  );
  return file;
};

export interface SshResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs ssh non-interactively (BatchMode, strict host checking unless overridden). */
export const runSsh = (args: string[], timeoutMs = 20_000): Promise<SshResult> =>
  new Promise((resolve) => {
    const child = spawn('ssh', ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=10', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });

/** The current OS user (the login tests use against sshd). */
export const currentUser = (): string => os.userInfo().username;

export const writePrivate = (file: string, content: string): void => {
  writeFileSync(file, content);
  chmodSync(file, 0o600);
};
