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

export const sshCommand: CommandModule = {
  command: 'ssh <command>',
  describe: 'Log in to instances with short-lived user certificates',
  builder: (y: Argv) => y.command(cert).demandCommand(1),
  handler: () => undefined,
};
