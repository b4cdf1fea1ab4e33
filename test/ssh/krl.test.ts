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

  it('ok/dense serials across more than 16,384 (OpenSSH\'s widest bitmap) still load, and revoke exactly those', async () => {
    // Every other serial from 1 to 40,001: bitmaps are cheapest, and one would be too wide.
    const serials: bigint[] = [];
    for (let n = 1n; n <= 40_001n; n += 2n) serials.push(n);
    const krl = writeKrl({ version: 1n, generatedAt: 1_700_000_000, certificates: [{ caKey: parsePublicKey(caA.publicLine), serials, keyIds: [] }], sha256Fingerprints: [] });
    await listKrl(krl);
    const probes: Array<[string, boolean]> = [];
    for (const n of [1n, 2n, 16_383n, 16_384n, 16_385n, 16_386n, 32_767n, 32_768n, 32_769n, 40_000n, 40_001n, 40_003n]) probes.push([await certFile(caA, n, 'dense'), n % 2n === 1n && n <= 40_001n]);
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

  // Fuzz: seeded random revocation sets (ranges of 100,000, dense clusters that become
  // bitmaps, sparse serials that become lists, key IDs, fingerprints) across two CAs and
  // the wildcard; probes inside, at the edges of and outside every piece. ssh-keygen -Q must
  // agree with the model on every probe, and ssh-keygen -k must write the same bytes.
  const FUZZ_CASES = 24;
  it(`ok/fuzz: ${FUZZ_CASES} seeded revocation sets, every probe agrees with ssh-keygen -Q and the bytes equal ssh-keygen -k's`, async () => {
    const pool = await Promise.all([0, 1, 2, 3, 4].map(async (i) => readPub(await genKey(dir, `pool${i}`))));
    const poolKeys = pool.map((line) => parsePublicKey(line));
    const cas = [caA, caB];
    const caKeys = cas.map((ca) => parsePublicKey(ca.publicLine));
    const MAX = 2n ** 64n - 1n;
    let probesChecked = 0;
    for (let seed = 1; seed <= FUZZ_CASES; seed += 1) {
      const rnd = prng(seed);
      const big = (bits: number): bigint => (BigInt(rnd.int(2 ** 26)) * 2n ** 26n + BigInt(rnd.int(2 ** 26))) % 2n ** BigInt(bits);
      // The model: per CA, the revoked serial pieces and key IDs.
      const perCa = cas.map(() => ({ pieces: [] as Array<[bigint, bigint]>, ids: [] as string[], windows: [] as Array<[bigint, bigint]> }));
      for (const m of perCa) {
        for (let k = rnd.int(3); k > 0; k -= 1) {
          const len = rnd.int(3) === 0 ? BigInt(1 + rnd.int(100_000)) : 100_000n;
          const where = rnd.int(6);
          const lo = where === 0 ? 1n : where === 1 ? MAX - len + 1n : 1n + big(where === 2 ? 20 : 48);
          m.pieces.push([lo, lo + len - 1n]);
          // Sometimes a piece touching or overlapping this one (coalescing).
          if (rnd.int(3) === 0) m.pieces.push([lo + len - BigInt(rnd.int(3)), lo + len + BigInt(rnd.int(50))].map((v) => (v > MAX ? MAX : v)) as [bigint, bigint]);
        }
        for (let k = rnd.int(3); k > 0; k -= 1) {
          const base = 1n + big(rnd.int(2) === 0 ? 16 : 40);
          const width = 64 + rnd.int(2000);
          const density = 0.05 + rnd.next() * 0.9;
          for (let o = 0; o < width; o += 1) if (rnd.next() < density) m.pieces.push([base + BigInt(o), base + BigInt(o)]);
          m.windows.push([base, base + BigInt(width)]);
        }
        for (let k = rnd.int(40); k > 0; k -= 1) {
          const s = 1n + big(rnd.int(2) === 0 ? 12 : 60);
          m.pieces.push([s, s]);
        }
        for (let k = rnd.int(4); k > 0; k -= 1) m.ids.push(`id-${seed}-${rnd.int(6)}`);
      }
      const wildIds = rnd.int(3) === 0 ? [`any-${rnd.int(4)}`] : [];
      const revokedKeys = poolKeys.filter(() => rnd.int(3) === 0);
      const revokedFps = new Set(revokedKeys.map((k) => sha256(k).toString('hex')));
      const input: KrlInput = {
        version: BigInt(seed),
        generatedAt: 1_700_000_000 + seed,
        certificates: [
          ...perCa.map((m, i) => ({ caKey: caKeys[i] as PublicKey, serials: m.pieces.map((p) => (p[0] === p[1] && rnd.int(2) === 0 ? p[0] : p)), keyIds: m.ids })),
          ...(wildIds.length > 0 ? [{ caKey: null, serials: [], keyIds: wildIds }] : []),
        ],
        sha256Fingerprints: revokedKeys.map(sha256),
      };
      const krl = writeKrl(input);
      await listKrl(krl);

      const revoked = (ca: number, serial: bigint, keyId: string, key: number): boolean => {
        const m = perCa[ca] as (typeof perCa)[number];
        return (
          m.pieces.some(([lo, hi]) => serial >= lo && serial <= hi) || m.ids.includes(keyId) || wildIds.includes(keyId) || revokedFps.has(sha256(poolKeys[key] as PublicKey).toString('hex'))
        );
      };
      const probes: Array<{ file: string; expected: boolean; what: string }> = [];
      const probe = async (ca: number, serial: bigint, keyId: string): Promise<void> => {
        if (serial < 0n || serial > MAX) return;
        const key = rnd.int(pool.length);
        probes.push({ file: await certFile(cas[ca] as TestCa, serial, keyId, pool[key]), expected: revoked(ca, serial, keyId, key), what: `seed ${seed} ca ${ca} serial ${serial} id ${keyId} key ${key}` });
      };
      for (let ca = 0; ca < cas.length; ca += 1) {
        const m = perCa[(ca + rnd.int(2)) % cas.length] as (typeof perCa)[number]; // sometimes the other CA's serials
        for (const [lo, hi] of m.pieces.filter(() => rnd.next() < 0.3).slice(0, 12)) {
          for (const s of [lo - 1n, lo, hi, hi + 1n, lo + (hi - lo) / 2n]) await probe(ca, s, 'plain');
        }
        for (const [lo, hi] of m.windows) for (let k = 0; k < 6; k += 1) await probe(ca, lo - 2n + BigInt(rnd.int(Number(hi - lo) + 4)), 'plain');
        for (let k = 0; k < 3; k += 1) await probe(ca, big(64), 'plain');
        for (const id of [...m.ids, ...wildIds, `id-${seed}-9`]) await probe(ca, big(64), id);
      }
      const answers = await queryKrl(krl, [...probes.map((p) => p.file), ...pool.map((_, i) => path.join(dir, `pool${i}.pub`))]);
      for (const p of probes) expect(answers.get(p.file), p.what).toBe(p.expected);
      pool.forEach((_, i) => expect(answers.get(path.join(dir, `pool${i}.pub`)), `seed ${seed} plain key ${i}`).toBe(revokedFps.has(sha256(poolKeys[i] as PublicKey).toString('hex'))));
      probesChecked += probes.length + pool.length;

      // ssh-keygen -k from the same revocations (9.2 cannot write the wildcard section).
      const theirs = path.join(dir, `theirs${seed}`);
      const order = caKeys.map((k, i) => ({ i, blob: encodePublicKeyBlob(k) })).sort((a, b) => Buffer.compare(a.blob, b.blob));
      let first = true;
      for (const { i } of order) {
        const m = perCa[i] as (typeof perCa)[number];
        const lines = [...m.pieces.map(([lo, hi]) => (lo === hi ? `serial: ${lo}` : `serial: ${lo}-${hi}`)), ...m.ids.map((id) => `id: ${id}`)];
        if (first) lines.push(...revokedKeys.map((k) => `hash: SHA256:${sha256(k).toString('base64').replace(/=+$/, '')}`));
        if (lines.length === 0) continue;
        const spec = path.join(dir, `spec${seed}-${i}`);
        writeFileSync(spec, `${lines.join('\n')}\n`);
        const caFile = path.join(dir, `ca${i}.pub`);
        writeFileSync(caFile, `${(cas[i] as TestCa).publicLine}\n`);
        await execa('ssh-keygen', ['-k', ...(first ? [] : ['-u']), '-f', theirs, '-z', String(seed), '-s', caFile, spec]);
        first = false;
      }
      if (!first) {
        const theirBytes = readFileSync(theirs);
        const mine = encodeKrl({ ...input, generatedAt: krlHeader(theirBytes).generatedAt, certificates: input.certificates.filter((c) => c.caKey !== null) });
        expect(mine.equals(theirBytes), `seed ${seed}: bytes differ from ssh-keygen -k`).toBe(true);
      }
    }
    expect(probesChecked).toBeGreaterThan(FUZZ_CASES * 20);
  });
});

/** mulberry32: a small seeded PRNG, so a failing case can be replayed by its seed. */
const prng = (seed: number): { next(): number; int(n: number): number } => {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
};
