// Revocation records and the file store, from the administrator's side: strict parsing of
// what is stored, idempotent re-revocation, the `lkp signer revoke` / `revocations` CLI,
// and many revoking processes at once losing no entry.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { parseSignerConfig } from '../../src/signer/config.js';
import { lambdaConfigProblem } from '../../src/signer/lambda-config.js';
import { fileRevocationStore } from '../../src/signer/revocation-store.js';
import { addRevocation, krlParts, parseRevocation, parseRevocationFile, type Revocation } from '../../src/signer/revocation.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { makeCa } from '../helpers/ca.js';
import { lkp } from '../helpers/lkp.js';
import { makeLocalCa } from '../helpers/local-ca.js';
import { genKey, tempDir } from '../helpers/openssh.js';

const at = '2026-12-01T08:00:00.000Z';
const meta = { reason: 'laptop stolen', revokedAt: at, revokedBy: 'root@admin' };
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof LkpError ? error.code : 'not an LkpError';
  }
};

describe('revocation records', () => {
  it('ok/parse each kind and write it back the same', () => {
    const serial = parseRevocation({ kind: 'serial', ca: 'user', serial: '18446744073709551615', ...meta }, 'r');
    expect(serial).toMatchObject({ kind: 'serial', ca: 'user', serial: 18446744073709551615n });
    const keyId = parseRevocation({ kind: 'key-id', ca: 'host', keyId: 'lkp host host=i-0123 req=1', ...meta }, 'r');
    expect(keyId).toMatchObject({ kind: 'key-id', keyId: 'lkp host host=i-0123 req=1' });
    const key = parseRevocation({ kind: 'key', fingerprint: 'SHA256:f3U5MB5XN3YlztGeipsXPS9U3EydO9JuYamKCi+ypVw', ...meta }, 'r');
    expect(key).toMatchObject({ kind: 'key' });
    const list = parseRevocationFile({ version: 1, revocations: [serial, keyId, key].map((r) => ({ ...r, ...('serial' in r ? { serial: r.serial.toString() } : {}) })) }, 'f');
    expect(list).toHaveLength(3);
  });

  it('fail/stored records are parsed strictly: unknown fields, serial 0 or 2^64, a fingerprint that is not 32 bytes, a missing CA, a bad time are ConfigInvalid', () => {
    const bad: unknown[] = [
      { kind: 'serial', ca: 'user', serial: '1', extra: 1, ...meta },
      { kind: 'serial', ca: 'user', serial: '0', ...meta },
      { kind: 'serial', ca: 'user', serial: '18446744073709551616', ...meta },
      { kind: 'serial', ca: 'user', serial: '-1', ...meta },
      { kind: 'serial', serial: '5', ...meta },
      { kind: 'serial', ca: 'root', serial: '5', ...meta },
      { kind: 'key', ca: 'user', fingerprint: 'SHA256:f3U5MB5XN3YlztGeipsXPS9U3EydO9JuYamKCi+ypVw', ...meta },
      { kind: 'key', fingerprint: 'SHA256:f3U5MB5XN3YlztGeipsXPS9U3EydO9JuYamKCi+ypV', ...meta },
      { kind: 'key', fingerprint: 'MD5:aa:bb', ...meta },
      { kind: 'key-id', ca: 'user', keyId: 'has "quote"', ...meta },
      { kind: 'serial', ca: 'user', serial: '5', ...meta, revokedAt: 'yesterday' },
      { kind: 'serial', ca: 'user', serial: '5', ...meta, reason: 'two\nlines' },
      { kind: 'certificate', ca: 'user', serial: '5', ...meta },
      'serial 5',
    ];
    for (const doc of bad) expect(code(() => parseRevocation(doc, 'r')), JSON.stringify(doc)).toBe('ConfigInvalid');
    expect(code(() => parseRevocationFile({ version: 2, revocations: [] }, 'f'))).toBe('ConfigInvalid');
  });

  it('ok/re-revoking the same thing is idempotent: the first record stands; the same serial under the other CA is another revocation', () => {
    const first: Revocation = { kind: 'serial', ca: 'user', serial: 7n, ...meta };
    const again: Revocation = { ...first, reason: 'again', revokedAt: '2026-12-02T00:00:00.000Z' };
    const a = addRevocation([], first);
    const b = addRevocation(a.list, again);
    expect(b).toMatchObject({ added: false, revocation: { reason: 'laptop stolen' } });
    expect(b.list).toHaveLength(1);
    expect(addRevocation(b.list, { ...first, ca: 'host' }).added).toBe(true);
  });

  it('ok/KRL parts: serials and key IDs go under every published key of their CA role, fingerprints once', () => {
    const [u1, u2, h1] = [makeCa(), makeCa(), makeCa()].map((c) => parsePublicKey(c.publicLine));
    const parts = krlParts(
      [
        { kind: 'serial', ca: 'user', serial: 9n, ...meta },
        { kind: 'serial', ca: 'user', serial: 3n, ...meta },
        { kind: 'key-id', ca: 'user', keyId: 'k', ...meta },
        { kind: 'key', fingerprint: 'SHA256:f3U5MB5XN3YlztGeipsXPS9U3EydO9JuYamKCi+ypVw', ...meta },
      ],
      { user: [u1!, u2!], host: [h1!] },
    );
    expect(parts.certificates.map((c) => c.caKey)).toEqual([u1, u2]);
    expect(parts.certificates[0]).toMatchObject({ serials: [3n, 9n], keyIds: ['k'] });
    expect(parts.sha256Fingerprints.map((f) => f.length)).toEqual([32]);
  });
});

