// `lkp host` (bootstrap / renew / uninstall) and `lkp host status`.
import type { CommandDef, OptionSpec } from '../command.js';

const common: Record<string, OptionSpec> = {
  'ssh-dir': { type: 'string', default: '/etc/ssh', describe: 'Where host keys are read; lkp writes under <ssh-dir>/lkp/' },
  'sshd-config': { type: 'string', describe: 'Main sshd configuration file (default <ssh-dir>/sshd_config)' },
  sshd: { type: 'string', default: '/usr/sbin/sshd', describe: 'sshd binary used to validate (sshd -t)' },
};

export const hostStatusCommand: CommandDef = {
  path: ['host', 'status'],
  describe: 'Show the host certificates and whether renewal is due (exit 0 ok, 1 renewal due, 12 missing, expired or invalid)',
  options: {
    ...common,
    json: { type: 'boolean', default: false, describe: 'Print a JSON report (docs/host-status.md); same exit codes' },
    'krl-max-age': { type: 'string', default: '1h', describe: 'Warn when the revocation list (RevokedKeys) is older than this (e.g. 30m, 2h)' },
  },
  examples: [
    ['$0 host status', 'check /etc/ssh/lkp'],
    ['$0 host status --json', 'the same for fleet tooling'],
    ['$0 host status --krl-max-age 15m', 'warn when revocations are more than 15 minutes old'],
  ],
  fast: true,
  run: async (args) => {
    const { hostStatus } = await import('../../host/status.js');
    const { parseDuration } = await import('../../duration.js');
    const path = await import('node:path');
    const krlMaxAgeSeconds = parseDuration(args['krl-max-age'], '--krl-max-age');
    return hostStatus(path.resolve(args['ssh-dir'] as string), new Date(), (l) => process.stdout.write(`${l}\n`), { json: args.json as boolean, krlMaxAgeSeconds });
  },
};

export const hostRefreshKrlCommand: CommandDef = {
  path: ['host', 'refresh-krl'],
  describe: "Fetch the signer's revocation list (KRL) and swap it in as sshd's RevokedKeys; on failure the last good copy stays",
  options: {
    'ssh-dir': common['ssh-dir'] as OptionSpec,
    'function-name': { type: 'string', describe: 'Signer Lambda name or ARN (default: the one lkp host used)' },
    region: { type: 'string', describe: 'Signer region (default: the instance region, or AWS_REGION)' },
    json: { type: 'boolean', default: false, describe: 'Print the result as JSON: path, changed, fetchedAt, generatedAt, count' },
  },
  examples: [
    ['$0 host refresh-krl', 'what lkp-host-krl.timer runs every few minutes'],
    ['$0 host refresh-krl --json', '{"path":"/etc/ssh/lkp/revoked_keys","changed":true,...}'],
  ],
  fast: true,
  run: async (args) => {
    const path = await import('node:path');
    const { refreshHostKrl } = await import('../../host/refresh-krl.js');
    const { imdsClient } = await import('../../host/imds.js');
    const r = await refreshHostKrl(
      {
        sshDir: path.resolve(args['ssh-dir'] as string),
        ...(args['function-name'] ? { functionName: args['function-name'] as string } : {}),
        ...(args.region ? { region: args.region as string } : {}),
      },
      { imds: () => imdsClient(), now: () => new Date() },
    );
    const line = args.json
      ? JSON.stringify({ version: 1, ...r })
      : `lkp host refresh-krl: ${r.path} ${r.changed ? 'replaced' : 'unchanged'}: ${r.count ?? '?'} revocation(s), generated ${r.generatedAt}`;
    process.stdout.write(`${line}\n`);
    return 0;
  },
};

