// Running a program without a shell, as one injectable function type, so validate and reload
// can be tested with stubs and never build a command line out of strings. Built on
// node:child_process: execa costs ~140 ms of start-up, on every `lkp host` run.
import { execFile } from 'node:child_process';

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
