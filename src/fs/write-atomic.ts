// Atomic file replacement: a temp file next to the target (same filesystem), fsync, rename.
// A reader, or a crash at any moment, sees the old file or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';

/** Writes one file atomically with `mode`. */
export const writeAtomic = async (file: string, content: string | Buffer, mode: number): Promise<void> => {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.lkp-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new LkpError('FileSystem', `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
};

