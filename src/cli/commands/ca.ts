// `lkp ca init`: create a local CA folder. `lkp ca show`: the CA public keys to pin.
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

export const caShow: CommandDef = {
  path: ['ca', 'show'],
  describe: 'Print the host and user CA public keys and SHA256 fingerprints of a signer config (any key store)',
  options: {
    config: { type: 'string', describe: 'Signer config file', conflicts: 'ssm-parameter' },
    'ssm-parameter': { type: 'string', describe: 'SSM parameter holding the signer config (as the Lambda reads it)' },
    json: { type: 'boolean', default: false, describe: 'Print JSON: { serverId, hostCa: { store, keys: [{ publicKey, fingerprint, signing }] }, userCa }' },
  },
  examples: [
    ['$0 ca show --config ./ca/signer.json', 'fingerprints to pin with lkp host --user-ca-fingerprint'],
    ['$0 ca show --ssm-parameter /lkp/signer-config --json', 'the deployed signer (KMS keys), as JSON'],
  ],
  run: async (args) => {
    const { loadConfigFrom } = await import('../../signer/config-from.js');
    const { cachedCaKeys } = await import('../../signer/ca-store/load.js');
    const { caShowReport, formatCaShow } = await import('../../signer/ca-show.js');
    const config = await loadConfigFrom({ ...(args.config ? { config: args.config as string } : {}), ...(args['ssm-parameter'] ? { ssmParameter: args['ssm-parameter'] as string } : {}) });
    const remote = [config.hostCa.store, config.userCa.store].some((s) => s === 'secretsmanager' || s === 'ssm') ? (await import('../../signer/ca-store/remote.js')).remoteCaKeys : undefined;
    const report = caShowReport(config, await cachedCaKeys(config.hostCa, config.userCa, remote)());
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatCaShow(report).join('\n')}\n`);
  },
};
