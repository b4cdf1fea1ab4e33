// `lkp ca init`: create a local CA folder.
import type { CommandDef } from '../command.js';

export const caInit: CommandDef = {
  path: ['ca', 'init'],
  describe: 'Create host and user CA keys, a join-token key and a starter signer config',
  options: {
    dir: { type: 'string', demand: true, describe: 'Folder to create the CA in (never overwritten)' },
    'key-type': { type: 'string', default: 'ed25519', choices: ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-3072', 'rsa-4096'], describe: 'CA key algorithm' },
  },
  examples: [['$0 ca init --dir ./ca', 'create ./ca/{host_ca,user_ca,join_token.key,signer.json}']],
  run: async (args) => {
    const { initCa } = await import('../../signer/ca-init.js');
    const result = await initCa(args.dir as string, args['key-type'] as 'ed25519');
    process.stdout.write(`created CA in ${result.dir}\n  signer config: ${result.configFile}\n`);
  },
};
