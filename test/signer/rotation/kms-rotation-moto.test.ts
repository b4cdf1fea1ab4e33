// Rotating a KMS host CA of the deployed signer, against moto with IAM enforced: the config
// lives in an SSM parameter (as the Lambda reads it), `lkp ca rotate` edits it with the
// admin's credentials, "next" is a second KMS key the admin created, and the Lambda's
// config follower picks up each step once its TTL has passed.
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleSigner } from '../../../src/signer/assemble.js';
import { cachedCaKeys } from '../../../src/signer/ca-store/load.js';
import { fetchSsmParameter } from '../../../src/aws/ssm-parameter.js';
import { CONFIG_TTL_MS, followConfigText, parseConfigText } from '../../../src/signer/follow-config.js';
import type { ReloadingHandler } from '../../../src/signer/reloading-handler.js';
import { generateOpenSshKey } from '../../../src/ssh/generate-key.js';
import { fingerprint, formatPublicKey, parsePublicKey } from '../../../src/ssh/public-key.js';
import { lkp } from '../../helpers/lkp.js';
import { startMoto, type Moto } from '../../helpers/moto.js';

const CA_KEY_UNAVAILABLE = 23;
const ROTATION_TOO_EARLY = 56;
const PARAMETER = '/lkp/rotation-test/signer-config';

