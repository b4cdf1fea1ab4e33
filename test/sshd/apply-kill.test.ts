// Fault injection: a child process applies lkp's change in a loop and is SIGKILLed at every
// apply step (deterministic) and at random moments (50+ times). After every kill the live
// configuration must pass `sshd -t` and each live file must be a complete old or new version:
// only complete renames ever change what sshd reads.
import { build } from 'esbuild';
import { execa } from 'execa';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySshdChange, loadSshdConfigInput } from '../../src/sshd/apply.js';
import { planSshdEdit } from '../../src/sshd/edit.js';
import type { LkpSshdSettings } from '../../src/sshd/settings.js';
import { sshdValidator, validateSshdConfig } from '../../src/sshd/validate.js';
import {
  copyCorpusCase,
  hostKeyArgs,
  installKeys,
  leftoverTemps,
  lkpSettings,
  makeTempDir,
  makeTestKeys,
  type TestKeys,
} from './fixtures.js';

// About 20 s on a 2-CPU machine; the margin is for a full suite running alongside.
const SLOW_MACHINE_TIMEOUT = 120_000;

let root = '';
let keys: TestKeys;
let childJs = '';

beforeAll(async () => {
  root = await makeTempDir('lkp-sshd-kill-');
  keys = await makeTestKeys(join(root, 'keys'));
  // The child runs the TypeScript sources, bundled once so each of the many spawns starts fast.
  childJs = join(root, 'apply-child.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'apply-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: childJs,
    logLevel: 'error',
    banner: { js: "import { createRequire as __lkpCreateRequire } from 'node:module'; const require = __lkpCreateRequire(import.meta.url);" },
  });
});

afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

interface Scenario {
  readonly dir: string;
  readonly mainPath: string;
  readonly watched: readonly string[];
  readonly settings: readonly LkpSshdSettings[];
  readonly extraArgs: readonly string[];
  /** Every complete version each watched file may have (null: absent). */
  readonly allowed: ReadonlyMap<string, ReadonlySet<string | null>>;
}

const setUp = async (corpusCase: string): Promise<Scenario> => {
  const dir = join(root, corpusCase);
  await installKeys(keys, dir);
  await copyCorpusCase(corpusCase, dir);
  // A second certificate and principals path so the two settings differ.
  await execa('cp', [join(dir, 'lkp', 'ssh_host_ed25519_key-cert.pub'), join(dir, 'lkp', 'second-cert.pub')]);
  const mainPath = join(dir, 'sshd_config');
  const base = lkpSettings(dir);
  const settings = [base, { ...base, hostCertificates: [join(dir, 'lkp', 'second-cert.pub')], authorizedPrincipalsFile: join(dir, 'lkp', 'p2', '%u') }];
  const extraArgs = hostKeyArgs(await readFile(mainPath, 'latin1'), dir);
  // The complete states: the original, and the result of each settings.
  const input = await loadSshdConfigInput({ mainPath, sshDir: dir });
  const allowed = new Map<string, Set<string | null>>();
  const watched = [mainPath, join(dir, 'sshd_config.d', '00-lkp.conf')];
  for (const path of watched) allowed.set(path, new Set([path === mainPath ? input.mainText : null]));
  for (const s of settings) {
    for (const change of planSshdEdit(input, s).changes) allowed.get(change.path)?.add(change.content);
  }
  return { dir, mainPath, watched, settings, extraArgs, allowed };
};

const runChild = (s: Scenario, env: Record<string, string>) =>
  execa('node', [childJs, s.mainPath, s.dir, JSON.stringify(s.settings), JSON.stringify(s.extraArgs)], {
    env,
    reject: false,
    stdin: 'ignore',
    timeout: 20_000,
  });

/** The live configuration after a kill: valid for sshd, every file a complete known version. */
const assertIntact = async (s: Scenario, label: string): Promise<void> => {
  const verdict = await validateSshdConfig({ configPath: s.mainPath, extraArgs: s.extraArgs });
  expect(verdict.problems, label).toEqual([]);
  expect(verdict.ok, label).toBe(true);
  for (const path of s.watched) {
    const text = await readFile(path, 'latin1').catch(() => null);
    expect(s.allowed.get(path)?.has(text), `${label}: ${path} is not a complete version`).toBe(true);
  }
};

const killAtEveryStep = async (s: Scenario): Promise<number> => {
  const traced = await runChild(s, { LKP_ITERATIONS: '2', LKP_TRACE: '1' });
  expect(traced.exitCode, traced.stderr).toBe(0);
  const total = Number(/done (\d+)/.exec(traced.stdout)?.[1]);
  expect(total).toBeGreaterThanOrEqual(6);
  let leftTemps = 0;
  for (let step = 1; step <= total; step += 1) {
    const child = await runChild(s, { LKP_KILL_AT_STEP: String(step) });
    expect(child.signal, `step ${step}`).toBe('SIGKILL');
    await assertIntact(s, `killed after step ${step}`);
    if ((await leftoverTemps(s.dir)).length > 0) leftTemps += 1;
  }
  // Some kills land between staging and the swap, so the next run's clean-up is exercised too.
  expect(leftTemps).toBeGreaterThan(0);
  return total;
};

const killAtRandom = async (s: Scenario, times: number): Promise<void> => {
  for (let n = 0; n < times; n += 1) {
    const child = runChild(s, {});
    await new Promise<void>((resolve) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', () => resolve()); // a child that dies early fails below instead of hanging
    });
    // 0-50 ms covers staging, sshd -t (about 30 ms here), backup, rename and the next iteration.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 50));
    child.kill('SIGKILL');
    const result = await child;
    expect(result.signal === 'SIGKILL' || result.exitCode === 0, result.stderr).toBe(true);
    await assertIntact(s, `random kill ${n}`);
  }
};

const finalRunCleansUp = async (s: Scenario): Promise<void> => {
  const input = await loadSshdConfigInput({ mainPath: s.mainPath, sshDir: s.dir });
  const plan = planSshdEdit(input, s.settings[0] as LkpSshdSettings);
  await applySshdChange({
    mainConfigPath: s.mainPath,
    files: plan.changes,
    validate: sshdValidator({ extraArgs: s.extraArgs }),
    reload: async () => undefined,
    sshDir: s.dir,
  });
  expect(await leftoverTemps(s.dir)).toEqual([]);
  await assertIntact(s, 'final run');
};

describe.concurrent('SIGKILL during apply', () => {
  it('ok/block in the main file survives a kill after every step and 25 random kills', async () => {
    const s = await setUp('rhel8-default');
    await killAtEveryStep(s);
    await killAtRandom(s, 25);
    await finalRunCleansUp(s);
  }, SLOW_MACHINE_TIMEOUT);

  it('ok/drop-in survives a kill after every step and 25 random kills', async () => {
    const s = await setUp('ubuntu2204-default');
    await killAtEveryStep(s);
    await killAtRandom(s, 25);
    await finalRunCleansUp(s);
  }, SLOW_MACHINE_TIMEOUT);
});
