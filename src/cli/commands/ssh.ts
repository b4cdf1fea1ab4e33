// `lkp ssh cert` (a user certificate with a join token, for hosts outside AWS and the
// demo) and, later, `lkp ssh exec` / `lkp ssh config`.
import type { Argv, CommandModule } from 'yargs';
import { runCommand } from '../run.js';

const cert: CommandModule = {
  command: 'cert',
  describe: 'Get a user certificate for LOGIN on HOST with a user join token',
  builder: (y: Argv) =>
    y
      .option('join-token', { type: 'string', demandOption: true, describe: 'A user token from `lkp signer token create --for user`' })
      .option('target', { type: 'string', demandOption: true, describe: 'The host (its joined name or instance id)' })
      .option('user', { type: 'string', demandOption: true, describe: 'The login' })
      .option('identity', { type: 'string', describe: 'Private key to certify (default ~/.lkp/id_ed25519, created if absent)' })
      .option('function-name', { type: 'string', default: process.env.LKP_FUNCTION_NAME ?? 'lkp-signer' })
      .example('$0 ssh cert --join-token "$T" --target web-1 --user deploy', 'writes ~/.lkp/id_ed25519-cert.pub'),
  handler: (argv) =>
    runCommand(async () => {
      const os = await import('node:os');
      const path = await import('node:path');
      const { ensureKeyPair } = await import('../../client/keypair.js');
      const { requestUserCertificate } = await import('../../client/request-user-cert.js');
      const { writeAtomic } = await import('../../fs/write-atomic.js');
      const { parseLogin } = await import('../../ssh/names.js');
      const { parseTarget, targetHostId } = await import('../../api/target.js');
      const { userPrincipal } = await import('../../api/principal-scheme.js');
      const login = parseLogin(argv.user);
      const target = parseTarget(argv.target);
      const identityPath = path.resolve((argv.identity as string | undefined) ?? path.join(os.homedir(), '.lkp', 'id_ed25519'));
      const keyPair = await ensureKeyPair(identityPath, `lkp ${os.userInfo().username}`);
      const result = await requestUserCertificate({
        identity: { method: 'join-token', token: argv['join-token'] as string },
        keyPair,
        login,
        target: argv.target as string,
        expectedPrincipal: userPrincipal(login, targetHostId(target)),
        signer: { functionName: argv['function-name'] as string },
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      await writeAtomic(`${identityPath}-cert.pub`, `${result.line}\n`, 0o644);
      process.stdout.write(`${identityPath}-cert.pub\n`);
    }),
};

/** Client config and signer choice shared by exec, prepare and config. */
const clientContext = async (argv: Record<string, unknown>) => {
  const path = await import('node:path');
  const os = await import('node:os');
  const { loadClientConfig, chooseSigners } = await import('../../client/config.js');
  const home = process.env.LKP_HOME ?? path.join(os.homedir(), '.lkp');
  const config = await loadClientConfig(process.env.LKP_CONFIG ?? path.join(home, 'config.json'));
  const signers = chooseSigners(config, {
    ...(argv.signer ? { signer: argv.signer as string } : {}),
    ...(argv['function-name'] ? { functionName: argv['function-name'] as string } : {}),
    ...(argv.region ? { region: argv.region as string } : {}),
    ...(argv.profile ? { profile: argv.profile as string } : {}),
  });
  return { home, signers };
};

const prepare: CommandModule = {
  command: 'prepare',
  describe: false, // called by the ssh config's Match exec
  builder: (y: Argv) => y.option('host', { type: 'string', demandOption: true }).option('user', { type: 'string', demandOption: true }).option('signer', { type: 'string' }),
  handler: (argv) =>
    runCommand(async () => {
      const { home, signers } = await clientContext(argv);
      const { parseLogin } = await import('../../ssh/names.js');
      const { prepareHost } = await import('../../client/transparent.js');
      await prepareHost({ instanceArn: argv.host as string, login: parseLogin(argv.user), signers, home });
      return 0;
    }),
};

const proxy: CommandModule = {
  command: 'proxy',
  describe: false, // the ssh config's ProxyCommand
  builder: (y: Argv) => y.option('host', { type: 'string', demandOption: true }).option('port', { type: 'number', default: 22 }),
  handler: (argv) =>
    runCommand(async () => {
      const path = await import('node:path');
      const os = await import('node:os');
      const { proxyToHost } = await import('../../client/transparent.js');
      await proxyToHost(process.env.LKP_HOME ?? path.join(os.homedir(), '.lkp'), argv.host as string, argv.port as number);
      return 0;
    }),
};

const config: CommandModule = {
  command: 'config',
  describe: 'Print (or --install into ~/.ssh/config) the block that makes plain `ssh LOGIN@i-…` use lkp',
  builder: (y: Argv) =>
    y
      .option('install', { type: 'boolean', default: false, describe: 'Write the block into ~/.ssh/config (idempotent: replaced in place)' })
      .option('signer', { type: 'string', describe: 'Named signer from ~/.lkp/config.json' })
      .option('ssh-config', { type: 'string', describe: 'File to install into (default ~/.ssh/config)' })
      .example('$0 ssh config --install', 'then: ssh ec2-user@i-0123456789abcdef0'),
  handler: (argv) =>
    runCommand(async () => {
      const path = await import('node:path');
      const os = await import('node:os');
      const { readFile, mkdir } = await import('node:fs/promises');
      const { fileURLToPath } = await import('node:url');
      const { home, signers } = await clientContext(argv);
      const { renderSshConfig, installSshConfig } = await import('../../client/ssh-config.js');
      const { writeAtomic } = await import('../../fs/write-atomic.js');
      const { selfCommand } = await import('../self.js');
      const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/lkp.js');
      const primary = signers[0];
      const signerName = primary && primary.name !== 'default' ? primary.name : primary?.functionName ?? 'lkp-signer';
      const block = renderSshConfig({
        lkp: selfCommand(bin),
        home,
        ...(argv.signer ? { signer: argv.signer as string } : {}),
        knownHosts: path.join(home, `known_hosts.${signerName.replace(/[^A-Za-z0-9._-]/g, '_')}`),
      });
      if (!argv.install) {
        process.stdout.write(block);
        return 0;
      }
      const file = path.resolve((argv['ssh-config'] as string | undefined) ?? path.join(os.homedir(), '.ssh', 'config'));
      const current = await readFile(file, 'utf8').catch(() => '');
      const next = installSshConfig(current, block);
      if (next === current) {
        process.stdout.write(`${file}: already up to date\n`);
        return 0;
      }
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeAtomic(file, next, 0o600);
      process.stdout.write(`${file}: lkp block installed; try: ssh ec2-user@i-0123456789abcdef0\n`);
      return 0;
    }),
};

const exec: CommandModule = {
  command: 'exec',
  describe: 'ssh to one instance with a certificate valid for that instance and login only',
  builder: (y: Argv) =>
    y
      .option('instance-arn', { type: 'string', demandOption: true, describe: 'arn:aws:ec2:REGION:ACCOUNT:instance/i-…' })
      .option('user', { type: 'string', describe: 'Login (default: the signer profile\'s defaultLogin, else ec2-user)' })
      .option('signer', { type: 'string', describe: 'Named signer from ~/.lkp/config.json' })
      .option('function-name', { type: 'string', describe: 'Signer function name or ARN (overrides the profile)' })
      .option('region', { type: 'string', describe: 'Signer region (default: the instance\'s)' })
      .option('profile', { type: 'string', describe: 'AWS profile for credentials' })
      .option('public', { type: 'boolean', default: false, describe: 'Connect to the public IPv4 address' })
      .option('address', { type: 'string', describe: 'Connect to this address instead of asking EC2' })
      .option('port', { type: 'number', describe: 'sshd port' })
      .option('identity', { type: 'string', describe: 'Private key to use (default ~/.lkp/id_ed25519, created if absent)' })
      .option('agent', { type: 'boolean', default: false, describe: 'Also add the key and certificate to ssh-agent for the certificate\'s remaining life' })
      .option('refresh', { type: 'boolean', default: false, describe: 'Ignore the certificate cache' })
      .option('jump', { type: 'array', string: true, describe: 'Bastion [LOGIN@]INSTANCE-ARN[#PORT], repeatable, outermost first; each hop gets its own certificate and is verified by its host certificate' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the ssh command line instead of running it' })
      .conflicts('public', 'address')
      .example('$0 ssh exec --instance-arn arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0', 'a shell as ec2-user')
      .example('$0 ssh exec --instance-arn ARN --user ubuntu -- uptime', 'run one command; its exit code is lkp\'s'),
  handler: (argv) =>
    runCommand(async () => {
      const { home, signers } = await clientContext(argv);
      const { parseLogin } = await import('../../ssh/names.js');
      const { prepareSsh, parseJump } = await import('../../client/exec.js');
      const login = parseLogin((argv.user as string | undefined) ?? signers[0]?.defaultLogin ?? 'ec2-user');
      const prepared = await prepareSsh({
        instanceArn: argv['instance-arn'] as string,
        login,
        signers,
        home,
        public: argv.public as boolean,
        refresh: argv.refresh as boolean,
        args: ((argv['--'] as unknown[] | undefined) ?? []).map(String),
        ...(argv.identity ? { identity: argv.identity as string } : {}),
        ...(argv.address ? { address: argv.address as string } : {}),
        ...(argv.port ? { port: argv.port as number } : {}),
        jumps: ((argv.jump as string[] | undefined) ?? []).map((j) => parseJump(j, login)),
      });
      if (argv.agent) {
        const { addToAgent } = await import('../../client/agent.js');
        await addToAgent(prepared.identityPath, prepared.certificatePath, prepared.validBefore - Math.floor(Date.now() / 1000));
      }
      if (argv['dry-run']) {
        const { formatCommandLine } = await import('../../client/ssh-command.js');
        process.stdout.write(`${formatCommandLine([prepared.sshPath, ...prepared.argv])}\n`);
        return 0;
      }
      const { runSsh } = await import('../../client/run-ssh.js');
      return runSsh(prepared.sshPath, prepared.argv);
    }),
};

export const sshCommand: CommandModule = {
  command: 'ssh <command>',
  describe: 'Log in to instances with short-lived user certificates',
  builder: (y: Argv) => y.command(exec).command(config).command(cert).command(prepare).command(proxy).demandCommand(1),
  handler: () => undefined,
};