describe('the revocations config section', () => {
  const base = { version: 1, serverId: 's', hostCa: { store: 'file', paths: ['h'] }, userCa: { store: 'file', paths: ['u'] }, rules: [] };
  it('ok/a file beside the config or a DynamoDB table; only the table runs in Lambda', () => {
    const file = parseSignerConfig({ ...base, revocations: { store: 'file', file: 'revocations.json' } }, '/etc/lkp/signer.json');
    expect(file.revocations).toEqual({ store: 'file', file: '/etc/lkp/revocations.json' });
    expect(lambdaConfigProblem(file)).toMatch(/dynamodb/);
    const table = parseSignerConfig({ ...base, revocations: { store: 'dynamodb', table: 'lkp-revocations', region: 'eu-west-1' } }, 'x.json');
    expect(table.revocations).toEqual({ store: 'dynamodb', table: 'lkp-revocations', region: 'eu-west-1' });
    expect(lambdaConfigProblem(table)).toBeUndefined();
  });

  it('fail/unknown fields, a table field on a file store, a bad table name are ConfigInvalid', () => {
    for (const revocations of [{ store: 'file', file: 'r.json', table: 't' }, { store: 'dynamodb', table: 'a b' }, { store: 's3', file: 'x' }, { store: 'file' }, 'revocations.json']) {
      expect(code(() => parseSignerConfig({ ...base, revocations }, 'x.json')), JSON.stringify(revocations)).toBe('ConfigInvalid');
    }
  });
});

