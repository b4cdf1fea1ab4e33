// Every corpus file, end to end with the real sshd: plan lkp's edit, apply it through
// applySshdChange with `sshd -t` (reload stubbed), check what sshd -T says is effective,
// run again (nothing changes), then remove (original bytes come back).
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySshdChange, loadSshdConfigInput } from '../../src/sshd/apply.js';
import { LKP_BEGIN_MARKER } from '../../src/sshd/block.js';
import { planSshdEdit, planSshdRemoval } from '../../src/sshd/edit.js';
import { sshdValidator, validateSshdConfig } from '../../src/sshd/validate.js';
import {
  CORPUS_DIR,
  copyCorpusCase,
  hostKeyArgs,
  installKeys,
  leftoverTemps,
  lkpSettings,
  makeTempDir,
  makeTestKeys,
  snapshotTree,
  sshdEffective,
  type TestKeys,
} from './fixtures.js';

interface Expectation {
  readonly placement: 'drop-in' | 'block';
  readonly conflicts: readonly (readonly [string, string])[];
  readonly overriddenFor?: string;
}

const cases = readdirSync(CORPUS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

let root = '';
let keys: TestKeys;

beforeAll(async () => {
  root = await makeTempDir('lkp-sshd-corpus-');
  keys = await makeTestKeys(join(root, 'keys'));
});

afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

describe('corpus', () => {
  it('ok/has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const name of cases) {
    it(`ok/${name}`, async () => {
      const expected = JSON.parse(readFileSync(join(CORPUS_DIR, name, 'expect.json'), 'utf8')) as Expectation;
      const dir = join(root, name);
      await installKeys(keys, dir);
      await copyCorpusCase(name, dir);
      const mainPath = join(dir, 'sshd_config');
      const original = await readFile(mainPath, 'latin1');
      const extraArgs = hostKeyArgs(original, dir);
      const validate = sshdValidator({ extraArgs });
      let reloads = 0;
      const reload = async (): Promise<void> => {
        reloads += 1;
      };
      const settings = lkpSettings(dir);

      // Plan and apply.
      const input = await loadSshdConfigInput({ mainPath, sshDir: dir });
      const plan = planSshdEdit(input, settings);
      expect(plan.placement).toBe(expected.placement);
      expect(plan.conflicts.map((c) => [c.keyword, c.effect])).toEqual(expected.conflicts);
      const applied = await applySshdChange({ mainConfigPath: mainPath, files: plan.changes, validate, reload, sshDir: dir });
      expect(applied.changed).toBe(true);
      expect(reloads).toBe(1);

      // The live configuration passes sshd -t and lkp's values are the effective ones.
      const verdict = await validateSshdConfig({ configPath: mainPath, extraArgs });
      expect(verdict.problems).toEqual([]);
      expect(verdict.ok).toBe(true);
      const effective = await sshdEffective(mainPath, 'ec2-user', extraArgs);
      expect(effective.get('trustedusercakeys')).toEqual([settings.trustedUserCaKeys]);
      expect(effective.get('authorizedprincipalsfile')).toEqual([settings.authorizedPrincipalsFile]);
      expect(effective.get('hostcertificate')).toContain(settings.hostCertificates[0]);
      if (expected.overriddenFor !== undefined) {
        const other = await sshdEffective(mainPath, expected.overriddenFor, extraArgs);
        const values = [...(other.get('trustedusercakeys') ?? []), ...(other.get('authorizedprincipalsfile') ?? [])];
        expect(values).not.toEqual([settings.trustedUserCaKeys, settings.authorizedPrincipalsFile]);
      }

      // A second run changes nothing, byte for byte (backups included), and does not reload.
      const before = await snapshotTree(dir);
      const again = planSshdEdit(await loadSshdConfigInput({ mainPath, sshDir: dir }), settings);
      expect(again.changes).toEqual([]);
      const second = await applySshdChange({ mainConfigPath: mainPath, files: again.changes, validate, reload, sshDir: dir });
      expect(second.changed).toBe(false);
      expect(await snapshotTree(dir)).toEqual(before);
      expect(reloads).toBe(1);

      // Removal (validated by sshd -t inside apply) puts the original bytes back.
      const removal = planSshdRemoval(await loadSshdConfigInput({ mainPath, sshDir: dir }));
      const removed = await applySshdChange({ mainConfigPath: mainPath, files: removal.changes, validate, reload, sshDir: dir });
      expect(removed.changed).toBe(true);
      if (!original.includes(LKP_BEGIN_MARKER)) expect(await readFile(mainPath, 'latin1')).toBe(original);
      expect(await leftoverTemps(dir)).toEqual([]);
    });
  }
});
