// Service detection and reload through stubbed effects, plus one real SIGHUP to a real sshd.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { detectSshdService, reloadSshd, sshdReloader, type SshdService } from '../../src/sshd/reload.js';
import type { CommandResult, CommandRunner } from '../../src/sshd/runner.js';
import { makeTempDir, makeTestKeys, SSHD, type TestKeys } from './fixtures.js';

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '', notFound: false });
const exit = (exitCode: number, stderr = ''): CommandResult => ({ exitCode, stdout: '', stderr, notFound: false });
const missing: CommandResult = { exitCode: null, stdout: '', stderr: '', notFound: true };

/** A runner answering from a table keyed by the joined argv; records every call. */
const table = (answers: Record<string, CommandResult>) => {
  const calls: string[] = [];
  const run: CommandRunner = async (file, args) => {
    const key = [file, ...args].join(' ');
    calls.push(key);
    return answers[key] ?? (file === 'systemctl' || file === 'service' ? answers[`${file} *`] ?? exit(1) : exit(127));
  };
  return { run, calls };
};

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    return error instanceof LkpError ? error.code : 'not LkpError';
  }
  return 'resolved';
};

describe('detectSshdService', () => {
  it('ok/debian and ubuntu: systemd unit ssh', async () => {
    const { run } = table({ 'systemctl show -p LoadState ssh.service': ok('LoadState=loaded\n') });
    expect(await detectSshdService({ run })).toEqual({ kind: 'systemd', unit: 'ssh.service' });
  });

  it('ok/amazon linux and rhel: systemd unit sshd', async () => {
    const { run, calls } = table({
      'systemctl show -p LoadState ssh.service': ok('LoadState=not-found\n'),
      'systemctl show -p LoadState sshd.service': ok('LoadState=loaded\n'),
    });
    expect(await detectSshdService({ run })).toEqual({ kind: 'systemd', unit: 'sshd.service' });
    expect(calls).toHaveLength(2);
  });

  it('ok/no systemd binary: the service wrapper', async () => {
    const { run } = table({ 'systemctl *': missing, 'service ssh status': exit(1, 'ssh: unrecognized service'), 'service sshd status': exit(3) });
    expect(await detectSshdService({ run })).toEqual({ kind: 'service', name: 'sshd' });
  });

  it('ok/container without systemd or init scripts: the pid file', async () => {
    const { run } = table({
      'systemctl *': exit(1, 'System has not been booted with systemd as init system (PID 1). Can\'t operate.'),
      'service *': exit(1, 'unrecognized service'),
    });
    expect(await detectSshdService({ run, pidFile: '/var/run/sshd.pid' })).toEqual({ kind: 'pid', pidFile: '/var/run/sshd.pid' });
  });

  it('ok/neither tool installed', async () => {
    const { run } = table({ 'systemctl *': missing, 'service *': missing });
    expect(await detectSshdService({ run })).toEqual({ kind: 'pid', pidFile: '/run/sshd.pid' });
  });
});

