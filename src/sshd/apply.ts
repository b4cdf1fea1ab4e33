// The only part of src/sshd that writes files. A change goes live only after the candidate
// configuration passed `sshd -t`, and only by rename(2) of a complete, fsynced file that sits
// next to its target; so a crash at any instant leaves either the old or the new file.
// File text is handled as binary strings (latin1: one char per byte) so every byte lkp did
// not mean to change survives, whatever the file's encoding.
import { lstat, mkdir, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LkpError } from '../errors.js';
import { readOptional as readOptionalFile } from '../fs/read-optional.js';
import { syncDir as fsyncDir, TEMP_NAME, tempPathFor as tempPath, writeAtomic, writeNewFile } from '../fs/write-atomic.js';
import { diffSshdChanges } from './diff.js';
import { BACKUP_SUFFIX, DEFAULT_SSH_DIR, type SshdConfigInput, type SshdSourceFile } from './edit.js';
import { compareBytes, hasGlobMagic, matchComponent, matchIncludePattern, resolveIncludeArg } from './include.js';
import { parseSshdLines, type SshdLine } from './parse.js';
import { renderSshdLines, type SshdRenderable } from './render.js';
import type { SshdValidator } from './validate.js';

/** One file to write (content) or remove (null). `before`, when given, must match the file now (null: absent). */
export interface SshdFileWrite {
  readonly path: string;
  /** Binary string (one char per byte), as loadSshdConfigInput returns; null removes the file. */
  readonly content: string | null;
  /** Mode for a new file (default 0644); an existing file keeps its mode and owner. */
  readonly mode?: number;
  readonly before?: string | null;
}

/** Inputs of one apply; the validator and the reloader are injected. */
export interface ApplySshdChangeOptions {
  /** The main sshd_config: the file sshd -t starts from. */
  readonly mainConfigPath: string;
  readonly files: readonly SshdFileWrite[];
  readonly validate: SshdValidator;
  readonly reload: () => Promise<void>;
  /** SSHDIR for relative Include paths; default /etc/ssh. */
  readonly sshDir?: string;
  /** Called after each step (test seam for fault injection); never needed in production. */
  readonly onStep?: (step: string) => void | Promise<void>;
}

/** What an apply did. `changed` is false when every file already had its content. */
export interface ApplySshdResult {
  readonly changed: boolean;
  readonly written: readonly string[];
  readonly removed: readonly string[];
  readonly backups: readonly string[];
  /** Lines sshd -t printed that did not fail the change. */
  readonly warnings: readonly string[];
}

const ENCODING = 'latin1';

const fsError = (what: string, error: unknown): LkpError =>
  error instanceof LkpError
    ? error
    : new LkpError('FileSystem', `${what}: ${(error as NodeJS.ErrnoException)?.code ?? String(error)}`, { cause: error });

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** A file's bytes as a binary string, or null when it does not exist. */
const readOptional = (path: string): Promise<string | null> => readOptionalFile(path, ENCODING);

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Remove temp files left by an earlier run that was killed (its pid is gone); a live run's files are left alone. */
export const cleanStaleTemps = async (dirs: ReadonlySet<string>): Promise<void> => {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (isMissing(error)) continue;
      throw fsError(`cannot list ${dir}`, error);
    }
    for (const name of names) {
      const pid = Number(TEMP_NAME.exec(name)?.[1] ?? Number.NaN);
      if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
      await unlink(join(dir, name)).catch((error: unknown) => {
        if (!isMissing(error)) throw fsError(`cannot remove stale ${join(dir, name)}`, error);
      });
    }
  }
};

/** Directories the main file's Include lines read from: where an earlier killed run may have left temp files. */
const includeDirs = (mainText: string | null, sshDir: string): string[] =>
  parseSshdLines(mainText ?? '').flatMap((line) =>
    line.kind === 'directive' && line.key === 'include'
      ? line.args.map((arg) => dirname(resolveIncludeArg(arg, sshDir))).filter((dir) => !hasGlobMagic(dir))
      : [],
  );

