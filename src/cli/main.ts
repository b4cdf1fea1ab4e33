// The lkp command line. Commands are declarations (src/cli/command.ts); the hot ones are
// parsed without yargs, everything else (and every --help) goes through yargs. Each command
// loads its implementation lazily so start-up stays short.
import { caInit } from './commands/ca.js';
import { hostCommand, hostStatusCommand } from './commands/host.js';
import { signerServe, signerTokenCreate } from './commands/signer.js';
import { sshCert, sshConfig, sshExec, sshPrepare, sshProxy } from './commands/ssh.js';
import { parseFast, yargsCommands, type CommandDef } from './command.js';
import { runCommand } from './run.js';

export const COMMANDS: readonly CommandDef[] = [caInit, signerServe, signerTokenCreate, hostStatusCommand, hostCommand, sshExec, sshConfig, sshCert, sshPrepare, sshProxy];

/** Parses argv and runs the chosen command. */
export const main = async (argv: string[]): Promise<void> => {
  if (COMMANDS.some((c) => c.fast)) {
    const { parseArgs } = await import('node:util');
    // Longest path first, so `host status` wins over `host`.
    for (const def of [...COMMANDS].sort((a, b) => b.path.length - a.path.length)) {
      const args = parseFast(argv, def, parseArgs);
      if (args) return runCommand(() => def.run(args));
    }
  }
  const { default: yargs } = await import('yargs');
  let y = yargs(argv)
    .scriptName('lkp')
    .parserConfiguration({ 'populate--': true })
    .usage('$0 <command> [options]\n\nSSH certificates for EC2 fleets.');
  const groups = {
    ca: 'Manage a local certificate authority',
    signer: 'Run the signer locally and manage join tokens',
    token: 'Join tokens for hosts outside AWS and for the demo',
    ssh: 'Log in to instances with short-lived user certificates',
  };
  for (const m of yargsCommands(COMMANDS, groups)) y = y.command(m);
  await y
    .demandCommand(1, 'name a command; see lkp --help')
    .strict()
    .recommendCommands()
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`lkp: UsageError: ${message}\n(see lkp --help)\n`);
      process.exit(21);
    })
    .help()
    .version()
    .parseAsync();
};
