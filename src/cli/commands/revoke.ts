// `lkp signer revoke` and `lkp signer revocations`.
import type { CommandDef } from '../command.js';

const SOURCE = {
  config: { type: 'string', describe: 'lkp signer serve config file (revocations in the file it names)', conflicts: 'ssm-parameter' },
  'ssm-parameter': { type: 'string', describe: 'SSM parameter holding the deployed signer config (revocations in its DynamoDB table, written with your own AWS credentials)' },
  region: { type: 'string', describe: 'AWS region of the parameter and table (default AWS_REGION)' },
} as const;

export const signerRevoke: CommandDef = {
  path: ['signer', 'revoke'],
  describe: 'Revoke a certificate (by serial or key ID, per CA) or a key (by file or SHA256 fingerprint); hosts refuse it after their next KRL refresh',
  options: {
    ...SOURCE,
    serial: { type: 'string', describe: 'Certificate serial (decimal, as ssh-keygen -L and the audit line show it); needs --ca' },
    'key-id': { type: 'string', describe: 'Certificate key ID (the whole ID, as ssh-keygen -L shows it); needs --ca' },
    key: { type: 'string', describe: 'Public key file: that key and every certificate of it' },
    fingerprint: { type: 'string', describe: 'SHA256:… fingerprint of a key: that key and every certificate of it' },
    ca: { type: 'string', choices: ['user', 'host'], describe: 'The CA that issued the certificate (for --serial and --key-id)' },
    reason: { type: 'string', demand: true, describe: 'Why (recorded with the time and who revoked)' },
    json: { type: 'boolean', default: false, describe: 'Print JSON: { added, where, revocation }' },
  },
  examples: [
    ['$0 signer revoke --config ca/signer.json --serial 8764898297823476790 --ca user --reason "laptop stolen"', 'one user certificate'],
    ['$0 signer revoke --ssm-parameter /lkp/lkp-prod/signer-config --key ~/alice.pub --reason "offboarded"', 'a key and all its certificates, in the deployed signer\'s table'],
    ['$0 signer revoke --config ca/signer.json --fingerprint SHA256:f3U5MB5X… --reason "host rebuilt"', 'a key by its fingerprint'],
  ],
  run: async (args) => {
    const { revoke } = await import('../../signer/revoke.js');
    const { describeRevocation, revocationToJson } = await import('../../signer/revocation.js');
    const source = {
      ...(args.config !== undefined ? { config: args.config as string } : {}),
      ...(args['ssm-parameter'] !== undefined ? { ssmParameter: args['ssm-parameter'] as string } : {}),
      ...(args.region !== undefined ? { region: args.region as string } : {}),
    };
    const flags = {
      ...(args.serial !== undefined ? { serial: String(args.serial) } : {}),
      ...(args['key-id'] !== undefined ? { keyId: String(args['key-id']) } : {}),
      ...(args.key !== undefined ? { keyFile: String(args.key) } : {}),
      ...(args.fingerprint !== undefined ? { fingerprint: String(args.fingerprint) } : {}),
      ...(args.ca !== undefined ? { ca: String(args.ca) } : {}),
    };
    const r = await revoke({ source, flags, reason: String(args.reason) });
    if (args.json) process.stdout.write(`${JSON.stringify({ added: r.added, where: r.where, revocation: revocationToJson(r.revocation) }, null, 2)}\n`);
    else process.stdout.write(`${r.added ? 'revoked' : 'already revoked'}: ${describeRevocation(r.revocation)}\n  in ${r.where}; signers serve it in their next KRL\n`);
  },
};

export const signerRevocations: CommandDef = {
  path: ['signer', 'revocations'],
  describe: 'List the revocations a signer serves in its KRL',
  options: {
    ...SOURCE,
    json: { type: 'boolean', default: false, describe: 'Print JSON: { where, revocations: [{ kind, ca, serial | keyId | fingerprint, reason, revokedAt, revokedBy }] }' },
  },
  examples: [
    ['$0 signer revocations --config ca/signer.json', 'one line per revocation, oldest first'],
    ['$0 signer revocations --ssm-parameter /lkp/lkp-prod/signer-config --json', 'the deployed signer\'s, as JSON'],
  ],
  run: async (args) => {
    const { listRevocations } = await import('../../signer/revoke.js');
    const { describeRevocation, revocationToJson } = await import('../../signer/revocation.js');
    const source = {
      ...(args.config !== undefined ? { config: args.config as string } : {}),
      ...(args['ssm-parameter'] !== undefined ? { ssmParameter: args['ssm-parameter'] as string } : {}),
      ...(args.region !== undefined ? { region: args.region as string } : {}),
    };
    const { revocations, where } = await listRevocations(source);
    if (args.json) process.stdout.write(`${JSON.stringify({ where, revocations: revocations.map(revocationToJson) }, null, 2)}\n`);
    else process.stdout.write(revocations.length === 0 ? `no revocations (${where})\n` : `${revocations.map(describeRevocation).join('\n')}\n`);
  },
};
