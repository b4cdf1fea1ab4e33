// The KRL writer against the real peer: every KRL must load in `ssh-keygen -Q -l`, and
// `ssh-keygen -Q -f KRL CERT...` must call each probe revoked or fine exactly as intended.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { encodeKrl, krlHeader, type KrlInput } from '../../src/ssh/krl.js';
import { parseKeyId } from '../../src/ssh/names.js';
import { encodePublicKeyBlob, parsePublicKey, type PublicKey } from '../../src/ssh/public-key.js';
import { makeCa, signCert, type TestCa } from '../helpers/ca.js';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';

const sha256 = (key: PublicKey): Buffer => createHash('sha256').update(encodePublicKeyBlob(key)).digest();

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof LkpError ? error.code : `not an LkpError: ${String(error)}`;
  }
  return undefined;
};

/** `ssh-keygen -Q -f KRL files...` as a map file -> revoked? (one process for many probes). */
const queryKrl = async (krlFile: string, files: readonly string[]): Promise<Map<string, boolean>> => {
  const r = await execa('ssh-keygen', ['-Q', '-f', krlFile, ...files], { reject: false });
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`ssh-keygen -Q failed: ${r.stderr}`);
  const out = new Map<string, boolean>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const m = /^(\S+) .*: (REVOKED|ok)$/.exec(line);
    if (!m) throw new Error(`unexpected ssh-keygen -Q line: ${line}`);
    out.set(m[1] as string, m[2] === 'REVOKED');
  }
  expect(out.size, r.stderr).toBe(files.length);
  return out;
};

