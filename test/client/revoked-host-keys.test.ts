// The laptop's KRL copy on a cache miss: the signer's list is installed through the checked
// path, and when it is the very list already installed (the usual case) only its time is
// renewed, with no second ssh-keygen run; a changed list is checked again.
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { emptyKrl } from '../../src/krl/check-krl.js';
import { encodeKrl, krlHeader } from '../../src/ssh/krl.js';
import { krlIsFresh, refreshRevokedHostKeys } from '../../src/client/revoked-host-keys.js';
import { tempDir } from '../helpers/temp.js';

const krl = (version: bigint): Buffer => encodeKrl({ version, generatedAt: 1_700_000_000, certificates: [], sha256Fingerprints: [Buffer.alloc(32, Number(version))] });
const fetched = (bytes: Buffer) => async () => ({ bytes, header: krlHeader(bytes), count: 1 });
const savedPath = process.env.PATH;

describe('laptop KRL refresh', () => {
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('ok/the same list again renews the copy\'s time without running ssh-keygen; a new list is checked by it', async () => {
    const file = path.join(tempDir('lkp-laptop-krl-'), 'revoked_keys.lkp');
    const warnings: string[] = [];
    await refreshRevokedHostKeys(file, fetched(krl(1n)), (l) => warnings.push(l));
    utimesSync(file, new Date(0), new Date(0));
    // No ssh-keygen to run from here on: only the unchanged list can go through.
    process.env.PATH = '/nonexistent';
    const now = new Date();
    await refreshRevokedHostKeys(file, fetched(krl(1n)), (l) => warnings.push(l), now);
    expect(Math.abs(statSync(file).mtimeMs - now.getTime())).toBeLessThan(1000);
    const changed = refreshRevokedHostKeys(file, fetched(krl(2n)), (l) => warnings.push(l), now);
    await expect(changed).rejects.toBeInstanceOf(LkpError);
    await expect(changed).rejects.toMatchObject({ code: 'FileSystem' });
    expect(warnings).toEqual([]);
  });

  it('fail/a copy that differs in one byte is not taken as the same list', async () => {
    const file = path.join(tempDir('lkp-laptop-krl-'), 'revoked_keys.lkp');
    const bytes = krl(3n);
    const damaged = Buffer.from(bytes);
    damaged.writeUInt8((damaged.at(-1) ?? 0) ^ 1, damaged.length - 1);
    writeFileSync(file, damaged);
    process.env.PATH = '/nonexistent';
    await expect(refreshRevokedHostKeys(file, fetched(bytes), () => undefined)).rejects.toMatchObject({ code: 'FileSystem' });
  });

  it('fail/a list older than the copy (a stale signer instance) is not installed: the copy and its age stay, with a SignerError warning; lkp\'s empty list never holds a newer one back', async () => {
    const file = path.join(tempDir('lkp-laptop-krl-'), 'revoked_keys.lkp');
    const dated = (generatedAt: number, fill: number): Buffer => encodeKrl({ version: BigInt(generatedAt), generatedAt, certificates: [], sha256Fingerprints: fill ? [Buffer.alloc(32, fill)] : [] });
    const now = new Date(1_700_010_000_000);
    const newer = dated(1_700_002_000, 5);
    const older = dated(1_700_001_000, 0);
    // lkp's own placeholder does not pin anything, even when dated later.
    writeFileSync(file, emptyKrl(new Date(1_700_003_000_000)));
    const warnings: string[] = [];
    await refreshRevokedHostKeys(file, fetched(newer), (l) => warnings.push(l), now);
    expect(readFileSync(file).equals(newer)).toBe(true);
    const old = new Date(1_700_000_000_000);
    utimesSync(file, old, old);
    await refreshRevokedHostKeys(file, fetched(older), (l) => warnings.push(l), now);
    expect(readFileSync(file).equals(newer)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(old.getTime());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/SignerError/);
    // A newer list than the copy goes in.
    await refreshRevokedHostKeys(file, fetched(dated(1_700_003_000, 6)), (l) => warnings.push(l), now);
    expect(readFileSync(file).equals(dated(1_700_003_000, 6))).toBe(true);
  });

  it('fail/a copy that cannot be refreshed and is older than the bound is RevocationListStale; the placeholder for "none known" is never fresh; --allow-stale-krl and a signer without the krl action only warn', async () => {
    const dir = tempDir('lkp-laptop-krl-');
    const unreachable = async (): Promise<never> => {
      throw new LkpError('SignerUnreachable', 'down');
    };
    const noAction = async (): Promise<never> => {
      throw new LkpError('BadRequest', 'unknown action krl');
    };
    const now = new Date(1_700_000_000_000);
    const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof LkpError ? e.code : String(e)));
    // No copy and the signer does not answer: an empty list goes there (ssh needs the file),
    // dated so that it is never fresh, and nothing-known is not taken as checked.
    const none = path.join(dir, 'revoked_keys.a');
    expect(await codeOf(refreshRevokedHostKeys(none, unreachable, () => undefined, now))).toBe('RevocationListStale');
    expect(statSync(none).mtimeMs).toBe(0);
    expect(await krlIsFresh(none, now.getTime())).toBe(false);
    // A signer without the krl action: nothing to enforce, a warning; still never fresh.
    const old = path.join(dir, 'revoked_keys.b');
    const warnings: string[] = [];
    expect(await codeOf(refreshRevokedHostKeys(old, noAction, (l) => warnings.push(l), now))).toBe('ok');
    expect(await krlIsFresh(old, now.getTime())).toBe(false);
    // A fetched copy: within the bound the last copy serves; past it, refused unless allowed or raised.
    const copy = path.join(dir, 'revoked_keys.c');
    await refreshRevokedHostKeys(copy, fetched(krl(7n)), () => undefined, now);
    const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);
    utimesSync(copy, hoursAgo(23), hoursAgo(23));
    expect(await codeOf(refreshRevokedHostKeys(copy, unreachable, (l) => warnings.push(l), now))).toBe('ok');
    utimesSync(copy, hoursAgo(25), hoursAgo(25));
    expect(await codeOf(refreshRevokedHostKeys(copy, unreachable, (l) => warnings.push(l), now))).toBe('RevocationListStale');
    expect(await codeOf(refreshRevokedHostKeys(copy, unreachable, (l) => warnings.push(l), now, { allowStale: true }))).toBe('ok');
    expect(await codeOf(refreshRevokedHostKeys(copy, unreachable, (l) => warnings.push(l), now, { maxAgeMs: 48 * 3600_000 }))).toBe('ok');
    expect(readFileSync(copy).equals(krl(7n))).toBe(true);
    expect(warnings).toHaveLength(4);
  });
});
