// Bench section 8 (issue 11): the KRL for 100,000 revoked serials — a mix of long ranges,
// dense clusters (bitmaps) and sparse serials (lists) — written by lkp's encodeKrl, against
// ssh-keygen -k writing the same revocations from a spec file in the same run. Reports the
// size in bytes and the generation time; checks ssh-keygen loads lkp's KRL and agrees on it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BenchError, childEnv, fmtMs, fmtX, median, mustSucceed, shown, timedSpawn } from './lib.js';

const TOTAL = 100_000;
const RUNS = 9;

/** mulberry32, seeded: the same revocation set on every run. */
const prng = (seed) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** 100,000 serials: 40% in 4 ranges, 30% in dense clusters, 30% sparse over 2^62. */
const revocationSet = () => {
  const rnd = prng(8);
  const items = [];
  let count = 0;
  let base = 1_000_000n;
  for (let i = 0; i < 4; i += 1) {
    items.push([base, base + 9_999n]);
    count += 10_000;
    base += 1_000_000n;
  }
  while (count < 70_000) {
    // a cluster of 1,000 slots at ~60% density
    for (let o = 0; o < 1_000 && count < 70_000; o += 1) {
      if (rnd() < 0.6) {
        items.push(base + BigInt(o));
        count += 1;
      }
    }
    base += 100_000n;
  }
  const sparse = new Set();
  while (sparse.size < TOTAL - count) sparse.add(10n ** 12n + BigInt(Math.floor(rnd() * 2 ** 31)) * BigInt(Math.floor(rnd() * 2 ** 31) + 1));
  for (const s of sparse) items.push(s);
  return items;
};

/**
 * @param {{ dist: (rel: string) => Promise<any>, tmp: string, caPublicLine: string }} opts
 * @returns {Promise<Array<{ measurement: string, value: string, baseline: string, ratio: string, target: string, pass: boolean | undefined }>>}
 */
export async function krlBench({ dist, tmp, caPublicLine }) {
  const { encodeKrl } = await dist('ssh/krl.js');
  const { parsePublicKey } = await dist('ssh/public-key.js');
  const caKey = parsePublicKey(caPublicLine);
  const serials = revocationSet();
  const revoked = serials.reduce((n, s) => n + (typeof s === 'bigint' ? 1 : Number(s[1] - s[0]) + 1), 0);
  if (revoked !== TOTAL) throw new BenchError(`the revocation set holds ${revoked} serials, not ${TOTAL}`);
  const input = (generatedAt) => ({ version: 1n, generatedAt, certificates: [{ caKey, serials, keyIds: [] }], sha256Fingerprints: [] });

  // lkp: in-process, as the signer's krl action runs it (after a warm-up).
  for (let i = 0; i < 2; i += 1) encodeKrl(input(1));
  const lkpMs = [];
  let krl;
  for (let i = 0; i < RUNS; i += 1) {
    const t = performance.now();
    krl = encodeKrl(input(1));
    lkpMs.push(performance.now() - t);
  }

  // ssh-keygen -k from a spec file with the same revocations (a whole process per KRL).
  const caFile = path.join(tmp, 'krl-ca.pub');
  const spec = path.join(tmp, 'krl-spec');
  const theirs = path.join(tmp, 'krl-ssh-keygen');
  writeFileSync(caFile, `${caPublicLine}\n`);
  writeFileSync(spec, `${serials.map((s) => (typeof s === 'bigint' ? `serial: ${s}` : `serial: ${s[0]}-${s[1]}`)).join('\n')}\n`);
  const kgMs = [];
  for (let i = 0; i < 1 + Math.ceil(RUNS / 3); i += 1) {
    const run = mustSucceed(await timedSpawn('ssh-keygen', ['-k', '-f', theirs, '-z', '1', '-s', caFile, spec], { env: childEnv(), timeoutMs: 60_000 }), 'ssh-keygen -k');
    if (i > 0) kgMs.push(run.ms);
  }
  const theirBytes = readFileSync(theirs);

  // ssh-keygen must load lkp's KRL, and the two must be the same KRL (same date, same bytes).
  const mine = path.join(tmp, 'krl-lkp');
  writeFileSync(mine, krl);
  mustSucceed(await timedSpawn('ssh-keygen', ['-Q', '-l', '-f', mine], { env: childEnv() }), 'ssh-keygen -Q -l (lkp KRL)');
  const theirDate = Number(theirBytes.readBigUInt64BE(20));
  const same = encodeKrl(input(theirDate)).equals(theirBytes);

  const ms = median(lkpMs);
  const kg = median(kgMs);
  const sizeRatio = krl.length / theirBytes.length;
  console.log(`  revocations: ${TOTAL.toLocaleString('en-US')} serials under one ed25519 CA (4 ranges of 10,000; 30,000 in clusters of ~60% density; 30,000 sparse over ~2^62)`);
  console.log(`  lkp encodeKrl (in-process, ${RUNS} runs): median ${fmtMs(ms)}, ${krl.length.toLocaleString('en-US')} bytes`);
  console.log(`  ssh-keygen -k from a spec file (whole process, ${kgMs.length} runs): median ${fmtMs(kg)}, ${theirBytes.length.toLocaleString('en-US')} bytes`);
  console.log(`  ssh-keygen -Q -l loads lkp's KRL; byte-identical to ssh-keygen's (same date): ${same ? 'yes' : 'NO'}`);
  return [
    {
      measurement: '8a KRL size, 100,000 revoked serials',
      value: `${krl.length.toLocaleString('en-US')} B`,
      baseline: `ssh-keygen -k ${theirBytes.length.toLocaleString('en-US')} B`,
      ratio: fmtX(sizeRatio),
      target: '<= 1.0x ssh-keygen, same bytes',
      pass: shown(sizeRatio) <= 1 && same,
    },
    {
      measurement: '8b KRL generation, 100,000 revoked serials',
      value: `${fmtMs(ms)}`,
      baseline: `ssh-keygen -k ${fmtMs(kg)}`,
      ratio: fmtX(ms / kg),
      target: '<= 1.0x ssh-keygen -k',
      pass: shown(ms / kg) <= 1,
    },
  ];
}
