// `lkp ca show` prints what operators pin, for every CA store: the fingerprints must be the
// ones ssh-keygen computes, for file keys and for KMS, Secrets Manager and SSM stores
// (moto, IAM enforced), and the config may itself come from an SSM parameter.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkKmsApi } from '../../src/aws/kms.js';
import { kmsCaKeySet } from '../../src/signer/ca-store/kms.js';
import { generateOpenSshKey } from '../../src/ssh/generate-key.js';
import { lkp } from '../helpers/lkp.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { tempDir } from '../helpers/temp.js';

const keygenFingerprint = (publicLine: string, dir: string): string => {
  const file = path.join(dir, `k${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(file, `${publicLine}\n`);
  return execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' }).split(' ')[1] as string;
};

interface Report {
  serverId: string;
  hostCa: { store: string; keys: Array<{ publicKey: string; fingerprint: string; signing: boolean }> };
  userCa: { store: string; keys: Array<{ publicKey: string; fingerprint: string; signing: boolean }> };
}

describe('lkp ca show', () => {
  let moto: Moto;
  const dir = tempDir('lkp-ca-show-');

  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => moto?.close());

  it('ok/file store: the fingerprints are ssh-keygen\'s; the signing key is marked; JSON and text agree', async () => {
    const ca = path.join(dir, 'ca');
    expect((await lkp(['ca', 'init', '--dir', ca])).code).toBe(0);
    const json = await lkp(['ca', 'show', '--config', path.join(ca, 'signer.json'), '--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as Report;
    const userPub = readFileSync(path.join(ca, 'user_ca.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    expect(report.userCa.keys).toEqual([{ publicKey: userPub, fingerprint: keygenFingerprint(userPub, dir), signing: true }]);
    const text = await lkp(['ca', 'show', '--config', path.join(ca, 'signer.json')]);
    expect(text.stdout).toContain(`--user-ca-fingerprint ${report.userCa.keys[0]?.fingerprint}`);
    expect(text.stdout).toContain(`@cert-authority * ${report.hostCa.keys[0]?.publicKey}`);
    expect(text.stdout).not.toMatch(/PRIVATE/);
  });

  it('ok/KMS host CA, Secrets Manager user CA (two keys, rotation), config from an SSM parameter', async () => {
    const kms = new KMSClient(moto.client());
    const key = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' }));
    const sm = new SecretsManagerClient(moto.client());
    const current = generateOpenSshKey('ed25519', 'user ca');
    const next = generateOpenSshKey('ecdsa-p256', 'user ca next');
    await sm.send(new CreateSecretCommand({ Name: 'lkp/user-ca', SecretString: current.privateText }));
    await sm.send(new CreateSecretCommand({ Name: 'lkp/user-ca-next', SecretString: next.privateText }));
    const config = {
      version: 1,
      serverId: 'lkp-prod',
      hostCa: { store: 'kms', keyIds: [key.KeyMetadata?.Arn] },
      userCa: { store: 'secretsmanager', secretIds: ['lkp/user-ca', 'lkp/user-ca-next'] },
      rules: [],
    };
    await new SSMClient(moto.client()).send(new PutParameterCommand({ Name: '/lkp/signer-config', Type: 'String', Value: JSON.stringify(config) }));
    const r = await lkp(['ca', 'show', '--ssm-parameter', '/lkp/signer-config', '--json'], { env: moto.env() });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.serverId).toBe('lkp-prod');
    Object.assign(process.env, moto.env());
    const kmsLine = (await kmsCaKeySet(await sdkKmsApi('us-east-1'), [key.KeyMetadata?.Arn ?? ''])).publicLines[0] as string;
    expect(report.hostCa.keys).toEqual([{ publicKey: kmsLine, fingerprint: keygenFingerprint(kmsLine, dir), signing: true }]);
    expect(report.hostCa.store).toContain('kms');
    const pub = (text: string) => text.split(' ').slice(0, 2).join(' ');
    expect(report.userCa.keys.map((k) => k.publicKey)).toEqual([pub(current.publicLine), pub(next.publicLine)]);
    expect(report.userCa.keys.map((k) => k.signing)).toEqual([true, false]);
    expect(report.userCa.keys[1]?.fingerprint).toBe(keygenFingerprint(next.publicLine, dir));
    expect(r.stdout).not.toMatch(/PRIVATE|BEGIN OPENSSH/);
  });

  it('fail/no config given is a UsageError; an unreadable store is CaKeyUnavailable naming it', async () => {
    expect((await lkp(['ca', 'show'])).code).toBe(21);
    const file = path.join(dir, 'missing-key.json');
    writeFileSync(file, JSON.stringify({ version: 1, serverId: 's', hostCa: { store: 'file', paths: ['nope'] }, userCa: { store: 'file', paths: ['nope'] }, rules: [] }));
    const r = await lkp(['ca', 'show', '--config', file]);
    expect(r.code).toBe(23);
    expect(r.stderr).toContain(path.join(dir, 'nope'));
  });
});
