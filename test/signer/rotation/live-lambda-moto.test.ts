// `lkp ca rotate --ssm-parameter` asks the deployed signer what it serves before promote
// (review finding 3), through the Lambda Invoke path the CLI uses everywhere: here the
// Lambda's own config follower (followLambdaConfig, as index.handler runs it) behind the
// Invoke API on loopback, reading its SSM parameter from moto. A container that has not
// re-read the parameter since add-next still publishes one key: promote is refused with
// RotationNotLive; once it has, promote passes.
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSsmParameter } from '../../../src/aws/ssm-parameter.js';
import { CONFIG_TTL_MS } from '../../../src/signer/follow-config.js';
import { followLambdaConfig } from '../../../src/signer/lambda.js';
import type { ReloadingHandler } from '../../../src/signer/reloading-handler.js';
import { serveSigner } from '../../../src/signer/serve.js';
import { lkp } from '../../helpers/lkp.js';
import { startMoto, type Moto } from '../../helpers/moto.js';

const ROTATION_NOT_LIVE = 57;
const PARAMETER = '/lkp/live-test/signer-config';

describe('rotation steps check the deployed signer (moto SSM + KMS, the Lambda follower behind Invoke on loopback)', () => {
  let moto: Moto;
  let ssm: SSMClient;
  let server: Server;
  let followed: ReloadingHandler;
  let clock = 0;
  const savedEnv = { ...process.env };
  const keys = { host: '', user: '', next: '' };

  const stored = async (): Promise<string> => (await ssm.send(new GetParameterCommand({ Name: PARAMETER }))).Parameter?.Value ?? '';
  const cliEnv = (): Record<string, string> => ({ ...moto.env(), AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
  const rotate = (step: string, extra: string[] = []) => lkp(['ca', 'rotate', step, '--ssm-parameter', PARAMETER, '--ca', 'user', '--function-name', 'lkp-live-test-signer', ...extra], { env: cliEnv() });
  const liveUser = async (): Promise<{ matchesConfig: boolean; fingerprints: string[] }> => {
    const r = await lkp(['ca', 'rotate', 'status', '--ssm-parameter', PARAMETER, '--function-name', 'lkp-live-test-signer', '--json'], { env: cliEnv() });
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { live: { userCa: { matchesConfig: boolean; fingerprints: string[] } } }).live.userCa;
  };

  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, moto.env());
    const kms = new KMSClient(moto.client());
    const create = async (): Promise<string> => (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId ?? '';
    keys.host = await create();
    keys.user = await create();
    keys.next = await create();
    ssm = new SSMClient(moto.client());
    const config = { version: 1, serverId: 'lkp-live-test', hostCa: { store: 'kms', keyIds: [keys.host] }, userCa: { store: 'kms', keyIds: [keys.user] }, rules: [] };
    await ssm.send(new PutParameterCommand({ Name: PARAMETER, Type: 'String', Value: JSON.stringify(config) }));
    followed = await followLambdaConfig(() => fetchSsmParameter(PARAMETER, 'us-east-1'), `ssm:${PARAMETER}`, { nowMs: () => clock });
    server = await serveSigner(followed.handler, { host: '127.0.0.1', port: 0 });
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await moto?.close();
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
  });

  it('fail/promote while the container still serves the config from before add-next: RotationNotLive, the parameter stays; ok/after it re-read the parameter', async () => {
    // add-next two days ago (so the wait has passed), which this container has not read yet.
    const added = JSON.parse(await stored()) as { userCa: Record<string, unknown> };
    added.userCa = { store: 'kms', keyIds: [keys.user, keys.next], rotation: { phase: 'next-added', addedAt: new Date(Date.now() - 2 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z') } };
    await ssm.send(new PutParameterCommand({ Name: PARAMETER, Type: 'String', Value: JSON.stringify(added), Overwrite: true }));

    const stale = await liveUser();
    expect(stale.matchesConfig).toBe(false);
    expect(stale.fingerprints).toHaveLength(1);
    const before = await stored();
    const refused = await rotate('promote');
    expect(refused.code, refused.stderr).toBe(ROTATION_NOT_LIVE);
    expect(await stored()).toBe(before);

    // The container's TTL passes: the next request starts the read, the one after sees it.
    clock += CONFIG_TTL_MS;
    await followed.handler({ version: 1, action: 'ca-keys' });
    await followed.settled();
    expect(await liveUser()).toMatchObject({ matchesConfig: true });
    const promoted = await rotate('promote');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect((JSON.parse(await stored()) as { userCa: { keyIds: string[] } }).userCa.keyIds).toEqual([keys.next, keys.user]);
  });
});
