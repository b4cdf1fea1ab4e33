// Running a program without a shell, as one injectable function type, so validate and reload
// can be tested with stubs and never build a command line out of strings. Built on
// node:child_process: execa costs ~140 ms of start-up, on every `lkp host` run.
import { execFile, spawn } from 'node:child_process';

/** What a finished command left behind. `exitCode` is null when it could not start or was killed. */
export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The program does not exist (ENOENT): the caller may try another way. */
  readonly notFound: boolean;
}

/** Run `file` with `args` (no shell); never throws for a non-zero exit. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** The real runner: no shell, C locale for stable messages, a timeout so a hung tool cannot hang lkp. */
export const processRunner: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { shell: false, timeout: 30_000, killSignal: 'SIGKILL', maxBuffer: 8 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = (error as (NodeJS.ErrnoException & { code?: unknown }) | null)?.code;
        resolve({
          exitCode: error === null ? 0 : typeof code === 'number' ? code : child.exitCode,
          stdout: stdout ?? '',
          stderr: stderr ?? '',
          notFound: code === 'ENOENT',
        });
      },
    );
    child.stdin?.end();
  });

/** The most stderr a status-only run keeps (its first line is what callers report). */
const STATUS_STDERR_BYTES = 64 * 1024;

/**
 * Like processRunner, but stdout goes to /dev/null: for a check whose verdict is the exit
 * code alone, whose listing can be any size (ssh-keygen -Q -l on a KRL of a million
 * revocations writes tens of MB, which a buffered run would kill as too much output).
 */
export const statusRunner: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    const done = (r: CommandResult): void => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const child = spawn(file, [...args], { shell: false, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < STATUS_STDERR_BYTES) stderr += chunk.slice(0, STATUS_STDERR_BYTES - stderr.length);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done({ exitCode: null, stdout: '', stderr, notFound: error.code === 'ENOENT' });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ exitCode: code, stdout: '', stderr, notFound: false });
    });
  });
