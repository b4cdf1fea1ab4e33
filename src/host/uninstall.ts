// `lkp host --uninstall`: take lkp's directives out of sshd's configuration (validated,
// renamed, reloaded like any change), then remove everything lkp left: <ssh-dir>/lkp/ and
// the *.lkp-backup copies of sshd files (they hold lkp's block). Run again, it says there
// is nothing to remove.
import { lstat, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { syncDir } from '../fs/write-atomic.js';
import { applySshdChange, loadSshdConfigInput } from '../sshd/apply.js';
import { diffSshdChanges } from '../sshd/diff.js';
import { hasGlobMagic, resolveIncludeArg } from '../sshd/include.js';
import { parseSshdLines } from '../sshd/parse.js';
import { BACKUP_SUFFIX, DEFAULT_DROP_IN_NAME, planSshdRemoval, type SshdConfigInput } from '../sshd/edit.js';
import { sshdValidator } from '../sshd/validate.js';
import { hostReloader, type HostRunOptions } from './bootstrap.js';
import { hostLayout } from './layout.js';

const exists = async (file: string): Promise<boolean> => {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new LkpError('FileSystem', `cannot inspect ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
};

/** Backups lkp's sshd apply made: of the main file, of every file it reaches, and of lkp's drop-in. */
const lkpBackups = async (input: SshdConfigInput, changed: readonly string[], opts: { sshDir: string }): Promise<string[]> => {
  const included = input.includedFiles ?? [];
  const sources = [input.mainPath, ...changed, ...included.map((f) => f.path)].filter((p) => !p.endsWith(BACKUP_SUFFIX));
  // Where lkp's drop-in may have been: every folder the main file includes from (it may be gone already).
  const includeDirs = parseSshdLines(input.mainText).flatMap((line) =>
    line.kind === 'directive' && line.key === 'include' ? line.args.map((arg) => path.dirname(resolveIncludeArg(arg, input.sshDir ?? opts.sshDir))).filter((d) => !hasGlobMagic(d)) : [],
  );
  const dropIns = includeDirs.map((dir) => path.join(dir, input.dropInName ?? DEFAULT_DROP_IN_NAME));
  const candidates = [...new Set([...sources, ...dropIns].map((p) => p + BACKUP_SUFFIX))];
  const found: string[] = [];
  for (const file of candidates) if (await exists(file)) found.push(file);
  return found;
};

/** Removes lkp from this host; the sshd change happens first, files only after it succeeded. */
export const uninstallHost = async (opts: Pick<HostRunOptions, 'sshDir' | 'sshdConfig' | 'sshdPath' | 'dryRun' | 'reload' | 'sshdPidFile'>, out: (line: string) => void): Promise<void> => {
  const layout = hostLayout(opts.sshDir);
  const input = await loadSshdConfigInput({ mainPath: opts.sshdConfig, sshDir: opts.sshDir });
  const removal = planSshdRemoval(input);
  const hasDir = await exists(layout.dir);
  if (opts.dryRun) {
    const backups = await lkpBackups(input, removal.changes.map((c) => c.path), opts);
    if (removal.changes.length === 0 && backups.length === 0 && !hasDir) {
      out('lkp host --uninstall --dry-run: nothing to remove (lkp is not installed here)');
      return;
    }
    if (hasDir) out(`lkp host --uninstall --dry-run: would remove ${layout.dir}`);
    for (const b of backups) out(`lkp host --uninstall --dry-run: would remove ${b}`);
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
  // The configuration without lkp passed sshd -t and is live: the backups (which hold lkp's
  // block, or the config from before it) have served their purpose.
  const backups = await lkpBackups(input, removal.changes.map((c) => c.path), opts);
  for (const b of backups) {
    await unlink(b).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new LkpError('FileSystem', `cannot remove ${b}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    });
  }
  for (const dir of new Set(backups.map((b) => path.dirname(b)))) await syncDir(dir);
  if (hasDir) await rm(layout.dir, { recursive: true, force: true });
  if (removal.changes.length === 0 && backups.length === 0 && !hasDir) {
    out('lkp host: nothing to remove (lkp is not installed here)');
    return;
  }
  const removed = [...(removal.changes.length > 0 ? [`lkp's sshd settings (${removal.changes.map((c) => c.path).join(', ')})`] : []), ...backups, ...(hasDir ? [layout.dir] : [])];
  out(`lkp host: removed ${removed.join(', ')}`);
};
