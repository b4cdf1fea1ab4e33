// Bench section 9, "binary": the single executable (Node SEA, npm run build:binary) as
// user data runs it. `lkp --version`, and `lkp host --dry-run` against the loopback
// signer and fakes of section 4, each paired with `node -e 0` (median ratio), plus the
// binary's size and its gzip. The npm CLI's `host --dry-run` is shown for comparison.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BenchError, childEnv, fmtMs, fmtX, list, median, mustSucceed, shown, timedSpawn } from './lib.js';

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;

/**
 * @param {{ root: string, node: string, lkpBin: string, runs: number, env: NodeJS.ProcessEnv,
 *   baseline: (env: NodeJS.ProcessEnv) => Promise<{ ms: number }>, hostArgs: () => string[] }} o
 *   hostArgs: the `host --dry-run …` arguments for a fresh sandbox (section 4's).
 */
export const benchBinary = async (o) => {
  const t = performance.now();
  execFileSync(o.node, [path.join(o.root, 'scripts/build-binary.js')], { cwd: o.root, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  const bin = path.join(o.root, 'build/bin/lkp');
  const size = statSync(bin).size;
  const gz = statSync(`${bin}.gz`).size;
  console.log(`  npm run build:binary: ok (${fmtMs(performance.now() - t)}); ${bin} ${mib(size)}, lkp.gz ${mib(gz)}`);
  const version = JSON.parse(readFileSync(path.join(o.root, 'package.json'), 'utf8')).version;
  const base = [];
  const ver = [];
  const host = [];
  const npmHost = [];
  for (let i = 0; i <= o.runs; i += 1) {
    const b = mustSucceed(await o.baseline(o.env), 'node -e 0');
    const v = mustSucceed(await timedSpawn(bin, ['--version'], { env: o.env }), 'lkp --version (binary)');
    if (v.stdout.trim() !== version) throw new BenchError(`the binary printed ${JSON.stringify(v.stdout)} for --version, not ${version}`);
    const h = mustSucceed(await timedSpawn(bin, o.hostArgs(), { env: o.env, timeoutMs: 30_000 }), 'lkp host --dry-run (binary)');
    const n = mustSucceed(await timedSpawn(o.node, [o.lkpBin, ...o.hostArgs()], { env: o.env, timeoutMs: 30_000 }), 'lkp host --dry-run (npm CLI)');
    if (i === 0) continue;
    base.push(b.ms);
    ver.push(v.ms);
    host.push(h.ms);
    npmHost.push(n.ms);
  }
  console.log(`  node -e 0 (ms):                     ${list(base, (x) => x.toFixed(1))}`);
  console.log(`  binary --version (ms):              ${list(ver, (x) => x.toFixed(1))}`);
  console.log(`  binary host --dry-run (ms):         ${list(host, (x) => x.toFixed(1))}`);
  console.log(`  npm CLI host --dry-run (ms):        ${list(npmHost, (x) => x.toFixed(1))}`);
  const b = median(base);
  const rv = median(ver) / b;
  const rh = median(host) / b;
  return [
    { measurement: '9a binary: lkp --version', value: fmtMs(median(ver)), baseline: `node -e 0 ${fmtMs(b)}`, ratio: fmtX(rv), target: '<= 1.3x', pass: shown(rv) <= 1.3 },
    { measurement: '9b binary: lkp host --dry-run', value: fmtMs(median(host)), baseline: `node -e 0 ${fmtMs(b)}`, ratio: fmtX(rh), target: '<= 1.3x', pass: shown(rh) <= 1.3 },
    { measurement: "9b' npm CLI: lkp host --dry-run", value: fmtMs(median(npmHost)), baseline: `binary ${fmtMs(median(host))}`, ratio: fmtX(median(npmHost) / median(host)), target: '(info)', pass: undefined },
    { measurement: '9c binary size (gzip for download)', value: mib(size), baseline: `lkp.gz ${mib(gz)}`, ratio: `gz ${((gz / size) * 100).toFixed(0)}% of it`, target: '(info: reported)', pass: undefined },
  ];
};
