// The Secrets Manager and SSM (SecureString) CA key stores against moto with IAM enforced:
// every listed key is read (two during a rotation), SecureStrings come back decrypted, and a
// key that is missing or that the signer may not read is CaKeyUnavailable naming the
// secret, never its content.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LkpError } from '../../../src/errors.js';
import { remoteCaKeys } from '../../../src/signer/ca-store/remote.js';
import { makeCa } from '../../helpers/ca.js';
import { startMotoWorld, type MotoIdentity, type MotoWorld } from '../../helpers/moto-world.js';

describe('remote CA key stores (moto, IAM enforced)', () => {
  let world: MotoWorld;
  let reader: MotoIdentity;
  let stranger: MotoIdentity;
  const current = makeCa('ed25519');
  const next = makeCa('ecdsa-p256');
  const saved = { ...process.env };

  /** Runs `fn` with the process environment of `who` against this moto (the SDK reads it per client). */
  const as = async <T>(who: MotoIdentity, fn: () => Promise<T>): Promise<T> => {
    const env = world.env(who);
    delete process.env.AWS_SESSION_TOKEN;
    Object.assign(process.env, env);
    try {
      return await fn();
    } finally {
      for (const key of [...Object.keys(env), 'AWS_SESSION_TOKEN']) delete process.env[key];
      Object.assign(process.env, saved);
    }
  };
  const failure = async (who: MotoIdentity, fn: () => Promise<unknown>): Promise<LkpError> => {
    const error = await as(who, fn).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LkpError);
    return error as LkpError;
  };

  beforeAll(async () => {
    world = await startMotoWorld();
    reader = await world.user('lkp-ca-reader', ['secretsmanager:GetSecretValue', 'ssm:GetParameter', 'kms:Decrypt']);
    stranger = await world.user('lkp-stranger', ['ec2:DescribeInstances']);
    const secrets = new SecretsManagerClient(world.client());
    await secrets.send(new CreateSecretCommand({ Name: 'lkp/host-ca', SecretString: current.privateText }));
    await secrets.send(new CreateSecretCommand({ Name: 'lkp/host-ca-next', SecretString: next.privateText }));
    const ssm = new SSMClient(world.client());
    await ssm.send(new PutParameterCommand({ Name: '/lkp/user-ca', Value: current.privateText, Type: 'SecureString' }));
    await ssm.send(new PutParameterCommand({ Name: '/lkp/user-ca-next', Value: next.privateText, Type: 'SecureString' }));
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  it('ok/Secrets Manager: every listed secret, in order', async () => {
    const keys = await as(reader, () => remoteCaKeys({ store: 'secretsmanager', secretIds: ['lkp/host-ca', 'lkp/host-ca-next'] }));
    expect(keys.texts).toEqual([current.privateText, next.privateText]);
    expect(keys.names).toEqual(['secretsmanager:lkp/host-ca', 'secretsmanager:lkp/host-ca-next']);
  });

  it('ok/SSM: SecureString parameters come back decrypted', async () => {
    const keys = await as(reader, () => remoteCaKeys({ store: 'ssm', names: ['/lkp/user-ca', '/lkp/user-ca-next'] }));
    expect(keys.texts).toEqual([current.privateText, next.privateText]);
    expect(keys.names).toEqual(['ssm:/lkp/user-ca', 'ssm:/lkp/user-ca-next']);
  });

  it('fail/a missing secret or parameter is CaKeyUnavailable naming it', async () => {
    const secret = await failure(reader, () => remoteCaKeys({ store: 'secretsmanager', secretIds: ['lkp/host-ca', 'lkp/no-such-secret'] }));
    expect(secret.code).toBe('CaKeyUnavailable');
    expect(secret.message).toContain('lkp/no-such-secret');
    const parameter = await failure(reader, () => remoteCaKeys({ store: 'ssm', names: ['/lkp/no-such-parameter'] }));
    expect(parameter.code).toBe('CaKeyUnavailable');
    expect(parameter.message).toContain('/lkp/no-such-parameter');
  });

  it('fail/a signer identity without read permission gets CaKeyUnavailable, and no key text anywhere', async () => {
    for (const store of [{ store: 'secretsmanager', secretIds: ['lkp/host-ca'] }, { store: 'ssm', names: ['/lkp/user-ca'] }] as const) {
      const error = await failure(stranger, () => remoteCaKeys(store));
      expect(error.code).toBe('CaKeyUnavailable');
      expect(error.message).toMatch(/AccessDenied|HTTP 403/);
      const everything = JSON.stringify([error.message, String(error.cause), (error.cause as Error | undefined)?.stack]);
      expect(everything).not.toContain('PRIVATE KEY');
    }
    expect(world.callsTo('secretsmanager').some((c) => c.action === 'GetSecretValue' && c.arn === stranger.arn)).toBe(true);
  });
});