/** `ssh-keygen -Q -l -f KRL` must load and list it. */
const listKrl = async (krlFile: string): Promise<string> => {
  const r = await execa('ssh-keygen', ['-Q', '-l', '-f', krlFile], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
};

describe('KRL writer', () => {
  const dir = tempDir('lkp-krl-');
  let caA: TestCa;
  let caB: TestCa;
  let subject: string;
  let plain: string;
  let plainKey: PublicKey;

  beforeAll(async () => {
    caA = makeCa('ed25519');
    caB = makeCa('ecdsa-p256');
    subject = readPub(await genKey(dir, 'subject'));
    plain = path.join(dir, 'plain');
    await genKey(dir, 'plain');
    plainKey = parsePublicKey(readPub(plain));
  });

  let probeCount = 0;
  /** Writes a certificate signed by `ca` and returns its file name. */
  const certFile = async (ca: TestCa, serial: bigint, keyId: string, key = subject): Promise<string> => {
    probeCount += 1;
    const file = path.join(dir, `p${probeCount}-cert.pub`);
    writeFileSync(file, `${await signCert(ca, key, { serial, keyId: parseKeyId(keyId) })}\n`);
    return file;
  };
  const writeKrl = (input: KrlInput): string => {
    const file = path.join(dir, `krl${(probeCount += 1)}`);
    writeFileSync(file, encodeKrl(input));
    return file;
  };

  it('ok/serials, a range, key IDs and fingerprints: ssh-keygen lists the KRL and revokes exactly those', async () => {
    const krl = writeKrl({
      version: 7n,
      generatedAt: 1_700_000_000,
      comment: 'lkp test',
      certificates: [{ caKey: parsePublicKey(caA.publicLine), serials: [5n, [100n, 200n], 1000n, 1002n], keyIds: ['gone'] }],
      sha256Fingerprints: [sha256(plainKey)],
    });
    const listing = await listKrl(krl);
    expect(listing).toContain('# KRL version 7');
    expect(listing).toContain('serial: 100-200');
    expect(listing).toContain('id: gone');
    const probes: Array<[string, boolean]> = [
      [await certFile(caA, 5n, 'a'), true],
      [await certFile(caA, 4n, 'a'), false],
      [await certFile(caA, 6n, 'a'), false],
      [await certFile(caA, 99n, 'a'), false],
      [await certFile(caA, 100n, 'a'), true],
      [await certFile(caA, 150n, 'a'), true],
      [await certFile(caA, 200n, 'a'), true],
      [await certFile(caA, 201n, 'a'), false],
      [await certFile(caA, 1001n, 'a'), false],
      [await certFile(caA, 1002n, 'a'), true],
      [await certFile(caA, 7n, 'gone'), true],
      // Another CA's certificate with a revoked serial or key ID is not revoked.
      [await certFile(caB, 5n, 'gone'), false],
      // A certificate for a revoked key is revoked whatever its serial.
      [await certFile(caA, 9n, 'a', readPub(plain)), true],
      [`${plain}.pub`, true],
      [path.join(dir, 'subject.pub'), false],
    ];
    const answers = await queryKrl(krl, probes.map(([f]) => f));
    for (const [file, revoked] of probes) expect(answers.get(file), file).toBe(revoked);
  });

  it('ok/a section with no CA key revokes a key ID under every CA', async () => {
    const krl = writeKrl({ version: 1n, generatedAt: 1, certificates: [{ caKey: null, serials: [], keyIds: ['everywhere'] }], sha256Fingerprints: [] });
    expect(await listKrl(krl)).toContain('Wildcard CA');
    const probes: Array<[string, boolean]> = [
      [await certFile(caA, 3n, 'everywhere'), true],
      [await certFile(caB, 3n, 'everywhere'), true],
      [await certFile(caB, 3n, 'elsewhere'), false],
    ];
    const answers = await queryKrl(krl, probes.map(([f]) => f));
    for (const [file, revoked] of probes) expect(answers.get(file), file).toBe(revoked);
  });

  it('ok/the same revocations in any order and split across sections give the same bytes', () => {
    const caKey = parsePublicKey(caA.publicLine);
    const base = { version: 3n, generatedAt: 10, sha256Fingerprints: [] as Buffer[] };
    const a = encodeKrl({ ...base, certificates: [{ caKey, serials: [9n, [1n, 4n], 6n], keyIds: ['y', 'x'] }] });
    const b = encodeKrl({
      ...base,
      certificates: [
        { caKey, serials: [6n, [2n, 4n], 9n, 1n], keyIds: ['x'] },
        { caKey, serials: [[3n, 3n]], keyIds: ['y', 'x'] },
      ],
    });
    expect(b.equals(a)).toBe(true);
  });

  it('ok/krlHeader reads back the version, the generation time and the comment', () => {
    const krl = encodeKrl({ version: 1_764_000_000n, generatedAt: 1_764_000_001, comment: 'signer s-1', certificates: [], sha256Fingerprints: [sha256(plainKey)] });
    expect(krlHeader(krl)).toEqual({ version: 1_764_000_000n, generatedAt: 1_764_000_001, comment: 'signer s-1' });
  });

  it('ok/krlHeader accepts a KRL ssh-keygen wrote', async () => {
    const spec = path.join(dir, 'spec');
    writeFileSync(spec, 'serial: 1-10\nid: someone\n');
    const caFile = path.join(dir, 'caA.pub');
    writeFileSync(caFile, `${caA.publicLine}\n`);
    const out = path.join(dir, 'theirs.krl');
    await execa('ssh-keygen', ['-k', '-f', out, '-z', '42', '-s', caFile, spec]);
    expect(krlHeader(readFileSync(out)).version).toBe(42n);
  });

  it('bad/krlHeader refuses a foreign, truncated or signed file (KeyInvalid)', () => {
    const good = encodeKrl({ version: 1n, generatedAt: 1, certificates: [{ caKey: parsePublicKey(caA.publicLine), serials: [[1n, 1000n]], keyIds: ['k'] }], sha256Fingerprints: [sha256(plainKey)] });
    expect(codeOf(() => krlHeader(Buffer.from('not a krl')))).toBe('KeyInvalid');
    expect(codeOf(() => krlHeader(Buffer.alloc(0)))).toBe('KeyInvalid');
    for (let cut = 1; cut < good.length; cut += 7) expect(codeOf(() => krlHeader(good.subarray(0, good.length - cut))), `cut ${cut}`).toBe('KeyInvalid');
    // A signature section (type 4), as older ssh-keygen -k -s would write: OpenSSH 9.4+ refuses it.
    const signed = Buffer.concat([good, Buffer.from([4, 0, 0, 0, 0, 0, 0, 0, 0])]);
    expect(codeOf(() => krlHeader(signed))).toBe('KeyInvalid');
    const wrongFormat = Buffer.from(good);
    wrongFormat.writeUInt32BE(2, 8);
    expect(codeOf(() => krlHeader(wrongFormat))).toBe('KeyInvalid');
  });

  it('bad/encodeKrl refuses what OpenSSH could not load: serial 0, reversed or oversized ranges, NUL in a key ID, a short digest (KeyInvalid)', () => {
    const caKey = parsePublicKey(caA.publicLine);
    const input = (over: Partial<KrlInput['certificates'][number]>, digests: Buffer[] = []): KrlInput => ({
      version: 1n,
      generatedAt: 1,
      certificates: [{ caKey, serials: [], keyIds: [], ...over }],
      sha256Fingerprints: digests,
    });
    expect(codeOf(() => encodeKrl(input({ serials: [0n] })))).toBe('KeyInvalid');
    expect(codeOf(() => encodeKrl(input({ serials: [[0n, 5n]] })))).toBe('KeyInvalid');
    expect(codeOf(() => encodeKrl(input({ serials: [[6n, 5n]] })))).toBe('KeyInvalid');
    expect(codeOf(() => encodeKrl(input({ serials: [2n ** 64n] })))).toBe('KeyInvalid');
    expect(codeOf(() => encodeKrl(input({ keyIds: ['a\0b'] })))).toBe('KeyInvalid');
    expect(codeOf(() => encodeKrl(input({}, [Buffer.alloc(31)])))).toBe('KeyInvalid');
    expect(codeOf(() => encodeKrl({ ...input({}), version: -1n }))).toBe('KeyInvalid');
    expect(codeOf(() => encodeKrl({ ...input({}), generatedAt: 1.5 }))).toBe('KeyInvalid');
  });
});
