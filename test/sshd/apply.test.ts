// applySshdChange against real files in a temp directory, with the real `sshd -t` unless a
// case needs a stub: validation before swap, backups, mode and owner, rollback, clean-up.
import { execa } from 'execa';
import { chmod, chown, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { applySshdChange, loadSshdConfigInput, previewSshdChange } from '../../src/sshd/apply.js';
import { planSshdEdit, planSshdRemoval } from '../../src/sshd/edit.js';
import type { LkpSshdSettings } from '../../src/sshd/settings.js';
import { sshdValidator, type SshdValidation, type SshdValidator } from '../../src/sshd/validate.js';
import {
  copyCorpusCase,
  hostKeyArgs,
  installKeys,
  leftoverTemps,
  lkpSettings,
  makeTempDir,
  makeTestKeys,
  snapshotTree,
  type TestKeys,
} from './fixtures.js';

let root = '';
let keys: TestKeys;
let counter = 0;

beforeAll(async () => {
  root = await makeTempDir('lkp-sshd-apply-');
  keys = await makeTestKeys(join(root, 'keys'));
});

afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

interface Fixture {
  readonly dir: string;
  readonly mainPath: string;
  readonly settings: LkpSshdSettings;
  readonly validate: SshdValidator;
  readonly extraArgs: readonly string[];
}

const fixture = async (corpusCase: string): Promise<Fixture> => {
  counter += 1;
  const dir = join(root, `${counter}-${corpusCase}`);
  await installKeys(keys, dir);
  await copyCorpusCase(corpusCase, dir);
  const mainPath = join(dir, 'sshd_config');
  const extraArgs = hostKeyArgs(await readFile(mainPath, 'latin1'), dir);
  return { dir, mainPath, settings: lkpSettings(dir), validate: sshdValidator({ extraArgs }), extraArgs };
};

const planFor = async (f: Fixture, settings: LkpSshdSettings = f.settings) =>
  planSshdEdit(await loadSshdConfigInput({ mainPath: f.mainPath, sshDir: f.dir }), settings);

const noReload = async (): Promise<void> => undefined;

const rejection = async (promise: Promise<unknown>): Promise<LkpError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LkpError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
};

