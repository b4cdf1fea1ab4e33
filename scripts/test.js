#!/usr/bin/env node
// `npm test`: make sure OpenSSH, moto and faketime are here (install them when we may), build, run
// the whole vitest suite, and end with the plain line `N passed, N failed` that CI reads.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureOpenSsh } from './ensure-openssh.js';
import { ensureMoto } from './ensure-moto.js';
import { ensureFaketime } from './ensure-faketime.js';
import { tmpdir } from 'node:os';
import path from 'node:path';

ensureOpenSsh();
ensureMoto();
ensureFaketime();

// Build the CLI the tests run, and type-check the tests themselves (strict, like src/).
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const typecheck = build.status === 0 ? spawnSync('npx', ['tsc', '-p', 'tsconfig.test.json'], { stdio: 'inherit' }) : build;
if (build.status !== 0 || typecheck.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// Tests must leave nothing in the temp folder (some folders hold CA private keys): what
// appears there during the run and is still there at its end counts as a failure.
const lkpTemp = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('lkp-')));
const tempBefore = lkpTemp();

const report = path.join(tmpdir(), `lkp-vitest-${process.pid}.json`);
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
let passed = 0;
let failed = 0;
try {
  const result = JSON.parse(readFileSync(report, 'utf8'));
  passed = result.numPassedTests;
  failed = result.numFailedTests + (result.numFailedTestSuites ?? 0);
  rmSync(report, { force: true });
} catch {
  failed = Math.max(failed, 1);
}
rmSync(report, { force: true });
if (run.status !== 0 && failed === 0) failed = 1;
const leftovers = [...lkpTemp()].filter((n) => !tempBefore.has(n));
if (leftovers.length > 0) {
  console.log(`tests left ${leftovers.length} folder(s) in ${tmpdir()}: ${leftovers.slice(0, 10).join(' ')}${leftovers.length > 10 ? ' …' : ''}`);
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
