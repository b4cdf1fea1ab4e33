// The one way lkp replaces a file: a complete, fsynced temp file next to the target (same
// filesystem, created with O_EXCL), then rename(2). A reader, or a crash at any moment,
// sees the old file or the new one, never half of one. Temp names are hidden and carry the
// writer's pid, so a later run can tell a killed run's leftovers from a live run's files.
import { randomBytes } from 'node:crypto';
// fs/promises, not fs: an ESM import of node:fs loads its streams too (lkp ssh exec's hit path).
import { constants as fsConstants, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';

/** Matches temp names made by tempPathFor; group 1 is the writer's pid. */
export const TEMP_NAME = /^\..+\.lkp-(?:tmp|check)-(\d+)-[0-9a-f]+$/;

/** A hidden temp path next to `target` (no Include glob like `*` or `*.conf` reads it), tagged with our pid. */
export const tempPathFor = (target: string, kind: 'tmp' | 'check' = 'tmp'): string =>
  path.join(path.dirname(target), `.${path.basename(target)}.lkp-${kind}-${process.pid}-${randomBytes(6).toString('hex')}`);

export interface WriteOptions {
  readonly mode: number;
  /** Owner to give the file (kept when lkp replaces a file someone else owns); default: ours. */
  readonly uid?: number;
  readonly gid?: number;
  /** How a string content is encoded; default utf8 (sshd files use latin1: one char per byte). */
  readonly encoding?: BufferEncoding;
  /** fsync the directory after the rename, so the new name itself survives a crash. */
  readonly syncDir?: boolean;
  /** Vets the complete temp file (the very bytes about to be renamed into place); a throw keeps the old file. */
  readonly check?: (candidate: string) => Promise<void>;
}

const options = (mode: number | WriteOptions): WriteOptions => (typeof mode === 'number' ? { mode } : mode);

const failed = (what: string, file: string, error: unknown): LkpError =>
  error instanceof LkpError ? error : new LkpError('FileSystem', `cannot ${what} ${file}: ${(error as NodeJS.ErrnoException)?.code ?? String(error)}`, { cause: error });

const create = async (file: string, content: string | Buffer, o: WriteOptions): Promise<void> => {
  // 0600 until complete: nobody reads a half-written file through a wider mode.
  const handle = await open(file, 'wx', 0o600);
  try {
    await (typeof content === 'string' ? handle.writeFile(content, o.encoding ?? 'utf8') : handle.writeFile(content));
    const uid = o.uid ?? process.getuid?.();
    const gid = o.gid ?? process.getgid?.();
    if (uid !== undefined && gid !== undefined && (uid !== process.getuid?.() || gid !== process.getgid?.())) await handle.chown(uid, gid);
    await handle.chmod(o.mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/** Creates `file`, which must not exist (O_EXCL), with mode and owner, complete and fsynced. */
export const writeNewFile = async (file: string, content: string | Buffer, mode: number | WriteOptions): Promise<void> => {
  try {
    await create(file, content, options(mode));
  } catch (error) {
    throw failed('write', file, error);
  }
};

/** fsyncs a directory, making renames and unlinks in it durable. */
export const syncDir = async (dir: string): Promise<void> => {
  try {
    const handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw failed('sync', dir, error);
  }
};

/** Replaces (or creates) `file` atomically with `content`; `mode` is a number or WriteOptions. */
export const writeAtomic = async (file: string, content: string | Buffer, mode: number | WriteOptions): Promise<void> => {
  const o = options(mode);
  const temp = tempPathFor(file);
  try {
    await create(temp, content, o);
    if (o.check) await o.check(temp);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw failed('write', file, error);
  }
  if (o.syncDir) await syncDir(path.dirname(file));
};
