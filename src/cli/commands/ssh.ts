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
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the ssh command line instead of running it' })
      .conflicts('public', 'address')
      .example('$0 ssh exec --instance-arn arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0', 'a shell as ec2-user')
      .example('$0 ssh exec --instance-arn ARN --user ubuntu -- uptime', 'run one command; its exit code is lkp\'s'),
  handler: (argv) =>
    runCommand(async () => {
      const path = await import('node:path');
      const os = await import('node:os');
      const { loadClientConfig, chooseSigners } = await import('../../client/config.js');
      const { parseLogin } = await import('../../ssh/names.js');
      const { prepareSsh } = await import('../../client/exec.js');
      const home = process.env.LKP_HOME ?? path.join(os.homedir(), '.lkp');
      const config = await loadClientConfig(process.env.LKP_CONFIG ?? path.join(home, 'config.json'));
      const signers = chooseSigners(config, {
        ...(argv.signer ? { signer: argv.signer as string } : {}),
        ...(argv['function-name'] ? { functionName: argv['function-name'] as string } : {}),
        ...(argv.region ? { region: argv.region as string } : {}),
        ...(argv.profile ? { profile: argv.profile as string } : {}),
      });
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
  builder: (y: Argv) => y.command(exec).command(cert).demandCommand(1),
  handler: () => undefined,
};
