// Revocations under a CA key that `lkp ca rotate retire` took out of ca-keys (review finding
// 8): hosts keep trusting that key until their next renewal, so the signer's KRL must keep
// listing revoked serials under it for one step-wait after retire, and then drop it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaKeys } from '../../src/signer/ca-store/types.js';
import { krlKeysAt } from '../../src/signer/krl-source.js';
import { makeCa } from '../helpers/ca.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { lkp, startLocalSigner } from '../helpers/lkp.js';
import { makeLocalCa } from '../helpers/local-ca.js';
import { genKey, tempDir } from '../helpers/openssh.js';

const verdict = (krl: string, file: string): 'ok' | 'REVOKED' => {
  const r = spawnSync('ssh-keygen', ['-Q', '-f', krl, file], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.includes(': ok')) return 'ok';
  if (r.status === 1 && r.stdout.includes(': REVOKED')) return 'REVOKED';
  throw new Error(`ssh-keygen -Q: ${r.status} ${r.stdout} ${r.stderr}`);
};

describe('the KRL after a CA rotation', () => {
  it('ok/a serial revoked under the retired user CA key stays revoked in the KRL after retire; another serial of that key stays fine', async () => {
    const ca = await makeLocalCa();
    const dir = tempDir('lkp-krl-retired-');
    // Certificates from the current user CA key, which the rotation below retires.
    const certs: Record<string, string> = {};
    for (const serial of ['4242', '4243']) {
      const key = await genKey(dir, `alice${serial}`);
      const r = spawnSync('ssh-keygen', ['-q', '-s', path.join(ca.dir, 'user_ca'), '-I', `alice-${serial}`, '-n', 'alice', '-z', serial, '-V', '+1h', `${key}.pub`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      certs[serial] = `${key}-cert.pub`;
    }
    for (const step of ['add-next', 'promote', 'retire']) {
      const r = await lkp(['ca', 'rotate', step, '--config', ca.config, '--ca', 'user', ...(step === 'add-next' ? [] : ['--force'])]);
      expect(r.code, r.stderr).toBe(0);
    }
    const userCa = (JSON.parse(readFileSync(ca.config, 'utf8')) as { userCa: { paths: string[]; retired?: Array<{ publicKey: string }> } }).userCa;
    expect(userCa.paths).toHaveLength(1);
    expect(userCa.retired?.map((r) => r.publicKey.split(' ')[1])).toEqual([readFileSync(path.join(ca.dir, 'user_ca.pub'), 'utf8').split(' ')[1]]);

    expect((await lkp(['signer', 'revoke', '--config', ca.config, '--serial', '4242', '--ca', 'user', '--reason', 'laptop stolen'])).code).toBe(0);
    const signer = await startLocalSigner(ca.config);
    const { body } = await invokeJson(lambdaClient(signer.url), { version: 1, action: 'krl' });
    expect(typeof body.krl, JSON.stringify(body)).toBe('string');
    const krl = path.join(dir, 'krl');
    writeFileSync(krl, Buffer.from(body.krl as string, 'base64'));
    expect(verdict(krl, certs['4242'] as string)).toBe('REVOKED');
    expect(verdict(krl, certs['4243'] as string)).toBe('ok');
    await signer.stop();
  });

  it('ok/a retired key is listed until its krlUntil, then no more; a key published again is listed once', () => {
    const [host, user, old] = [makeCa(), makeCa(), makeCa()];
    const keys: CaKeys = { host: { signer: host.signer, publicLines: [host.publicLine] }, user: { signer: user.signer, publicLines: [user.publicLine] } };
    const retired = { host: [], user: [{ publicKey: old.publicLine, until: 2_000 }, { publicKey: user.publicLine, until: 2_000 }] };
    expect(krlKeysAt(keys, retired, 1_999).user).toEqual([user.publicLine, old.publicLine]);
    expect(krlKeysAt(keys, retired, 2_000).user).toEqual([user.publicLine]);
    expect(krlKeysAt(keys, retired, 1_999).host).toEqual([host.publicLine]);
  });
});
