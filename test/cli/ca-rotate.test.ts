// `lkp ca rotate` on a `lkp signer serve` config, from the admin's side: the edit is atomic,
// validated before it replaces anything, and the previous config is kept beside it.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateOpenSshKey } from '../../src/ssh/generate-key.js';
import { makeLocalCa } from '../helpers/local-ca.js';
import { lkp } from '../helpers/lkp.js';

const CA_KEY_UNAVAILABLE = 23;
const USAGE_ERROR = 21;

describe('lkp ca rotate on a config file', () => {
  it('ok/add-next generates a 0600 key of the current kind beside the config and keeps the previous config as a backup', async () => {
    const ca = await makeLocalCa();
    const before = readFileSync(ca.config, 'utf8');
    const r = await lkp(['ca', 'rotate', 'add-next', '--config', ca.config, '--ca', 'host', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${ca.config}.lkp-backup`, 'utf8')).toBe(before);
    const next = (JSON.parse(r.stdout) as { keys: Array<{ ref: string; role: string; publicKey: string }> }).keys.find((k) => k.role === 'next');
    expect(path.dirname(next?.ref ?? '')).toBe(ca.dir);
    expect(statSync(next?.ref ?? '').mode & 0o777).toBe(0o600);
    expect(next?.publicKey.startsWith('ssh-ed25519 ')).toBe(true);
    // Stored relative to the config, as lkp ca init writes paths.
    expect((JSON.parse(readFileSync(ca.config, 'utf8')) as { hostCa: { paths: string[] } }).hostCa.paths).toEqual(['host_ca', path.basename(next?.ref ?? '')]);
  });

  it('fail/a next key the signer could not load (readable by others) or a step out of order changes nothing', async () => {
    const ca = await makeLocalCa();
    const before = readFileSync(ca.config, 'utf8');
    const loose = path.join(ca.dir, 'loose_key');
    writeFileSync(loose, generateOpenSshKey('ed25519', 'loose').privateText);
    chmodSync(loose, 0o644);
    const r = await lkp(['ca', 'rotate', 'add-next', '--config', ca.config, '--ca', 'user', '--key', loose]);
    expect(r.code).toBe(CA_KEY_UNAVAILABLE);
    expect((await lkp(['ca', 'rotate', 'retire', '--config', ca.config, '--ca', 'user'])).code).toBe(USAGE_ERROR);
    expect(readFileSync(ca.config, 'utf8')).toBe(before);
    const status = await lkp(['ca', 'rotate', 'status', '--config', ca.config, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ hostCa: { phase: 'steady' }, userCa: { phase: 'steady' } });
  });
});
