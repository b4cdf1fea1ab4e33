// Child process for the SIGKILL fault-injection test: applies lkp's sshd change in a loop,
// alternating two settings so every iteration really swaps files. With LKP_KILL_AT_STEP=N it
// SIGKILLs itself right after apply step N (deterministic); otherwise the parent kills it at
// a random moment after it prints "ready".
import { applySshdChange, loadSshdConfigInput } from '../../src/sshd/apply.js';
import { planSshdEdit } from '../../src/sshd/edit.js';
import type { LkpSshdSettings } from '../../src/sshd/settings.js';
import { sshdValidator } from '../../src/sshd/validate.js';

const [mainPath, sshDir, settingsJson, extraJson] = process.argv.slice(2);
if (mainPath === undefined || sshDir === undefined || settingsJson === undefined || extraJson === undefined) {
  process.stderr.write('usage: apply-child MAIN SSHDIR SETTINGS_JSON EXTRA_ARGS_JSON\n');
  process.exit(2);
}
const settings = JSON.parse(settingsJson) as LkpSshdSettings[];
const validate = sshdValidator({ extraArgs: JSON.parse(extraJson) as string[] });
const killAt = Number(process.env.LKP_KILL_AT_STEP ?? '0');
const iterations = Number(process.env.LKP_ITERATIONS ?? '1000000');
let steps = 0;

const onStep = (step: string): void => {
  steps += 1;
  if (process.env.LKP_TRACE === '1') process.stdout.write(`step ${steps} ${step}\n`);
  if (steps === killAt) process.kill(process.pid, 'SIGKILL');
};

process.stdout.write('ready\n');
for (let i = 0; i < iterations; i += 1) {
  const input = await loadSshdConfigInput({ mainPath, sshDir });
  const plan = planSshdEdit(input, settings[i % settings.length] as LkpSshdSettings);
  await applySshdChange({ mainConfigPath: mainPath, files: plan.changes, validate, reload: async () => undefined, sshDir, onStep });
}
process.stdout.write(`done ${steps}\n`);
