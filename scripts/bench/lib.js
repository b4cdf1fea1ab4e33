// Helpers for `npm run bench` (scripts/bench.js): statistics, timed child processes,
// the loopback-only child environment, and the report (sections + summary table).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';

export const GUARD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'guard.cjs');

/** A closed loopback port (discard): nothing listens, so a stray call fails fast, locally. */
export const CLOSED = 'http://127.0.0.1:9';

/** Every endpoint variable the SDK (and lkp's lean calls) read; all pinned to loopback. */
export const ENDPOINT_VARS = [
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_LAMBDA',
  'AWS_ENDPOINT_URL_EC2',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_SSM',
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_ENDPOINT_URL_SSO',
  'AWS_ENDPOINT_URL_SSO_OIDC',
  'AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT',
];

export class BenchError extends Error {}

const isLoopbackUrl = (value) => {
  try {
    const h = new URL(value).hostname.replace(/^\[|\]$/g, '');
    return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
  } catch {
    return false;
  }
};

/**
 * The environment of every child: no AWS or lkp variables from the caller, every AWS
 * endpoint on loopback (a closed port unless a fake is named in `extra`), no shared
 * config files, and the loopback guard preloaded into any node process.
 */
export const childEnv = (extra = {}) => {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AWS_') || k.startsWith('LKP_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  for (const name of ENDPOINT_VARS) env[name] = CLOSED;
  Object.assign(env, {
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_EC2_METADATA_V1_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    NODE_OPTIONS: `--require=${GUARD}`,
  });
  Object.assign(env, extra);
  for (const name of ENDPOINT_VARS) {
    if (!isLoopbackUrl(env[name])) throw new BenchError(`refusing to start a child: ${name}=${env[name]} is not loopback`);
  }
  return env;
};

/** Pins this process's own AWS environment to loopback too (the in-process measurements). */
export const pinOwnEnv = (extra = {}) => {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  Object.assign(process.env, childEnv(extra));
  delete process.env.NODE_OPTIONS; // the guard is already imported here
};

/**
 * Runs a command; `ms` is spawn -> first stdout line containing `marker` (when given and
 * seen), else spawn -> exit. Killed after `timeoutMs`.
 */
export const timedSpawn = (cmd, args, { env, cwd, marker, input, timeoutMs = 30_000 } = {}) =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let tMarker;
    let tExit;
    let spawnError;
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => {
      stdout += d.toString();
      if (marker && tMarker === undefined && stdout.includes(marker)) tMarker = performance.now();
    });
    child.stderr.on('data', (d) => (stderr += d.toString()));
    let done = false;
    const finish = (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      tExit ??= performance.now();
      resolve({ ms: (tMarker ?? tExit) - t0, exitMs: tExit - t0, code, signal, stdout, stderr, markerSeen: tMarker !== undefined, spawnError });
    };
    child.on('error', (e) => {
      spawnError = e;
      if (child.pid === undefined) finish(null, null); // never started: no 'close' will tell us
    });
    child.on('exit', () => (tExit = performance.now()));
    child.on('close', finish);
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });

/** Throws a BenchError unless the run exited 0 (and printed its marker). */
export const mustSucceed = (run, what, marker) => {
  if (run.spawnError || run.code !== 0 || (marker && !run.markerSeen)) {
    const why = run.spawnError ? run.spawnError.message : `exit ${run.code}${run.signal ? ` (${run.signal})` : ''}`;
    throw new BenchError(`${what} failed: ${why}\n  stderr: ${run.stderr.trim().slice(0, 800)}\n  stdout: ${run.stdout.trim().slice(0, 400)}`);
  }
  return run;
};

export const sorted = (xs) => [...xs].sort((a, b) => a - b);
export const median = (xs) => {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Nearest-rank percentile. */
export const percentile = (xs, p) => {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

export const fmtMs = (ms) => (!Number.isFinite(ms) ? String(ms) : ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 100 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`);
export const fmtRate = (r, unit) => `${r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1)} ${unit}/s`;
export const fmtX = (x) => (!Number.isFinite(x) ? String(x) : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`);
export const fmtKiB = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
export const list = (xs, f = (x) => x.toFixed(0)) => xs.map(f).join(' ');

/** Summary rows; `pass` undefined means informational (no target). */
export const rows = [];
export const record = (row) => {
  rows.push(row);
  const verdict = row.pass === undefined ? 'info' : row.pass ? 'PASS' : 'MISS';
  console.log(`  => ${row.measurement}: ${row.value} vs ${row.baseline} = ${row.ratio}; target ${row.target}: ${verdict}`);
};
export const recordBroken = (measurement, error) => {
  rows.push({ measurement, value: '-', baseline: '-', ratio: '-', target: '-', pass: undefined, broken: true });
  console.log(`  !! ${measurement}: BENCH BROKE: ${error instanceof Error ? error.message : String(error)}`);
};

export const section = (title) => {
  console.log('');
  console.log(`=== ${title} ${'='.repeat(Math.max(3, 86 - title.length))}`);
  console.log(`  (machine load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs)`);
};

/** Ratios are shown to 2 decimals; the verdict uses the number shown, so they agree. */
export const shown = (x) => Number(x.toFixed(x >= 10 ? 1 : 2));

export const printSummary = () => {
  const header = ['measurement', 'value', 'baseline', 'ratio', 'target', 'PASS/MISS'];
  const body = rows.map((r) => [r.measurement, r.value, r.baseline, r.ratio, r.target, r.broken ? 'BROKEN' : r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'MISS']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
};

/**
 * Repeats `fn` for about `budgetMs` (at most `maxOps` times) and returns ops/second.
 * The clock is read every 16 operations so reading it costs nothing measurable.
 */
export const rateOf = async (fn, budgetMs, maxOps) => {
  let n = 0;
  const t0 = performance.now();
  for (;;) {
    await fn(n);
    n += 1;
    if (n >= maxOps) break;
    if ((n & 15) === 0 && performance.now() - t0 >= budgetMs) break;
  }
  return n / ((performance.now() - t0) / 1000);
};
export const rateOfSync = (fn, budgetMs, maxOps) => {
  let n = 0;
  const t0 = performance.now();
  for (;;) {
    fn(n);
    n += 1;
    if (n >= maxOps) break;
    if ((n & 15) === 0 && performance.now() - t0 >= budgetMs) break;
  }
  return n / ((performance.now() - t0) / 1000);
};
