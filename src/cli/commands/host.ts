// `lkp host` (bootstrap / renew / uninstall) and `lkp host status`.
import type { Argv, CommandModule } from 'yargs';
import { runCommand } from '../run.js';

const common = (y: Argv) =>
  y
    .option('ssh-dir', { type: 'string', default: '/etc/ssh', describe: 'Where host keys are read; lkp writes under <ssh-dir>/lkp/' })
    .option('sshd-config', { type: 'string', describe: 'Main sshd configuration file (default <ssh-dir>/sshd_config)' })
    .option('sshd', { type: 'string', default: '/usr/sbin/sshd', describe: 'sshd binary used to validate (sshd -t)' });

const status: CommandModule = {
  command: 'status',
  describe: 'Show the host certificates and whether renewal is due (exit 0 ok, 10 due, 11 missing/expired)',
  builder: (y: Argv) => common(y).example('$0 host status', 'check /etc/ssh/lkp'),
  handler: (argv) =>
    runCommand(async () => {
      const { hostStatus } = await import('../../host/status.js');
      const path = await import('node:path');
      return hostStatus(path.resolve(argv['ssh-dir'] as string), new Date(), (l) => process.stdout.write(`${l}\n`));
    }),
};

export const hostCommand: CommandModule = {
  command: 'host',
  describe: 'Bootstrap this host: obtain host certificates and configure sshd safely',
  builder: (y: Argv) =>
    common(y)
      .command(status)
      .option('function-name', { type: 'string', default: process.env.LKP_FUNCTION_NAME ?? 'lkp-signer', describe: 'Signer Lambda name or ARN (env LKP_FUNCTION_NAME)' })
      .option('region', { type: 'string', describe: 'Signer region (default: the instance region)' })
      .option('join-token', { type: 'string', describe: 'Use a join token instead of the EC2 identity (hosts outside AWS)' })
      .option('users', { type: 'array', string: true, describe: 'Logins to admit (comma or space separated); default: the distribution login that exists' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the files and the sshd diff; change nothing' })
      .option('reload', { type: 'boolean', default: true, describe: 'Reload sshd after a change (--no-reload to skip)' })
      .option('sshd-pid-file', { type: 'string', describe: 'Reload by SIGHUP to the sshd in this pid file instead of systemd/service' })
      .option('renew-if-needed', { type: 'boolean', default: false, describe: 'Do nothing unless a certificate is missing, expiring (1/3 left) or its host key changed' })
      .option('user-ca-fingerprint', { type: 'array', string: true, describe: 'Pin the user CA: SHA256 fingerprint(s) the signer\'s user CA keys must match' })
      .option('accept-new-user-ca', { type: 'boolean', default: false, describe: 'Accept a user CA that shares no key with the one trusted now (a CA replacement)' })
      .option('uninstall', { type: 'boolean', default: false, describe: 'Remove everything lkp added (validated and reloaded)' })
      .example('$0 host', 'on EC2: identity from IMDSv2, certificates from the lkp-signer Lambda')
      .example('$0 host --join-token "$TOKEN" --users deploy', 'outside AWS, with a token from `lkp signer token create`')
      .example('$0 host --renew-if-needed', 'from a daily timer'),
  handler: (argv) =>
    runCommand(async () => {
      const path = await import('node:path');
      const sshDir = path.resolve(argv['ssh-dir'] as string);
      const base = {
        sshDir,
        sshdConfig: path.resolve((argv['sshd-config'] as string | undefined) ?? path.join(sshDir, 'sshd_config')),
        sshdPath: argv.sshd as string,
        dryRun: argv['dry-run'] as boolean,
        reload: argv.reload as boolean,
        ...(argv['sshd-pid-file'] ? { sshdPidFile: argv['sshd-pid-file'] as string } : {}),
      };
      const out = (l: string): void => void process.stdout.write(`${l}\n`);
      if (argv.uninstall) {
        const { uninstallHost } = await import('../../host/uninstall.js');
        await uninstallHost(base, out);
        return 0;
      }
      const { runHost } = await import('../../host/bootstrap.js');
      const { parseUsers, systemUserExists } = await import('../../host/logins.js');
      const { imdsClient } = await import('../../host/imds.js');
      const users = argv.users as string[] | undefined;
      await runHost(
        {
          ...base,
          functionName: argv['function-name'] as string,
          ...(argv.region ? { region: argv.region as string } : {}),
          ...(argv['join-token'] ? { joinToken: argv['join-token'] as string } : {}),
          ...(users && users.length > 0 ? { users: parseUsers(users) } : {}),
          renewIfNeeded: argv['renew-if-needed'] as boolean,
          ...(argv['user-ca-fingerprint'] ? { userCaFingerprints: argv['user-ca-fingerprint'] as string[] } : {}),
          acceptNewUserCa: argv['accept-new-user-ca'] as boolean,
        },
        { imds: () => imdsClient(), userExists: systemUserExists, now: () => new Date(), out },
      );
      return 0;
    }),
};