describe('reloadSshd', () => {
  const ssh: SshdService = { kind: 'systemd', unit: 'ssh.service' };

  it('ok/systemd reload when active', async () => {
    const { run, calls } = table({ 'systemctl is-active ssh.service': ok('active\n'), 'systemctl reload ssh.service': ok() });
    expect(await reloadSshd(ssh, { run })).toEqual({ service: ssh, reloaded: true });
    expect(calls).toEqual(['systemctl is-active ssh.service', 'systemctl reload ssh.service']);
  });

  it('ok/systemd unit not running (socket activation): nothing to reload', async () => {
    const { run, calls } = table({ 'systemctl is-active ssh.service': { ...exit(3), stdout: 'inactive\n' } });
    expect(await reloadSshd(ssh, { run })).toEqual({ service: ssh, reloaded: false });
    expect(calls).toEqual(['systemctl is-active ssh.service']);
  });

  it('fail/systemd reload fails with systemctl\'s message', async () => {
    const { run } = table({
      'systemctl is-active ssh.service': ok('active\n'),
      'systemctl reload ssh.service': exit(1, 'Job for ssh.service failed because the control process exited with error code.'),
    });
    await expect(reloadSshd(ssh, { run })).rejects.toMatchObject({ code: 'SshdReloadFailed', message: expect.stringContaining('Job for ssh.service failed') });
  });

  it('ok/service wrapper', async () => {
    const { run, calls } = table({ 'service sshd reload': ok('Reloading sshd') });
    expect((await reloadSshd({ kind: 'service', name: 'sshd' }, { run })).reloaded).toBe(true);
    expect(calls).toEqual(['service sshd reload']);
  });

  it('fail/service wrapper error', async () => {
    const { run } = table({ 'service ssh reload': exit(1, 'sshd is not running ... failed!') });
    expect(await codeOf(reloadSshd({ kind: 'service', name: 'ssh' }, { run }))).toBe('SshdReloadFailed');
  });

  const pidDeps = (text: string | null, name: string | null) => {
    const kills: [number, string][] = [];
    return {
      kills,
      deps: {
        run: table({}).run,
        readPidFile: async () => text,
        processName: async () => name,
        kill: (pid: number, signal: 'SIGHUP') => void kills.push([pid, signal]),
      },
    };
  };

  it('ok/pid file: SIGHUP to sshd', async () => {
    const { deps, kills } = pidDeps('4242\n', 'sshd');
    expect((await reloadSshd({ kind: 'pid', pidFile: '/run/sshd.pid' }, deps)).reloaded).toBe(true);
    expect(kills).toEqual([[4242, 'SIGHUP']]);
  });

  const badPids: Record<string, [string | null, string | null]> = {
    'fail/no pid file': [null, 'sshd'],
    'fail/garbage in pid file': ['12 13\n', 'sshd'],
    'fail/pid 1': ['1\n', 'sshd'],
    'fail/stale pid names another process': ['4242\n', 'bash'],
    'fail/stale pid names no process': ['4242\n', null],
  };
  for (const [name, [text, proc]] of Object.entries(badPids)) {
    it(name, async () => {
      const { deps, kills } = pidDeps(text, proc);
      expect(await codeOf(reloadSshd({ kind: 'pid', pidFile: '/run/sshd.pid' }, deps))).toBe('SshdReloadFailed');
      expect(kills).toEqual([]);
    });
  }

  it('fail/kill throws', async () => {
    const { deps } = pidDeps('4242\n', 'sshd');
    const kill = (): void => {
      throw Object.assign(new Error('no'), { code: 'EPERM' });
    };
    expect(await codeOf(reloadSshd({ kind: 'pid', pidFile: '/x' }, { ...deps, kill }))).toBe('SshdReloadFailed');
  });

  it('ok/sshdReloader detects, then reloads', async () => {
    const { run, calls } = table({
      'systemctl show -p LoadState ssh.service': ok('LoadState=loaded\n'),
      'systemctl is-active ssh.service': ok('active\n'),
      'systemctl reload ssh.service': ok(),
    });
    await sshdReloader({ run })();
    expect(calls.at(-1)).toBe('systemctl reload ssh.service');
  });
});

describe('reload a real sshd by pid file', () => {
  let dir = '';
  let keys: TestKeys;
  beforeAll(async () => {
    dir = await makeTempDir('lkp-sshd-reload-');
    keys = await makeTestKeys(join(dir, 'keys'));
  });
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const freePort = async (): Promise<number> =>
    new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });

  it('ok/SIGHUP makes sshd re-read its configuration', async () => {
    const port = await freePort();
    const pidFile = join(dir, 'sshd.pid');
    const config = join(dir, 'sshd_config');
    await writeFile(
      config,
      `HostKey ${keys.dir}/ssh_host_ed25519_key\nListenAddress 127.0.0.1\nPort ${port}\nPidFile ${pidFile}\nStrictModes no\nUsePAM no\n`,
    );
    const daemon = execa(SSHD, ['-D', '-e', '-f', config], { reject: false, stdin: 'ignore', all: true });
    let log = '';
    const waitFor = (pattern: RegExp, from: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timeout waiting for ${pattern}: ${log}`)), 5000);
        const check = (): void => {
          if (pattern.test(log.slice(from))) {
            clearTimeout(timer);
            daemon.all?.off('data', onData);
            resolve();
          }
        };
        const onData = (chunk: Buffer): void => {
          log += chunk.toString();
          check();
        };
        daemon.all?.on('data', onData);
        check();
      });
    try {
      await waitFor(/Server listening on 127\.0\.0\.1 port/, 0);
      // The pid file is written just after listening; give it a moment.
      for (let i = 0; i < 50 && !existsSync(pidFile); i += 1) await new Promise((r) => setTimeout(r, 20));
      const mark = log.length;
      const result = await reloadSshd({ kind: 'pid', pidFile });
      expect(result.reloaded).toBe(true);
      await waitFor(/Received SIGHUP; restarting\.[\s\S]*Server listening on 127\.0\.0\.1 port/, mark);
    } finally {
      daemon.kill('SIGTERM');
      await daemon;
    }
  });
});
