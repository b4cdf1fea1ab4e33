// Telling the running sshd to re-read its configuration, on whatever the host uses: the
// systemd unit `ssh` (Debian, Ubuntu) or `sshd` (Amazon Linux, RHEL), else the `service`
// wrapper, else SIGHUP to the pid in sshd's pid file. Every effect goes through injected
// functions (no shell), so each path is testable without a real init system.
import { LkpError } from '../errors.js';
import { readOptional } from '../fs/read-optional.js';
import { processRunner, type CommandResult, type CommandRunner } from './runner.js';

/** sshd's default PidFile. */
export const DEFAULT_SSHD_PID_FILE = '/run/sshd.pid';

/** How this host runs sshd. */
export type SshdService =
  | { readonly kind: 'systemd'; readonly unit: 'ssh.service' | 'sshd.service' }
  | { readonly kind: 'service'; readonly name: 'ssh' | 'sshd' }
  | { readonly kind: 'pid'; readonly pidFile: string };

/** The effects detection and reload need; each defaults to the real thing. */
export interface SshdServiceDeps {
  readonly run?: CommandRunner;
  /** The pid file's text, or null when it does not exist. */
  readonly readPidFile?: (path: string) => Promise<string | null>;
  /** The process's name (Linux /proc/PID/comm), or null when there is no such process. */
  readonly processName?: (pid: number) => Promise<string | null>;
  readonly kill?: (pid: number, signal: 'SIGHUP') => void;
  readonly pidFile?: string;
}

/** What reloadSshd did. `reloaded` is false when sshd was not running (it reads the new files when it starts). */
export interface SshdReloadResult {
  readonly service: SshdService;
  readonly reloaded: boolean;
}

const readPidFile = (path: string): Promise<string | null> => readOptional(path, 'utf8');

/** /proc/PID/comm, or null when there is no such process (also when it exits while being read: ESRCH). */
const processName = async (pid: number): Promise<string | null> => {
  try {
    return (await readOptional(`/proc/${pid}/comm`, 'utf8'))?.trim() ?? null;
  } catch (error) {
    if (((error as LkpError).cause as NodeJS.ErrnoException | undefined)?.code === 'ESRCH') return null;
    throw error;
  }
};

const defaults = (deps: SshdServiceDeps) => ({
  run: deps.run ?? processRunner,
  readPidFile: deps.readPidFile ?? readPidFile,
  processName: deps.processName ?? processName,
  kill: deps.kill ?? ((pid: number, signal: 'SIGHUP') => void process.kill(pid, signal)),
  pidFile: deps.pidFile ?? DEFAULT_SSHD_PID_FILE,
});

const said = (result: CommandResult): string =>
  (result.stderr.trim() || result.stdout.trim() || `exit ${result.exitCode ?? 'signal'}`).split('\n')[0] as string;

/** Find how sshd is managed: systemd unit ssh, then sshd; `service` ssh, then sshd; else the pid file. */
export const detectSshdService = async (deps: SshdServiceDeps = {}): Promise<SshdService> => {
  const { run, pidFile } = defaults(deps);
  for (const unit of ['ssh.service', 'sshd.service'] as const) {
    // `show -p` (not --value) works on systemd 219 (Amazon Linux 2) too; Debian's sshd.service alias is found as ssh first.
    const result = await run('systemctl', ['show', '-p', 'LoadState', unit]);
    if (result.notFound) break;
    if (result.exitCode === 0 && /^LoadState=loaded$/m.test(result.stdout)) return { kind: 'systemd', unit };
  }
  for (const name of ['ssh', 'sshd'] as const) {
    const result = await run('service', [name, 'status']);
    if (result.notFound) break;
    // LSB status: 0 running, 3 stopped; anything else means no such service here.
    if (result.exitCode === 0 || result.exitCode === 3) return { kind: 'service', name };
  }
  return { kind: 'pid', pidFile };
};

const reloadByPid = async (pidFile: string, deps: ReturnType<typeof defaults>): Promise<boolean> => {
  const text = await deps.readPidFile(pidFile);
  if (text === null) throw new LkpError('SshdReloadFailed', `cannot reload sshd: ${pidFile} does not exist (is sshd running?)`);
  const match = /^\s*(\d+)\s*$/.exec(text);
  const pid = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(pid) || pid <= 1) {
    throw new LkpError('SshdReloadFailed', `cannot reload sshd: ${pidFile} does not hold a process id`);
  }
  // A stale pid file may name an unrelated process now; never send it a signal.
  const name = await deps.processName(pid);
  if (name !== 'sshd') {
    throw new LkpError('SshdReloadFailed', `cannot reload sshd: ${pidFile} names pid ${pid}, which is ${name === null ? 'not running' : `"${name}", not sshd`}`);
  }
  try {
    deps.kill(pid, 'SIGHUP');
  } catch (error) {
    throw new LkpError('SshdReloadFailed', `cannot signal sshd (pid ${pid}): ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  return true;
};

/** Ask sshd to re-read its configuration; throws SshdReloadFailed with the tool's own message. */
export const reloadSshd = async (service: SshdService, deps: SshdServiceDeps = {}): Promise<SshdReloadResult> => {
  const d = defaults(deps);
  if (service.kind === 'systemd') {
    const active = await d.run('systemctl', ['is-active', service.unit]);
    // Not running (e.g. Ubuntu 24.04 socket activation before the first connection): it reads the files on start.
    if (active.stdout.trim() !== 'active') return { service, reloaded: false };
    const result = await d.run('systemctl', ['reload', service.unit]);
    if (result.exitCode !== 0) throw new LkpError('SshdReloadFailed', `systemctl reload ${service.unit} failed: ${said(result)}`);
    return { service, reloaded: true };
  }
  if (service.kind === 'service') {
    const result = await d.run('service', [service.name, 'reload']);
    if (result.exitCode !== 0) throw new LkpError('SshdReloadFailed', `service ${service.name} reload failed: ${said(result)}`);
    return { service, reloaded: true };
  }
  return { service, reloaded: await reloadByPid(service.pidFile, d) };
};

/** Detect once, then reload: the shape applySshdChange's `reload` takes. */
export const sshdReloader =
  (deps: SshdServiceDeps = {}): (() => Promise<void>) =>
  async () => {
    await reloadSshd(await detectSshdService(deps), deps);
  };