export const hostCommand: CommandDef = {
  path: ['host'],
  describe: 'Bootstrap this host: obtain host certificates and configure sshd safely',
  options: {
    ...common,
    'function-name': { type: 'string', default: process.env.LKP_FUNCTION_NAME ?? 'lkp-signer', describe: 'Signer Lambda name or ARN (env LKP_FUNCTION_NAME)' },
    region: { type: 'string', describe: 'Signer region (default: the instance region)' },
    'join-token': { type: 'string', describe: 'Use a join token instead of the EC2 identity (hosts outside AWS); "-" reads it from standard input. On a shared machine prefer "-", --join-token-file or LKP_JOIN_TOKEN: arguments are visible to other users' },
    'join-token-file': { type: 'string', describe: 'Read the join token from this file (0600 or stricter)' },
    users: { type: 'strings', describe: 'Logins to admit (comma or space separated); default: the distribution login that exists' },
    'dry-run': { type: 'boolean', default: false, describe: 'Print the files and the sshd diff; change nothing' },
    reload: { type: 'boolean', default: true, describe: 'Reload sshd after a change (--no-reload to skip)' },
    'sshd-pid-file': { type: 'string', describe: 'Reload by SIGHUP to the sshd in this pid file instead of systemd/service' },
    'renew-if-needed': { type: 'boolean', default: false, describe: 'Do nothing unless a certificate is missing, expiring (1/3 left) or its host key changed' },
    'user-ca-fingerprint': { type: 'strings', describe: "Pin the user CA: SHA256 fingerprint(s) the signer's user CA keys must match" },
    'accept-new-user-ca': { type: 'boolean', default: false, describe: 'Accept a user CA that shares no key with the one trusted now (a CA replacement)' },
    'retry-for': { type: 'string', default: '5m', describe: 'Keep retrying an unreachable or throttled signer this long, with jittered back-off (0 = no retries; e.g. 90s, 5m)' },
    uninstall: { type: 'boolean', default: false, describe: 'Remove everything lkp added (validated and reloaded)' },
  },
  examples: [
    ['$0 host', 'on EC2: identity from IMDSv2, certificates from the lkp-signer Lambda'],
    ['$0 host --join-token-file /root/lkp-token --users deploy', 'outside AWS, with a token from `lkp signer token create`'],
    ['printf %s "$TOKEN" | $0 host --join-token - --users deploy', 'the same, the token on standard input (never in ps)'],
    ['$0 host --renew-if-needed', 'from a daily timer'],
  ],
  fast: true,
  run: async (args) => {
    const path = await import('node:path');
    const sshDir = path.resolve(args['ssh-dir'] as string);
    const base = {
      sshDir,
      sshdConfig: path.resolve((args['sshd-config'] as string | undefined) ?? path.join(sshDir, 'sshd_config')),
      sshdPath: args.sshd as string,
      dryRun: args['dry-run'] as boolean,
      reload: args.reload as boolean,
      ...(args['sshd-pid-file'] ? { sshdPidFile: args['sshd-pid-file'] as string } : {}),
    };
    const out = (l: string): void => void process.stdout.write(`${l}\n`);
    if (args.uninstall) {
      const { uninstallHost } = await import('../../host/uninstall.js');
      await uninstallHost(base, out);
      return 0;
    }
    const { runHost } = await import('../../host/bootstrap.js');
    const { parseRetryWindow } = await import('../../host/retry-window.js');
    const retryWindowMs = parseRetryWindow(args['retry-for'] as string);
    const { parseUsers, systemUserExists } = await import('../../host/logins.js');
    const { imdsClient } = await import('../../host/imds.js');
    const users = args.users as string[] | undefined;
    const { joinTokenFromCli } = await import('../join-token-input.js');
    const joinToken = await joinTokenFromCli(args['join-token'] as string | undefined, args['join-token-file'] as string | undefined);
    await runHost(
      {
        ...base,
        functionName: args['function-name'] as string,
        ...(args.region ? { region: args.region as string } : {}),
        ...(joinToken ? { joinToken } : {}),
        ...(users && users.length > 0 ? { users: parseUsers(users) } : {}),
        renewIfNeeded: args['renew-if-needed'] as boolean,
        ...(args['user-ca-fingerprint'] ? { userCaFingerprints: args['user-ca-fingerprint'] as string[] } : {}),
        acceptNewUserCa: args['accept-new-user-ca'] as boolean,
        retryWindowMs,
      },
      { imds: () => imdsClient(), userExists: systemUserExists, now: () => new Date(), out, progress: (l) => void process.stderr.write(`${l}\n`) },
    );
    return 0;
  },
};
