// `lkp ca rotate add-next|promote|retire|status`: rotate the host CA or the user CA of a
// signer config (a file for `lkp signer serve`, or the deployed signer's SSM parameter).
import type { Args, CommandDef, OptionSpec } from '../command.js';
import { LkpError } from '../../errors.js';
import type { RotationStatus, RotationStep } from '../../signer/rotation/phases.js';
import type { ConfigSource } from '../../signer/rotation/config-source.js';

const SOURCE: Readonly<Record<string, OptionSpec>> = {
  config: { type: 'string', describe: 'Signer config file (lkp signer serve picks up the change by itself)', conflicts: 'ssm-parameter' },
  'ssm-parameter': { type: 'string', describe: 'SSM parameter holding the deployed signer config (the Lambda re-reads it within 60 s)' },
  region: { type: 'string', describe: 'Region of the SSM parameter and the signer (default AWS_REGION)' },
  'function-name': {
    type: 'string',
    describe: 'The running signer to check (Lambda name or ARN; default LKP_FUNCTION_NAME, else lkp-signer). For lkp signer serve, set AWS_ENDPOINT_URL_LAMBDA to its address',
  },
  json: { type: 'boolean', default: false, describe: 'Print the resulting status as JSON' },
};

const CA: OptionSpec = { type: 'string', demand: true, choices: ['host', 'user'], describe: 'Which CA to rotate' };

const openSource = async (args: Args): Promise<ConfigSource> => {
  const { fileConfigSource, ssmConfigSource } = await import('../../signer/rotation/config-source.js');
  if (args.config) return fileConfigSource(args.config as string);
  if (args['ssm-parameter']) return ssmConfigSource(args['ssm-parameter'] as string, regionOf(args));
  throw new LkpError('UsageError', 'give --config FILE or --ssm-parameter NAME');
};

const regionOf = (args: Args): string => (args.region as string | undefined) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

/** The running signer, asked through Lambda Invoke (the deployed function, or lkp signer serve at AWS_ENDPOINT_URL_LAMBDA). */
const liveFor = (args: Args): { functionName: string; fetch: () => Promise<import('../../signer/rotation/live-signer.js').LiveKeys> } => {
  const functionName = (args['function-name'] as string | undefined) ?? process.env.LKP_FUNCTION_NAME ?? 'lkp-signer';
  const target = { functionName, region: regionOf(args), local: Boolean(args.config) };
  return { functionName, fetch: async () => (await import('../../signer/rotation/live-signer.js')).fetchLiveKeys(target) };
};

const remoteFor = async (): Promise<import('../../signer/ca-store/load.js').RemoteKeyFetcher> => (await import('../../signer/ca-store/remote.js')).remoteCaKeys;

const formatStatus = (s: RotationStatus): string[] => [
  `${s.ca} CA (${s.store}): phase ${s.phase}${s.addedAt ? `, next added ${s.addedAt}` : ''}${s.promotedAt ? `, promoted ${s.promotedAt}` : ''}`,
  ...s.keys.map((k) => `  ${k.fingerprint}  ${k.role}${k.signing ? ', signs' : ', published'}  ${k.ref}`),
  ...(s.nextStep ? [`  next: ${s.nextStep}, allowed from ${s.nextStepAllowedAt} (${s.stepWaitSeconds} s after the previous step)`] : []),
];

const formatLive = (live: import('../../signer/rotation/live-signer.js').LiveView | undefined): string[] => {
  if (!live) return [];
  if ('error' in live) return [`running signer ${live.functionName}: not asked (${live.error.code}: ${live.error.message})`];
  const role = (name: string, v: { fingerprints: readonly string[]; matchesConfig: boolean }): string =>
    `  ${name} CA: ${v.matchesConfig ? 'serves the config' : 'does NOT serve the config (it did not adopt the last step)'}: ${v.fingerprints.join(', ')}`;
  return [`running signer ${live.functionName} (${live.serverId}):`, role('host', live.hostCa), role('user', live.userCa)];
};

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
      live: liveFor(args).fetch,
      // lkp signer serve looks at its file before a request, at most once a second; a Lambda
      // container reads its parameter within about 2 minutes: status shows it then.
      adoptWaitMs: args.config ? 3_000 : 0,
    });
    if (result.forcedLive) {
      const risk =
        step === 'promote'
          ? 'hosts may never have been offered the next key: certificates it signs are refused there (user CA), and laptops refuse hosts certified by it (host CA)'
          : 'the old key may still be the one signing: certificates it issued stop being trusted once it is gone';
      process.stderr.write(`lkp: warning: --force: ${result.forcedLive}; ${risk}\n`);
    }
    if (result.forcedEarly) {
      const risk =
        step === 'promote'
          ? 'hosts that have not renewed since add-next do not trust the next key yet, so certificates it signs are refused there (user CA); laptops whose cached host CA list predates add-next refuse hosts certified by it (host CA)'
          : 'certificates signed by the retired key that hosts or people still hold stop being trusted now';
      process.stderr.write(`lkp: warning: --force: ${step} before ${result.forcedEarly}, when every host and every cached user certificate would have caught up; ${risk}\n`);
    }
    if (result.createdKey) process.stderr.write(`lkp: created ${result.createdKey} (0600) and ${result.createdKey}.pub\n`);
    process.stderr.write(`lkp: previous config kept: ${result.previous}\n`);
    const after = result.liveAfter;
    if (after && 'error' in after) process.stderr.write(`lkp: warning: could not ask the running signer whether it serves this step (${after.error.code}: ${after.error.message}); check \`lkp ca rotate status\` before the next step\n`);
    else if (after?.adopted) process.stderr.write('lkp: the running signer serves this step\n');
    else if (after) process.stderr.write(`lkp: warning: the running signer does not serve this step yet: ${after.detail}; \`lkp ca rotate status\` shows when it does (the next step is refused until then)\n`);
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
  'Sign with the next key; the current key stays published (refused until every host has renewed since add-next, 14 h by default, and while the running signer does not publish both keys)',
  { force: { type: 'boolean', default: false, describe: 'Promote before every host can have renewed, or when the running signer did not adopt add-next (prints the risk)' } },
  [['$0 ca rotate promote --config ca/signer.json --ca user', 'the next key signs from now on']],
);

export const caRotateRetire = stepCommand(
  'retire',
  'Drop the old key from ca-keys and so from every trust file (refused until every host has renewed since promote, 14 h by default, and while the running signer does not sign with the next key)',
  { force: { type: 'boolean', default: false, describe: 'Retire before every host can have renewed, or when the running signer did not adopt promote (prints the risk)' } },
  [['$0 ca rotate retire --config ca/signer.json --ca user', 'the old key is no longer trusted anywhere']],
);

export const caRotateStatus: CommandDef = {
  path: ['ca', 'rotate', 'status'],
  describe: 'Each CA\'s rotation phase, keys (fingerprints), when add-next happened, when the next step is allowed, and what the running signer serves',
  options: SOURCE,
  examples: [['$0 ca rotate status --config ca/signer.json --json', 'both CAs, as JSON']],
  run: async (args) => {
    const { readRotationStatus } = await import('../../signer/rotation/rotate.js');
    const status = await readRotationStatus(await openSource(args), await remoteFor(), liveFor(args));
    process.stdout.write(args.json ? `${JSON.stringify(status, null, 2)}\n` : `${[`signer ${status.serverId}`, ...formatStatus(status.hostCa), ...formatStatus(status.userCa), ...formatLive(status.live)].join('\n')}\n`);
  },
};
