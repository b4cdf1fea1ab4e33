// `lkp ca rotate add-next|promote|retire|status`: rotate the host CA or the user CA of a
// signer config (a file for `lkp signer serve`, or the deployed signer's SSM parameter).
import type { Args, CommandDef, OptionSpec } from '../command.js';
import { LkpError } from '../../errors.js';
import type { RotationStatus, RotationStep } from '../../signer/rotation/phases.js';
import type { ConfigSource } from '../../signer/rotation/config-source.js';

const SOURCE: Readonly<Record<string, OptionSpec>> = {
  config: { type: 'string', describe: 'Signer config file (lkp signer serve picks up the change by itself)', conflicts: 'ssm-parameter' },
  'ssm-parameter': { type: 'string', describe: 'SSM parameter holding the deployed signer config (the Lambda re-reads it within 60 s)' },
  region: { type: 'string', describe: 'Region of the SSM parameter (default AWS_REGION)' },
  json: { type: 'boolean', default: false, describe: 'Print the resulting status as JSON' },
};

const CA: OptionSpec = { type: 'string', demand: true, choices: ['host', 'user'], describe: 'Which CA to rotate' };

const openSource = async (args: Args): Promise<ConfigSource> => {
  const { fileConfigSource, ssmConfigSource } = await import('../../signer/rotation/config-source.js');
  if (args.config) return fileConfigSource(args.config as string);
  if (args['ssm-parameter']) return ssmConfigSource(args['ssm-parameter'] as string, (args.region as string | undefined) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1');
  throw new LkpError('UsageError', 'give --config FILE or --ssm-parameter NAME');
};

const remoteFor = async (): Promise<import('../../signer/ca-store/load.js').RemoteKeyFetcher> => (await import('../../signer/ca-store/remote.js')).remoteCaKeys;

const formatStatus = (s: RotationStatus): string[] => [
  `${s.ca} CA (${s.store}): phase ${s.phase}${s.addedAt ? `, next added ${s.addedAt}` : ''}${s.promotedAt ? `, promoted ${s.promotedAt}` : ''}`,
  ...s.keys.map((k) => `  ${k.fingerprint}  ${k.role}${k.signing ? ', signs' : ', published'}  ${k.ref}`),
  ...(s.nextStep ? [`  next: ${s.nextStep}, allowed from ${s.nextStepAllowedAt} (${s.stepWaitSeconds} s after the previous step)`] : []),
];

const stepCommand = (step: RotationStep, describe: string, extra: Readonly<Record<string, OptionSpec>>, examples: ReadonlyArray<readonly [string, string]>): CommandDef => ({
  path: ['ca', 'rotate', step],
  describe,
  options: { ...SOURCE, ca: CA, ...extra },
  examples,
  run: async (args) => {
    const { rotateCa } = await import('../../signer/rotation/rotate.js');
    const result = await rotateCa({
      source: await openSource(args),
      role: args.ca as 'host' | 'user',
      step,
      now: new Date(),
      ...(args.force ? { force: true } : {}),
      ...(typeof args.key === 'string' ? { nextKey: args.key } : {}),
      ...(typeof args['key-type'] === 'string' ? { keyType: args['key-type'] as 'ed25519' } : {}),
      remote: await remoteFor(),
    });
    if (result.forcedEarly) {
      const risk =
        step === 'promote'
          ? 'hosts that have not renewed since add-next do not trust the next key yet, so certificates it signs are refused there (user CA); laptops whose cached host CA list predates add-next refuse hosts certified by it (host CA)'
          : 'certificates signed by the retired key that hosts or people still hold stop being trusted now';
      process.stderr.write(`lkp: warning: --force: ${step} before ${result.forcedEarly}, when every host and every cached user certificate would have caught up; ${risk}\n`);
    }
    if (result.createdKey) process.stderr.write(`lkp: created ${result.createdKey} (0600) and ${result.createdKey}.pub\n`);
    process.stderr.write(`lkp: previous config kept: ${result.previous}\n`);
    process.stdout.write(args.json ? `${JSON.stringify(result.status, null, 2)}\n` : `${formatStatus(result.status).join('\n')}\n`);
  },
});

export const caRotateAddNext = stepCommand(
  'add-next',
  'Publish a next CA key beside the current one (the current key still signs)',
  {
    key: { type: 'string', describe: 'The next key: a private key file, a secret or parameter name, or a KMS key id/ARN/alias (SIGN_VERIFY, same key spec). File stores generate one when omitted' },
    'key-type': { type: 'string', choices: ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-3072', 'rsa-4096'], describe: 'Algorithm of a generated key file (default: that of the current key)' },
  },
  [
    ['$0 ca rotate add-next --config ca/signer.json --ca user', 'generate ca/user_ca.<time> and publish it'],
    ['$0 ca rotate add-next --ssm-parameter /lkp/prod/signer-config --ca host --key alias/lkp-host-ca-2027', 'a second KMS key'],
  ],
);

export const caRotatePromote = stepCommand(
  'promote',
  'Sign with the next key; the current key stays published (refused until every host has renewed since add-next: 13 h by default)',
  { force: { type: 'boolean', default: false, describe: 'Promote before every host can have renewed (prints the risk)' } },
  [['$0 ca rotate promote --config ca/signer.json --ca user', 'the next key signs from now on']],
);

export const caRotateRetire = stepCommand(
  'retire',
  'Drop the old key from ca-keys and so from every trust file (refused until every host has renewed since promote: 13 h by default)',
  { force: { type: 'boolean', default: false, describe: 'Retire before every host can have renewed (prints the risk)' } },
  [['$0 ca rotate retire --config ca/signer.json --ca user', 'the old key is no longer trusted anywhere']],
);

export const caRotateStatus: CommandDef = {
  path: ['ca', 'rotate', 'status'],
  describe: 'Each CA\'s rotation phase, keys (fingerprints), when add-next happened and when the next step is allowed',
  options: SOURCE,
  examples: [['$0 ca rotate status --config ca/signer.json --json', 'both CAs, as JSON']],
  run: async (args) => {
    const { readRotationStatus } = await import('../../signer/rotation/rotate.js');
    const status = await readRotationStatus(await openSource(args), await remoteFor());
    process.stdout.write(args.json ? `${JSON.stringify(status, null, 2)}\n` : `${[`signer ${status.serverId}`, ...formatStatus(status.hostCa), ...formatStatus(status.userCa)].join('\n')}\n`);
  },
};
