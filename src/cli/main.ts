// The lkp command line. Commands are declarations (src/cli/command.ts); the hot ones are
// parsed without yargs, everything else (and every --help) goes through yargs. Each command
// loads its implementation lazily so start-up stays short.
import { caInit, caShow } from './commands/ca.js';
import { caRotateAddNext, caRotatePromote, caRotateRetire, caRotateStatus } from './commands/ca-rotate.js';
import { hostCommand, hostRefreshKrlCommand, hostStatusCommand } from './commands/host.js';
import { signerServe, signerTokenCreate } from './commands/signer.js';
import { signerRevocations, signerRevoke } from './commands/revoke.js';
import { sshCert, sshConfig, sshExec, sshList, sshLogout, sshPrepare, sshProxy } from './commands/ssh.js';
import { parseFast, yargsCommands, type CommandDef, type GroupDef } from './command.js';
import { runCommand } from './run.js';
import { lkpVersion } from './version.js';

export const COMMANDS: readonly CommandDef[] = [caInit, caShow, caRotateStatus, caRotateAddNext, caRotatePromote, caRotateRetire, signerServe, signerTokenCreate, signerRevoke, signerRevocations, hostStatusCommand, hostRefreshKrlCommand, hostCommand, sshExec, sshConfig, sshCert, sshList, sshLogout, sshPrepare, sshProxy];

const GROUPS: Readonly<Record<string, GroupDef>> = {
  ca: { describe: 'Manage a local certificate authority', examples: [['$0 ca init --dir ./ca', 'host and user CA keys, a join-token key and a starter signer.json']] },
  rotate: {
    describe: 'Rotate the host CA or the user CA in phases: add-next, promote, retire',
    examples: [
      ['$0 ca rotate status --config ca/signer.json', 'phase, keys and when the next step is allowed'],
      ['$0 ca rotate add-next --config ca/signer.json --ca user', 'publish a next user CA key'],
    ],
  },
  signer: {
    describe: 'Run the signer locally, manage join tokens and revocations',
    examples: [
      ['$0 signer serve --config ca/signer.json --listen 127.0.0.1:9000', 'the signer on loopback (AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:9000)'],
      ['$0 signer token create --config ca/signer.json --principal web-1.internal', 'a single-use join token for a host'],
      ['$0 signer revoke --config ca/signer.json --serial 8764898297823476790 --ca user --reason "laptop stolen"', 'revoke a certificate (hosts refuse it after their next KRL refresh)'],
    ],
  },
  token: { describe: 'Join tokens for hosts outside AWS and for the demo', examples: [['$0 signer token create --config ca/signer.json --for user --principal deploy@web-1.internal', 'a user token']] },
  ssh: {
    describe: 'Log in to instances with short-lived user certificates',
    examples: [
      ['$0 ssh exec --instance-arn ARN -- uptime', 'run uptime on that instance as ec2-user'],
      ['$0 ssh config --install', 'then plain `ssh ec2-user@i-0123456789abcdef0` works'],
      ['$0 ssh cert --join-token "$T" --target web-1 --user deploy', 'a certificate for a host outside AWS'],
      ['$0 ssh list', 'the cached certificates and when they expire'],
      ['$0 ssh logout', 'forget them (and their copies in ssh-agent)'],
    ],
  },
};

/** The longest command or group named at the start of argv (for "see lkp … --help"). */
const commandPrefix = (argv: readonly string[]): string[] => {
  const words: string[] = [];
  for (const w of argv) {
    const next = [...words, w];
    if (!COMMANDS.some((c) => c.describe !== false && next.every((p, i) => c.path[i] === p))) break;
    words.push(w);
  }
  return words;
};

/** Parses argv and runs the chosen command. */
export const main = async (argv: string[]): Promise<void> => {
  // `lkp --version` prints one line: nothing else to load (user data and health checks run it).
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${lkpVersion()}\n`);
    return;
  }
  if (COMMANDS.some((c) => c.fast)) {
    const { parseArgs } = await import('node:util');
    // Longest path first, so `host status` wins over `host`.
    for (const def of [...COMMANDS].sort((a, b) => b.path.length - a.path.length)) {
      let args: ReturnType<typeof parseFast>;
      let usage: unknown;
      try {
        args = parseFast(argv, def, parseArgs);
      } catch (error) {
        usage = error;
      }
      if (usage) return runCommand(() => Promise.reject(usage));
      if (args) return runCommand(() => def.run(args));
    }
  }
  const { default: yargs } = await import('yargs');
  let y = yargs(argv)
    .scriptName('lkp')
    .parserConfiguration({ 'populate--': true })
    .usage('$0 <command> [options]\n\nSSH certificates for EC2 fleets.');
  for (const m of yargsCommands(COMMANDS, GROUPS)) y = y.command(m);
  await y
    .demandCommand(1, 'name a command')
    .strict()
    .recommendCommands()
    .fail((message, error) => {
      if (error) throw error;
      const prefix = commandPrefix(argv);
      const where = ['lkp', ...prefix].join(' ');
      // A group named without its command (`lkp ssh`): list the commands instead of yargs' count.
      const next = [...new Set(COMMANDS.filter((c) => c.describe !== false && c.path.length > prefix.length && prefix.every((p, i) => c.path[i] === p)).map((c) => c.path[prefix.length]))];
      const text = /^Not enough non-option arguments/.test(message) && next.length > 0 ? `name a command: ${where} ${next.join('|')}` : message;
      process.stderr.write(`lkp: UsageError: ${text} (see ${where} --help)\n`);
      process.exit(21);
    })
    .help()
    .alias('h', 'help')
    .version(lkpVersion())
    .parseAsync();
};