describe('applySshdChange', () => {
  it('ok/block: writes, keeps one backup, keeps mode and owner', async () => {
    const f = await fixture('rhel8-default');
    await chmod(f.mainPath, 0o600);
    await chown(f.mainPath, 1234, 2345);
    const original = await readFile(f.mainPath, 'latin1');
    const plan = await planFor(f);
    const result = await applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: f.validate, reload: noReload, sshDir: f.dir });
    expect(result).toMatchObject({ changed: true, written: [f.mainPath], removed: [], backups: [`${f.mainPath}.lkp-backup`] });
    const st = await stat(f.mainPath);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o600, 1234, 2345]);
    expect(await readFile(`${f.mainPath}.lkp-backup`, 'latin1')).toBe(original);
    const backup = await stat(`${f.mainPath}.lkp-backup`);
    expect([backup.mode & 0o7777, backup.uid, backup.gid]).toEqual([0o600, 1234, 2345]);

    // A second change replaces the backup: still exactly one, holding the previous version.
    const applied = await readFile(f.mainPath, 'latin1');
    const plan2 = await planFor(f, { ...f.settings, authorizedPrincipalsFile: join(f.dir, 'lkp', 'other', '%u') });
    await applySshdChange({ mainConfigPath: f.mainPath, files: plan2.changes, validate: f.validate, reload: noReload, sshDir: f.dir });
    expect(await readFile(`${f.mainPath}.lkp-backup`, 'latin1')).toBe(applied);
    expect((await readdir(f.dir)).filter((n) => n.includes('lkp-backup'))).toEqual(['sshd_config.lkp-backup']);
  });

  it('ok/drop-in: new file 0644, main untouched, the candidate was validated before it went live', async () => {
    const f = await fixture('ubuntu2204-default');
    const before = await snapshotTree(f.dir);
    const dropIn = join(f.dir, 'sshd_config.d', '00-lkp.conf');
    const seen: string[] = [];
    const spy: SshdValidator = async (configPath) => {
      // At validation time nothing live has changed yet.
      expect(await snapshotTree(f.dir)).toEqual({ ...before, ...(await tempEntries(f.dir)) });
      seen.push(await readFile(configPath, 'latin1'));
      return f.validate(configPath);
    };
    const plan = await planFor(f);
    await applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: spy, reload: noReload, sshDir: f.dir });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^Include \S+\/sshd_config\.d\/\.00-lkp\.conf\.lkp-tmp-\d+-[0-9a-f]+ \S+\/50-cloud-init\.conf \S+\/60-cloudimg-settings\.conf$/m);
    expect((await stat(dropIn)).mode & 0o7777).toBe(0o644);
    expect(await readFile(f.mainPath, 'latin1')).toBe(before['sshd_config']?.replace(/^\d+:/, ''));
    expect(await leftoverTemps(f.dir)).toEqual([]);
  });

  it('ok/creates a missing drop-in directory', async () => {
    const f = await fixture('debian12-default');
    await rm(join(f.dir, 'sshd_config.d'), { recursive: true });
    const plan = await planFor(f);
    expect(plan.placement).toBe('drop-in');
    await applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: f.validate, reload: noReload, sshDir: f.dir });
    expect(await readFile(join(f.dir, 'sshd_config.d', '00-lkp.conf'), 'latin1')).toContain('TrustedUserCAKeys');
  });

  it('fail/candidate fails sshd -t (missing host certificate): every file byte-identical, no temp files', async () => {
    for (const corpusCase of ['rhel8-default', 'ubuntu2204-default']) {
      const f = await fixture(corpusCase);
      const before = await snapshotTree(f.dir);
      const plan = await planFor(f, { ...f.settings, hostCertificates: [join(f.dir, 'lkp', 'missing-cert.pub')] });
      let reloads = 0;
      const error = await rejection(
        applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: f.validate, sshDir: f.dir, reload: async () => void (reloads += 1) }),
      );
      expect(error.code).toBe('SshdConfigInvalid');
      expect(error.message).toMatch(/Could not load host certificate ".*missing-cert\.pub": No such file or directory/);
      expect(reloads).toBe(0);
      expect(await snapshotTree(f.dir)).toEqual(before);
      expect(await leftoverTemps(f.dir)).toEqual([]);
    }
  });

  it('fail/a certificate for a key that is not a HostKey is refused', async () => {
    const f = await fixture('rhel9-default');
    const before = await snapshotTree(f.dir);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(root, `stray-${counter}`)]);
    await execa('ssh-keygen', ['-q', '-s', join(keys.dir, 'host_ca'), '-h', '-I', 'stray', '-n', 'h', `${join(root, `stray-${counter}`)}.pub`]);
    const plan = await planFor(f, { ...f.settings, hostCertificates: [`${join(root, `stray-${counter}`)}-cert.pub`] });
    const error = await rejection(applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: f.validate, reload: noReload, sshDir: f.dir }));
    expect(error.code).toBe('SshdConfigInvalid');
    expect(error.message).toContain('No matching private key for certificate');
    expect(await snapshotTree(f.dir)).toEqual(before);
  });

  it('fail/reload that throws rolls back to the original bytes', async () => {
    for (const corpusCase of ['rhel8-default', 'ubuntu2204-default']) {
      const f = await fixture(corpusCase);
      const before = await snapshotTree(f.dir);
      const plan = await planFor(f);
      let reloads = 0;
      const error = await rejection(
        applySshdChange({
          mainConfigPath: f.mainPath,
          files: plan.changes,
          validate: f.validate,
          sshDir: f.dir,
          reload: async () => {
            reloads += 1;
            if (reloads === 1) throw new LkpError('SshdReloadFailed', 'systemctl reload ssh.service failed: Job failed');
          },
        }),
      );
      expect(error.code).toBe('SshdReloadFailed');
      expect(error.message).toContain('Job failed');
      expect(error.message).toContain('restored and reloaded');
      expect(reloads).toBe(2);
      const after = await snapshotTree(f.dir);
      // Only the backup of a replaced file may remain; it holds the original.
      const backups = Object.keys(after).filter((k) => k.endsWith('.lkp-backup'));
      for (const k of backups) delete after[k];
      expect(after).toEqual(before);
      expect(backups).toEqual(plan.placement === 'block' ? ['sshd_config.lkp-backup'] : []);
      expect(await leftoverTemps(f.dir)).toEqual([]);
    }
  });

  it('fail/a stubbed validator failure carries sshd\'s message', async () => {
    const f = await fixture('rhel8-default');
    const verdict: SshdValidation = { ok: false, exitCode: 255, output: 'x', problems: ['line 3: Bad configuration option: Foo'], warnings: [] };
    const plan = await planFor(f);
    const error = await rejection(
      applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: async () => verdict, reload: noReload, sshDir: f.dir }),
    );
    expect(error.code).toBe('SshdConfigInvalid');
    expect(error.message).toContain('Bad configuration option: Foo');
  });

  it('fail/the file changed since the plan: SshdConflict, nothing written', async () => {
    const f = await fixture('rhel8-default');
    const plan = await planFor(f);
    await writeFile(f.mainPath, '# edited meanwhile\n', { flag: 'a' });
    const before = await snapshotTree(f.dir);
    const error = await rejection(applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: f.validate, reload: noReload, sshDir: f.dir }));
    expect(error.code).toBe('SshdConflict');
    expect(await snapshotTree(f.dir)).toEqual(before);
  });

  it('fail/a symlinked sshd_config is not replaced', async () => {
    const f = await fixture('rhel8-default');
    await rename(f.mainPath, join(f.dir, 'real_sshd_config'));
    await symlink(join(f.dir, 'real_sshd_config'), f.mainPath);
    const before = await snapshotTree(f.dir);
    const plan = await planFor(f);
    const error = await rejection(applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: f.validate, reload: noReload, sshDir: f.dir }));
    expect(error.code).toBe('SshdConflict');
    expect(await snapshotTree(f.dir)).toEqual(before);
  });

  it('ok/non-UTF-8 bytes outside lkp\'s block survive apply and removal', async () => {
    const f = await fixture('rhel8-default');
    const bytes = Buffer.concat([Buffer.from('# Gr\xfc\xdfe (latin-1) and caf\xc3\xa9 (utf-8)\n', 'latin1'), await readFile(f.mainPath)]);
    await writeFile(f.mainPath, bytes);
    const plan = await planFor(f);
    await applySshdChange({ mainConfigPath: f.mainPath, files: plan.changes, validate: f.validate, reload: noReload, sshDir: f.dir });
    expect((await readFile(f.mainPath)).subarray(-bytes.length).equals(bytes)).toBe(true);
    const removal = planSshdRemoval(await loadSshdConfigInput({ mainPath: f.mainPath, sshDir: f.dir }));
    await applySshdChange({ mainConfigPath: f.mainPath, files: removal.changes, validate: f.validate, reload: noReload, sshDir: f.dir });
    expect((await readFile(f.mainPath)).equals(bytes)).toBe(true);
  });

  it('fail/bad inputs are UsageError', async () => {
    const base = { validate: async () => ({ ok: true, exitCode: 0, output: '', problems: [], warnings: [] }), reload: noReload };
    expect((await rejection(applySshdChange({ ...base, mainConfigPath: 'relative', files: [] }))).code).toBe('UsageError');
    expect((await rejection(applySshdChange({ ...base, mainConfigPath: '/x/y', files: [{ path: '/x/a\nb', content: '' }] }))).code).toBe('UsageError');
    expect((await rejection(applySshdChange({ ...base, mainConfigPath: '/x/y', files: [{ path: '/x/a', content: '\u263a' }] }))).code).toBe('UsageError');
    expect(
      (await rejection(applySshdChange({ ...base, mainConfigPath: '/x/y', files: [{ path: '/x/a', content: '' }, { path: '/x/a', content: null }] }))).code,
    ).toBe('UsageError');
  });

  it('ok/stale temp files of a dead run are removed; a live run\'s are left alone', async () => {
    const f = await fixture('ubuntu2204-default');
    const dead = (await execa('sh', ['-c', 'echo $$'])).stdout.trim();
    const deadMain = join(f.dir, `.sshd_config.lkp-tmp-${dead}-0a1b2c`);
    const deadCheck = join(f.dir, `.sshd_config.lkp-check-${dead}-0a1b2c`);
    const deadDropIn = join(f.dir, 'sshd_config.d', `.00-lkp.conf.lkp-tmp-${dead}-0a1b2c`);
    const live = join(f.dir, `.sshd_config.lkp-tmp-1-0a1b2c`); // pid 1 is always alive
    for (const path of [deadMain, deadCheck, deadDropIn, live]) await writeFile(path, 'partial');
    await applySshdChange({ mainConfigPath: f.mainPath, files: [], validate: f.validate, reload: noReload, sshDir: f.dir });
    expect((await leftoverTemps(f.dir)).sort()).toEqual([live]);
  });

  it('ok/unchanged content is a no-op: no validation, no reload, no backup', async () => {
    const f = await fixture('rhel8-default');
    const text = await readFile(f.mainPath, 'latin1');
    const before = await snapshotTree(f.dir);
    const result = await applySshdChange({
      mainConfigPath: f.mainPath,
      files: [{ path: f.mainPath, content: text }],
      validate: async () => {
        throw new Error('must not validate');
      },
      reload: async () => {
        throw new Error('must not reload');
      },
    });
    expect(result.changed).toBe(false);
    expect(await snapshotTree(f.dir)).toEqual(before);
  });

  it('ok/removal of a drop-in keeps one backup of it', async () => {
    const f = await fixture('ubuntu2404-stale-lkp-dropin');
    const dropIn = join(f.dir, 'sshd_config.d', '00-lkp.conf');
    const old = await readFile(dropIn, 'latin1');
    const result = await applySshdChange({ mainConfigPath: f.mainPath, files: [{ path: dropIn, content: null }], validate: f.validate, reload: noReload, sshDir: f.dir });
    expect(result.removed).toEqual([dropIn]);
    await expect(stat(dropIn)).rejects.toThrow();
    expect(await readFile(`${dropIn}.lkp-backup`, 'latin1')).toBe(old);
  });

  it('ok/dry run: a diff and nothing written', async () => {
    const f = await fixture('rhel8-default');
    const before = await snapshotTree(f.dir);
    const plan = await planFor(f);
    const diff = await previewSshdChange(plan.changes);
    expect(diff).toContain(`--- a${f.mainPath}\n+++ b${f.mainPath}\n@@ -1,3 +1,9 @@\n+# BEGIN lkp managed block -- do not edit\n`);
    expect(diff).toContain(`+TrustedUserCAKeys ${f.settings.trustedUserCaKeys}\n`);
    expect(await snapshotTree(f.dir)).toEqual(before);
    expect(await previewSshdChange([])).toBe('');
  });

  it('ok/loadSshdConfigInput follows Include globs and nested includes', async () => {
    const f = await fixture('rhel9-default');
    await mkdir(join(f.dir, 'sshd_config.d', 'subdir.conf'));
    const input = await loadSshdConfigInput({ mainPath: f.mainPath, sshDir: f.dir });
    expect((input.includedFiles ?? []).map((x) => x.path.slice(f.dir.length))).toEqual([
      '/sshd_config.d/50-redhat.conf',
      '/crypto-policies/back-ends/opensshserver.config',
    ]);
  });
});

/** Temp entries (staged files) present under dir, in snapshot form. */
const tempEntries = async (dir: string): Promise<Record<string, string>> => {
  const all = await snapshotTree(dir);
  return Object.fromEntries(Object.entries(all).filter(([k]) => /\.lkp-(?:tmp|check)-/.test(k)));
};
