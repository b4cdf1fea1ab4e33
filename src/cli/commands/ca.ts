// `lkp ca init`: create a local CA folder.
import type { Argv, CommandModule } from 'yargs';
import { runCommand } from '../run.js';

export const caCommand: CommandModule = {
  command: 'ca <command>',
  describe: 'Manage a local certificate authority',
  builder: (y: Argv) =>
    y
      .command({
        command: 'init',
        describe: 'Create host and user CA keys, a join-token key and a starter signer config',
        builder: (yy: Argv) =>
          yy
            .option('dir', { type: 'string', demandOption: true, describe: 'Folder to create the CA in (never overwritten)' })
            .option('key-type', { choices: ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-3072', 'rsa-4096'] as const, default: 'ed25519' as const })
            .example('$0 ca init --dir ./ca', 'create ./ca/{host_ca,user_ca,join_token.key,signer.json}'),
        handler: (argv) =>
          runCommand(async () => {
            const { initCa } = await import('../../signer/ca-init.js');
            const result = await initCa(argv.dir as string, argv['key-type'] as 'ed25519');
            process.stdout.write(`created CA in ${result.dir}\n  signer config: ${result.configFile}\n`);
          }),
      })
      .demandCommand(1),
  handler: () => undefined,
};
