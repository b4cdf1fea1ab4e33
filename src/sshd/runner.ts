// Running a program without a shell, as one injectable function type, so validate and reload
// can be tested with stubs and never build a command line out of strings.
import { execa } from 'execa';

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

/** The real runner: execa, no shell, C locale for stable messages, a timeout so a hung tool cannot hang lkp. */
export const execaRunner: CommandRunner = async (file, args) => {
  const result = await execa(file, [...args], {
    reject: false,
    shell: false,
    stdin: 'ignore',
    timeout: 30_000,
    env: { LC_ALL: 'C' },
  });
  return {
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    notFound: result.code === 'ENOENT',
  };
};
