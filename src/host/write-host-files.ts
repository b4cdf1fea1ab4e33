// Writes lkp's own host files atomically (temp file next to the target, fsync, rename)
// and remembers what was there, so a later failure (sshd -t, reload) can put every file
// back exactly as it was and remove the ones this run created.
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { readOptional } from '../fs/read-optional.js';
import { writeAtomic } from '../fs/write-atomic.js';
import type { HostFile } from './plan-host-files.js';

export interface WrittenHostFiles {
  /** True when any file's content changed. */
  readonly changed: boolean;
  /** Puts back the previous contents and removes files and folders this run created. */
  restore(): Promise<void>;
}

/** Lists the principals files that exist now. */
export const listFiles = async (dir: string): Promise<string[]> => {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.')).map((n) => path.join(dir, n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new LkpError('FileSystem', `cannot list ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
};

/**
 * Writes `files` and removes `remove`; returns a handle to undo it all, except the files in
 * `keepOnRestore` (written on their own terms: restore leaves them as written).
 */
export const writeHostFiles = async (files: readonly HostFile[], remove: readonly string[], keepOnRestore: ReadonlySet<string> = new Set()): Promise<WrittenHostFiles> => {
  const previous = new Map<string, Buffer | null>();
  const createdDirs: string[] = [];
  let changed = false;
  const restore = async (): Promise<void> => {
    for (const [file, content] of [...previous].reverse()) {
      if (keepOnRestore.has(file)) continue;
      if (content === null) await rm(file, { force: true });
      else await writeAtomic(file, content, 0o644);
    }
    for (const dir of createdDirs.reverse()) await rmdir(dir).catch(() => undefined);
  };
  try {
    for (const file of files) {
      const dir = path.dirname(file.path);
      const made = await mkdir(dir, { recursive: true, mode: 0o755 });
      if (made) {
        // mkdir reports the top-most folder it created; record every level down to `dir`.
        const chain: string[] = [];
        for (let d = dir; ; d = path.dirname(d)) {
          chain.unshift(d);
          if (d === made || d === path.dirname(d)) break;
        }
        createdDirs.push(...chain);
      }
      const before = await readOptional(file.path);
      if (before !== null && before.equals(typeof file.content === 'string' ? Buffer.from(file.content) : file.content)) continue;
      previous.set(file.path, before);
      await writeAtomic(file.path, file.content, { mode: file.mode, ...(file.check ? { check: file.check } : {}) });
      changed = true;
    }
    for (const file of remove) {
      const before = await readOptional(file);
      if (before === null) continue;
      previous.set(file, before);
      await rm(file, { force: true });
      changed = true;
    }
  } catch (error) {
    await restore();
    throw error;
  }
  return { changed, restore };
};