describe('KMS CA rotation through the SSM config (moto, IAM enforced)', () => {
  let moto: Moto;
  let ssm: SSMClient;
  const keys: Record<'host' | 'user' | 'next' | 'encrypt' | 'p384', string> = { host: '', user: '', next: '', encrypt: '', p384: '' };
  let clock = 0;
  let followed: ReloadingHandler;

  const storedConfig = async (): Promise<{ hostCa: { keyIds: string[]; rotation?: { phase: string } } }> =>
    JSON.parse((await ssm.send(new GetParameterCommand({ Name: PARAMETER, WithDecryption: true }))).Parameter?.Value ?? '{}') as { hostCa: { keyIds: string[] } };
  const rotate = (step: string, extra: string[] = []) => lkp(['ca', 'rotate', step, '--ssm-parameter', PARAMETER, '--ca', 'host', ...extra], { env: moto.env() });
  const askCaKeys = async (): Promise<string[]> => ((await followed.handler({ version: 1, action: 'ca-keys' })) as unknown as { hostCaKeys: string[] }).hostCaKeys;
  /** What the Lambda's signer publishes once its config TTL has passed and the background read is done. */
  const lambdaHostCaKeys = async (): Promise<string[]> => {
    clock += CONFIG_TTL_MS;
    await askCaKeys(); // starts the read; answered by the config it had
    await followed.settled();
    return askCaKeys();
  };
  const publicLine = async (keyId: string): Promise<string> => {
    const config = parseConfigText(JSON.stringify({ version: 1, serverId: 'x', hostCa: { store: 'kms', keyIds: [keyId] }, userCa: { store: 'kms', keyIds: [keyId] }, rules: [] }), 'probe');
    return (await cachedCaKeys(config.hostCa, config.userCa)()).host.publicLines[0] as string;
  };

  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, moto.env());
    const kms = new KMSClient(moto.client());
    const create = async (KeySpec: 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'RSA_2048', KeyUsage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT'): Promise<string> =>
      (await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage }))).KeyMetadata?.KeyId ?? '';
    keys.host = await create('ECC_NIST_P256', 'SIGN_VERIFY');
    keys.user = await create('ECC_NIST_P256', 'SIGN_VERIFY');
    keys.next = await create('ECC_NIST_P256', 'SIGN_VERIFY');
    keys.encrypt = await create('RSA_2048', 'ENCRYPT_DECRYPT');
    keys.p384 = await create('ECC_NIST_P384', 'SIGN_VERIFY');
    ssm = new SSMClient(moto.client());
    const config = { version: 1, serverId: 'lkp-rotation-test', hostCa: { store: 'kms', keyIds: [keys.host] }, userCa: { store: 'kms', keyIds: [keys.user] }, rules: [] };
    await ssm.send(new PutParameterCommand({ Name: PARAMETER, Type: 'String', Value: JSON.stringify(config) }));
    followed = await followConfigText(() => fetchSsmParameter(PARAMETER, 'us-east-1'), `SSM parameter ${PARAMETER}`, (c) => assembleSigner(c, { audit: () => undefined }), { nowMs: () => clock });
  }, 120_000);

  afterAll(async () => {
    await moto?.close();
  });

  it('fail/a next key that cannot sign as the current one does (ENCRYPT_DECRYPT, another key spec) is refused; the config stays', async () => {
    const before = await storedConfig();
    const encrypt = await rotate('add-next', ['--key', keys.encrypt]);
    expect(encrypt.code, encrypt.stderr).toBe(CA_KEY_UNAVAILABLE);
    const p384 = await rotate('add-next', ['--key', keys.p384]);
    expect(p384.code, p384.stderr).toBe(CA_KEY_UNAVAILABLE);
    expect((await rotate('add-next')).code).toBe(21); // UsageError: a KMS store needs --key
    expect(await storedConfig()).toEqual(before);
  });

  it('ok/add-next, promote (refused without --force), retire: the SSM config and the signer follow each step', async () => {
    const [current, next] = [await publicLine(keys.host), await publicLine(keys.next)];
    expect(await lambdaHostCaKeys()).toEqual([current]);

    const add = await rotate('add-next', ['--key', keys.next]);
    expect(add.code, add.stderr).toBe(0);
    expect((await storedConfig()).hostCa).toMatchObject({ keyIds: [keys.host, keys.next], rotation: { phase: 'next-added' } });
    expect(await lambdaHostCaKeys()).toEqual([current, next]);

    const status = await lkp(['ca', 'rotate', 'status', '--ssm-parameter', PARAMETER, '--json'], { env: moto.env() });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ hostCa: { phase: 'next-added', nextStep: 'promote', keys: [{ role: 'current', signing: true }, { role: 'next', signing: false }] }, userCa: { phase: 'steady' } });

    expect((await rotate('promote')).code).toBe(ROTATION_TOO_EARLY);
    expect((await rotate('promote', ['--force'])).code).toBe(0);
    expect((await storedConfig()).hostCa).toMatchObject({ keyIds: [keys.next, keys.host], rotation: { phase: 'promoted' } });
    expect(await lambdaHostCaKeys()).toEqual([next, current]);
    // The next key now signs: the signer's host CA signer is the next KMS key.
    const promoted = parseConfigText(await fetchSsmParameter(PARAMETER, 'us-east-1'), 'after promote');
    expect(formatPublicKey((await cachedCaKeys(promoted.hostCa, promoted.userCa)()).host.signer.publicKey)).toBe(next);

    expect((await rotate('retire', ['--force'])).code).toBe(0);
    const retired = (await storedConfig()).hostCa;
    expect(retired.keyIds).toEqual([keys.next]);
    expect(retired.rotation).toBeUndefined();
    expect(await lambdaHostCaKeys()).toEqual([next]);
  });

  it('ok/an SSM (SecureString) key store: add-next names the parameter holding the next key; fail/one that cannot be read changes nothing', async () => {
    const name = '/lkp/rotation-test/ssm-store-config';
    const [current, next] = [generateOpenSshKey('ed25519', 'user CA'), generateOpenSshKey('ed25519', 'user CA next')];
    await ssm.send(new PutParameterCommand({ Name: '/lkp/rotation-test/user-ca-1', Type: 'SecureString', Value: current.privateText }));
    await ssm.send(new PutParameterCommand({ Name: '/lkp/rotation-test/user-ca-2', Type: 'SecureString', Value: next.privateText }));
    const config = { version: 1, serverId: 'lkp-rotation-test', hostCa: { store: 'kms', keyIds: [keys.host] }, userCa: { store: 'ssm', names: ['/lkp/rotation-test/user-ca-1'] }, rules: [] };
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'String', Value: JSON.stringify(config) }));
    const run = (extra: string[]) => lkp(['ca', 'rotate', 'add-next', '--ssm-parameter', name, '--ca', 'user', ...extra], { env: moto.env() });

    expect((await run(['--key', '/lkp/rotation-test/missing'])).code).toBe(CA_KEY_UNAVAILABLE);
    expect((await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value).toBe(JSON.stringify(config));

    const add = await run(['--key', '/lkp/rotation-test/user-ca-2', '--json']);
    expect(add.code, add.stderr).toBe(0);
    const status = JSON.parse(add.stdout) as { phase: string; keys: Array<{ fingerprint: string; role: string }> };
    expect(status.phase).toBe('next-added');
    expect(status.keys.map((k) => [k.role, k.fingerprint])).toEqual([
      ['current', fingerprint(parsePublicKey(current.publicLine))],
      ['next', fingerprint(parsePublicKey(next.publicLine))],
    ]);
  });
});
