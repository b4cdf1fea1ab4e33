// `lkp host --uninstall`: take lkp's directives out of sshd's configuration (validated,
// renamed, reloaded like any change), then remove everything under <ssh-dir>/lkp/.
import { rm } from 'node:fs/promises';
import { applySshdChange, loadSshdConfigInput } from '../sshd/apply.js';
import { diffSshdChanges } from '../sshd/diff.js';
import { planSshdRemoval } from '../sshd/edit.js';
import { sshdValidator } from '../sshd/validate.js';
import { hostReloader, type HostRunOptions } from './bootstrap.js';
import { hostLayout } from './layout.js';

/** Removes lkp from this host; the sshd change happens first, files only after it succeeded. */
export const uninstallHost = async (opts: Pick<HostRunOptions, 'sshDir' | 'sshdConfig' | 'sshdPath' | 'dryRun' | 'reload' | 'sshdPidFile'>, out: (line: string) => void): Promise<void> => {
  const layout = hostLayout(opts.sshDir);
  const input = await loadSshdConfigInput({ mainPath: opts.sshdConfig, sshDir: opts.sshDir });
  const removal = planSshdRemoval(input);
  if (opts.dryRun) {
    out(`lkp host --uninstall --dry-run: would remove ${layout.dir}`);
    out(diffSshdChanges(removal.changes) || 'sshd configuration: no change');
    return;
  }
  if (removal.changes.length > 0) {
    await applySshdChange({
      mainConfigPath: opts.sshdConfig,
      sshDir: opts.sshDir,
      files: removal.changes.map((c) => ({ path: c.path, content: c.content, before: c.before })),
      validate: sshdValidator({ sshdPath: opts.sshdPath }),
      reload: hostReloader(opts),
    });
  }
  await rm(layout.dir, { recursive: true, force: true });
  out(`lkp host: removed lkp's sshd settings${removal.changes.length > 0 ? '' : ' (none were present)'} and ${layout.dir}`);
};