interface Owner {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** Write options keeping a replaced file's mode and owner (binary string content). */
const asWritten = (owner: Owner | { mode: number }): { mode: number; uid?: number; gid?: number; encoding: BufferEncoding } => ({ ...owner, encoding: ENCODING });

/** Create a missing directory for a new file (e.g. an absent sshd_config.d); true when this call created it. */
const ensureDir = async (dir: string): Promise<boolean> => {
  try {
    await mkdir(dir, { mode: 0o755 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fsError(`cannot create ${dir}`, error);
  }
};

/** Remove directories this run created, if they are empty again (best effort). */
const removeDirs = async (dirs: readonly string[]): Promise<void> => {
  for (const dir of [...dirs].reverse()) await rmdir(dir).catch(() => undefined);
};

const unlinkQuiet = async (path: string): Promise<void> => {
  await unlink(path).catch(() => undefined);
};

/** Expand a glob the way sshd's glob(3) does, one path component at a time. */
const globFs = async (pattern: string): Promise<string[]> => {
  let paths = ['/'];
  for (const part of pattern.split('/').filter((p) => p !== '')) {
    const next: string[] = [];
    for (const base of paths) {
      if (!hasGlobMagic(part)) {
        next.push(join(base, part.replace(/\\(.)/g, '$1')));
        continue;
      }
      const names = await readdir(base).catch(() => [] as string[]);
      next.push(...names.filter((name) => matchComponent(part, name)).map((name) => join(base, name)));
    }
    paths = next;
  }
  const existing = await Promise.all(paths.map(async (path) => ((await lstat(path).catch(() => null)) === null ? null : path)));
  return existing.filter((path): path is string => path !== null).sort(compareBytes);
};

/** Quote an Include argument for sshd_config when it needs it. */
const quoteArg = (arg: string): string => {
  if (/[\0-\x1f\x7f]/.test(arg)) throw new LkpError('SshdConfigInvalid', `cannot validate: Include path ${JSON.stringify(arg)}`);
  return /[\s"'\\#]/.test(arg) ? `"${arg.replace(/[\\"]/g, '\\$&')}"` : arg;
};

/**
 * The candidate main file for sshd -t: the new (or current) main text with each Include that
 * reaches a changed file spelled out, the changed file replaced by its staged temp file.
 */
const candidateMain = async (
  mainText: string,
  staged: ReadonlyMap<string, string | null>,
  sshDir: string,
): Promise<string> => {
  const lines: SshdRenderable[] = [];
  for (const line of parseSshdLines(mainText) as SshdLine[]) {
    if (line.kind !== 'directive' || line.key !== 'include') {
      lines.push(line);
      continue;
    }
    const args: string[] = [];
    for (const arg of line.args) {
      const pattern = resolveIncludeArg(arg, sshDir);
      const touched = [...staged.keys()].filter((path) => matchIncludePattern(pattern, path));
      if (touched.length === 0) {
        args.push(pattern);
        continue;
      }
      const current = hasGlobMagic(pattern) ? await globFs(pattern) : [pattern];
      const paths = [...new Set([...current, ...touched])]
        .filter((path) => !(staged.has(path) && staged.get(path) === null))
        .sort(compareBytes);
      args.push(...paths.map((path) => staged.get(path) ?? path));
    }
    const indent = /^[ \t]*/.exec(line.text)?.[0] ?? '';
    lines.push({
      text: args.length === 0 ? `${indent}# lkp check: Include matched no file` : `${indent}Include ${args.map(quoteArg).join(' ')}`,
      eol: line.eol,
    });
  }
  return renderSshdLines(lines);
};

interface Planned {
  readonly path: string;
  readonly content: string | null;
  readonly mode: number;
  readonly current: string | null;
  readonly owner: Owner | undefined;
}

const checkInputs = (options: ApplySshdChangeOptions): void => {
  const paths = [options.mainConfigPath, ...options.files.map((file) => file.path)];
  for (const path of paths) {
    if (typeof path !== 'string' || !path.startsWith('/') || /[\0-\x1f\x7f]/.test(path) || basename(path) === '') {
      throw new LkpError('UsageError', `not an absolute file path: ${JSON.stringify(path)}`);
    }
  }
  if (new Set(options.files.map((file) => file.path)).size !== options.files.length) {
    throw new LkpError('UsageError', 'the same file is listed twice');
  }
  for (const file of options.files) {
    if (file.content !== null && /[^\0-\xff]/.test(file.content)) {
      throw new LkpError('UsageError', `${file.path}: content must be a binary (latin1) string`);
    }
  }
};

const plan = async (files: readonly SshdFileWrite[]): Promise<Planned[]> => {
  const out: Planned[] = [];
  for (const file of files) {
    const link = await lstat(file.path).catch(() => null);
    if (link?.isSymbolicLink()) {
      // Replacing a link by rename would silently detach it from whatever manages its target.
      throw new LkpError('SshdConflict', `${file.path} is a symbolic link; lkp will not replace it`);
    }
    const current = await readOptional(file.path);
    if (file.before !== undefined && file.before !== current) {
      throw new LkpError('SshdConflict', `${file.path} changed since the plan was made; plan again`);
    }
    if (current === file.content) continue;
    const st = current === null ? undefined : await stat(file.path).catch((error: unknown) => {
      throw fsError(`cannot stat ${file.path}`, error);
    });
    const owner = st === undefined ? undefined : { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    out.push({ path: file.path, content: file.content, mode: owner?.mode ?? file.mode ?? 0o644, current, owner });
  }
  return out;
};

/** Put back what this run replaced (from the backups it made) and remove what it created. */
const rollback = async (swapped: readonly Planned[]): Promise<string[]> => {
  const failures: string[] = [];
  for (const item of [...swapped].reverse()) {
    try {
      if (item.current === null) {
        await unlink(item.path).catch((error: unknown) => {
          if (!isMissing(error)) throw error;
        });
      } else {
        const backup = await readOptional(item.path + BACKUP_SUFFIX);
        if (backup === null) throw new LkpError('FileSystem', `${item.path + BACKUP_SUFFIX} is gone`);
        await writeAtomic(item.path, backup, asWritten(item.owner ?? { mode: item.mode }));
      }
      await fsyncDir(dirname(item.path));
    } catch (error) {
      failures.push(error instanceof LkpError ? error.message : `${item.path}: ${(error as NodeJS.ErrnoException)?.code ?? String(error)}`);
    }
  }
  return failures;
};

/**
 * Validate, back up, swap in and reload a set of sshd files; on any failure put every file
 * back as it was and throw (SshdConfigInvalid, SshdReloadFailed, SshdConflict, FileSystem).
 */
export const applySshdChange = async (options: ApplySshdChangeOptions): Promise<ApplySshdResult> => {
  checkInputs(options);
  const step = options.onStep ?? (() => undefined);
  const sshDir = options.sshDir ?? DEFAULT_SSH_DIR;
  const dirs = new Set([dirname(options.mainConfigPath), ...options.files.map((file) => dirname(file.path))]);
  for (const dir of includeDirs(await readOptional(options.mainConfigPath), sshDir)) dirs.add(dir);
  await cleanStaleTemps(dirs);
  await step('cleaned');
  const items = await plan(options.files);
  if (items.length === 0) return { changed: false, written: [], removed: [], backups: [], warnings: [] };

  const temps: string[] = [];
  const createdDirs: string[] = [];
  const staged = new Map<string, string | null>();
  let checkPath: string | undefined;
  let warnings: readonly string[] = [];
  try {
    // 1. Stage every new file next to its target.
    for (const item of items) {
      if (item.content === null) {
        staged.set(item.path, null);
        continue;
      }
      if (item.current === null && (await ensureDir(dirname(item.path)))) createdDirs.push(dirname(item.path));
      const temp = tempPath(item.path, 'tmp');
      temps.push(temp);
      await writeNewFile(temp, item.content, asWritten(item.owner ?? { mode: item.mode }));
      staged.set(item.path, temp);
    }
    await step('staged');

    // 2. sshd -t on the candidate while the live files are untouched.
    const main = items.find((item) => item.path === options.mainConfigPath);
    const mainText = main !== undefined ? main.content : await readOptional(options.mainConfigPath);
    if (mainText === null) throw new LkpError('SshdConfigInvalid', `${options.mainConfigPath} does not exist`);
    checkPath = tempPath(options.mainConfigPath, 'check');
    temps.push(checkPath);
    await writeNewFile(checkPath, await candidateMain(mainText, staged, sshDir), asWritten({ mode: 0o600 }));
    await step('candidate-written');
    const verdict = await options.validate(checkPath).catch((error: unknown) => {
      throw new LkpError('SshdConfigInvalid', `cannot run sshd -t: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    });
    await unlinkQuiet(checkPath);
    if (!verdict.ok) {
      throw new LkpError('SshdConfigInvalid', `sshd -t rejected the new configuration: ${verdict.problems.join('; ')}`);
    }
    warnings = verdict.warnings;
    await step('validated');
  } catch (error) {
    await Promise.all(temps.map(unlinkQuiet));
    await removeDirs(createdDirs);
    throw fsError('cannot stage the sshd configuration', error);
  }

  // 3. One backup per replaced file, then the swap: rename for writes, unlink for removals.
  const backups: string[] = [];
  const swapped: Planned[] = [];
  try {
    for (const item of items.filter((it) => it.current !== null)) {
      await writeAtomic(item.path + BACKUP_SUFFIX, item.current as string, asWritten(item.owner ?? { mode: item.mode }));
      backups.push(item.path + BACKUP_SUFFIX);
      await step(`backed-up ${item.path}`);
    }
    const ordered = [...items.filter((it) => it.content !== null), ...items.filter((it) => it.content === null)];
    for (const item of ordered) {
      const temp = staged.get(item.path);
      if (typeof temp === 'string') await rename(temp, item.path);
      else await unlink(item.path);
      swapped.push(item);
      await fsyncDir(dirname(item.path));
      await step(`swapped ${item.path}`);
    }
  } catch (error) {
    const failures = await rollback(swapped);
    await Promise.all(temps.map(unlinkQuiet));
    await removeDirs(createdDirs);
    const rolled = failures.length === 0 ? 'rolled back' : `ROLLBACK INCOMPLETE (${failures.join(', ')})`;
    throw new LkpError('FileSystem', `cannot swap in the sshd configuration (${rolled}): ${fsError('', error).message}`, {
      cause: error,
    });
  }

  // 4. Reload; a failed reload puts the old files back and tries to reload those.
  try {
    await options.reload();
    await step('reloaded');
  } catch (error) {
    const failures = await rollback(swapped);
    await removeDirs(createdDirs);
    const again =
      failures.length > 0
        ? `ROLLBACK INCOMPLETE (${failures.join(', ')})`
        : await Promise.resolve()
            .then(() => options.reload())
            .then(
              () => 'the old configuration is restored and reloaded',
              () => 'the old configuration is restored; reload sshd by hand',
            );
    const reason = error instanceof Error ? error.message : String(error);
    throw new LkpError('SshdReloadFailed', `sshd reload failed: ${reason} (${again})`, { cause: error });
  }
  return {
    changed: true,
    written: items.filter((it) => it.content !== null).map((it) => it.path),
    removed: items.filter((it) => it.content === null).map((it) => it.path),
    backups,
    warnings,
  };
};

/** --dry-run: the diff apply would make, read from the live files, with nothing written. */
export const previewSshdChange = async (files: readonly SshdFileWrite[]): Promise<string> => {
  // Shown as UTF-8 (what a person's terminal expects); the files themselves are handled as bytes.
  const show = (text: string | null): string | null => (text === null ? null : Buffer.from(text, ENCODING).toString('utf8'));
  const changes = await Promise.all(
    files.map(async (file) => ({ path: file.path, before: show(await readOptional(file.path)), content: show(file.content) })),
  );
  return diffSshdChanges(changes);
};

/** Read the main sshd_config and every file its Include lines reach, as planSshdEdit wants them. */
export const loadSshdConfigInput = async (options: {
  readonly mainPath: string;
  readonly sshDir?: string;
  readonly dropInName?: string;
}): Promise<SshdConfigInput> => {
  const sshDir = options.sshDir ?? DEFAULT_SSH_DIR;
  const mainText = await readOptional(options.mainPath);
  if (mainText === null) throw new LkpError('SshdConfigInvalid', `${options.mainPath} does not exist`);
  const included = new Map<string, string>();
  const visit = async (text: string, depth: number): Promise<void> => {
    if (depth >= 16) return;
    for (const line of parseSshdLines(text)) {
      if (line.kind !== 'directive' || line.key !== 'include') continue;
      for (const arg of line.args) {
        for (const path of await globFs(resolveIncludeArg(arg, sshDir))) {
          if (included.has(path)) continue;
          const body = await readOptional(path).catch(() => null);
          if (body === null) continue;
          included.set(path, body);
          await visit(body, depth + 1);
        }
      }
    }
  };
  await visit(mainText, 0);
  const includedFiles: SshdSourceFile[] = [...included].map(([path, text]) => ({ path, text }));
  return {
    mainPath: options.mainPath,
    mainText,
    includedFiles,
    sshDir,
    ...(options.dropInName === undefined ? {} : { dropInName: options.dropInName }),
  };
};