describe('the file store', () => {
  it('ok/a missing file is an empty list; concurrent adds in one process all land, with no lock or temp file left', async () => {
    const dir = tempDir('lkp-revoke-');
    const store = fileRevocationStore(path.join(dir, 'revocations.json'));
    expect(await store.list()).toEqual([]);
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => store.add({ kind: 'serial', ca: 'user', serial: BigInt(i + 1), ...meta })));
    expect(results.every((r) => r.added)).toBe(true);
    expect((await store.list()).length).toBe(25);
    expect(readdirSync(dir)).toEqual(['revocations.json']);
  });

  it('fail/a broken revocations file is an error, never an empty list (which would restore every revoked key)', async () => {
    const dir = tempDir('lkp-revoke-');
    const file = path.join(dir, 'revocations.json');
    writeFileSync(file, '{"version":1,"revocations":[{"kind":"serial"');
    await expect(fileRevocationStore(file).list()).rejects.toMatchObject({ code: 'ConfigInvalid' });
    // ...and a revocation does not overwrite it with a list that lost the entries.
    await expect(fileRevocationStore(file).add({ kind: 'serial', ca: 'user', serial: 1n, ...meta })).rejects.toMatchObject({ code: 'ConfigInvalid' });
    expect(readFileSync(file, 'utf8')).toBe('{"version":1,"revocations":[{"kind":"serial"');
  });

  it('ok/a lock left by a killed writer is broken', async () => {
    const dir = tempDir('lkp-revoke-');
    const file = path.join(dir, 'revocations.json');
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '0']);
      child.on('exit', () => resolve(child.pid as number));
    });
    writeFileSync(`${file}.lock`, `${dead}\n`);
    expect((await fileRevocationStore(file).add({ kind: 'serial', ca: 'host', serial: 5n, ...meta })).added).toBe(true);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('lkp signer revoke / revocations', () => {
  it('ok/twelve revoking processes at once: every entry lands, the file stays valid JSON', async () => {
    const ca = await makeLocalCa();
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => lkp(['signer', 'revoke', '--config', ca.config, '--serial', String(1000 + i), '--ca', i % 2 ? 'user' : 'host', '--reason', `batch ${i}`, '--json'])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const listed = await lkp(['signer', 'revocations', '--config', ca.config, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const doc = JSON.parse(listed.stdout) as { revocations: Array<{ serial: string; ca: string; revokedBy: string }> };
    expect(doc.revocations.map((r) => r.serial).sort()).toEqual(Array.from({ length: 12 }, (_, i) => String(1000 + i)));
    expect(doc.revocations[0]?.revokedBy).toMatch(/@/);
    expect(readdirSync(ca.dir).filter((f) => f.includes('revocations'))).toEqual(['revocations.json']);
  });

  it('ok/revoke by key file and by fingerprint; the same key again answers added: false with the first record', async () => {
    const ca = await makeLocalCa();
    const key = await genKey(tempDir(), 'alice');
    const fp = (await new Promise<string>((resolve) => {
      const c = spawn('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key}.pub`]);
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => resolve(out));
    })).split(' ')[1] as string;
    const byFile = await lkp(['signer', 'revoke', '--config', ca.config, '--key', `${key}.pub`, '--reason', 'offboarded', '--json']);
    expect(byFile.code, byFile.stderr).toBe(0);
    expect(JSON.parse(byFile.stdout)).toMatchObject({ added: true, revocation: { kind: 'key', fingerprint: fp, reason: 'offboarded' } });
    const byPrint = await lkp(['signer', 'revoke', '--config', ca.config, '--fingerprint', fp, '--reason', 'again', '--json']);
    expect(byPrint.code, byPrint.stderr).toBe(0);
    expect(JSON.parse(byPrint.stdout)).toMatchObject({ added: false, revocation: { fingerprint: fp, reason: 'offboarded' } });
    const text = await lkp(['signer', 'revocations', '--config', ca.config]);
    expect(text.stdout).toContain(fp);
  });

  it('fail/usage mistakes are UsageError (21) and write nothing; a certificate file given as --key is KeyInvalid (22)', async () => {
    const ca = await makeLocalCa();
    const cases: string[][] = [
      ['--serial', '5', '--reason', 'x'], // no --ca
      ['--serial', '5', '--ca', 'user'], // no --reason
      ['--serial', '0', '--ca', 'user', '--reason', 'x'],
      ['--serial', '12ab', '--ca', 'user', '--reason', 'x'],
      ['--serial', '5', '--key-id', 'k', '--ca', 'user', '--reason', 'x'],
      ['--fingerprint', 'SHA256:short', '--reason', 'x'],
      ['--fingerprint', 'SHA256:f3U5MB5XN3YlztGeipsXPS9U3EydO9JuYamKCi+ypVw', '--ca', 'user', '--reason', 'x'],
      ['--key-id', 'a"b', '--ca', 'host', '--reason', 'x'],
      ['--serial', '5', '--ca', 'root', '--reason', 'x'],
      ['--reason', 'x'],
      ['--serial', '5', '--ca', 'user', '--reason', ' '],
    ];
    for (const args of cases) {
      const r = await lkp(['signer', 'revoke', '--config', ca.config, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(21);
      expect(r.stderr).toMatch(/^lkp: UsageError: /);
    }
    const cert = path.join(ca.dir, 'some-cert.pub');
    writeFileSync(cert, 'ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t\n');
    expect((await lkp(['signer', 'revoke', '--config', ca.config, '--key', cert, '--reason', 'x'])).code).toBe(22);
    expect(existsSync(path.join(ca.dir, 'revocations.json'))).toBe(false);
  });

  it('fail/a config without a revocations section is ConfigInvalid (20) naming what to add; a broken file is ConfigInvalid too', async () => {
    const ca = await makeLocalCa();
    const doc = JSON.parse(readFileSync(ca.config, 'utf8')) as Record<string, unknown>;
    delete doc.revocations;
    const bare = path.join(ca.dir, 'bare.json');
    writeFileSync(bare, JSON.stringify(doc));
    const r = await lkp(['signer', 'revoke', '--config', bare, '--serial', '5', '--ca', 'user', '--reason', 'x']);
    expect(r.code).toBe(20);
    expect(r.stderr).toContain('"revocations"');
    writeFileSync(path.join(ca.dir, 'revocations.json'), 'not json');
    expect((await lkp(['signer', 'revocations', '--config', ca.config])).code).toBe(20);
  });
});
