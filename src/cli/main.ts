// The lkp command line: yargs wiring only. Each command loads its implementation lazily
// so `lkp --help` and the hot paths start fast.
import yargs from 'yargs';
import { caCommand } from './commands/ca.js';
import { hostCommand } from './commands/host.js';
import { sshCommand } from './commands/ssh.js';
import { signerCommand } from './commands/signer.js';

/** Parses argv and runs the chosen command. */
export const main = async (argv: string[]): Promise<void> => {
  await yargs(argv)
    .scriptName('lkp')
    .parserConfiguration({ 'populate--': true })
    .usage('$0 <command> [options]\n\nSSH certificates for EC2 fleets.')
    .command(caCommand)
    .command(signerCommand)
    .command(hostCommand)
    .command(sshCommand)
    .demandCommand(1, 'name a command; see lkp --help')
    .strict()
    .recommendCommands()
    .fail((message, error, y) => {
      if (error) throw error;
      process.stderr.write(`${y.help() && ''}lkp: UsageError: ${message}\n(see lkp --help)\n`);
      process.exit(21);
    })
    .help()
    .version()
    .parseAsync();
};
