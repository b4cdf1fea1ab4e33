// The one way lkp reads a file that may not exist: absent (ENOENT) is null, and only that.
// Anything else (a directory, a symlink loop, no permission) is an error naming the path,
// because treating an unreadable file as absent silently turns state into a first boot.
import { lstatSync, readFileSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { LkpError } from '../errors.js';

const code = (error: unknown): string => (error as NodeJS.ErrnoException)?.code ?? String(error);

/** The file's bytes, or null when it does not exist; any other failure is LkpError('FileSystem'). */
export async function readOptional(file: string): Promise<Buffer | null>;
/** The file's text in `encoding`, or null when it does not exist; any other failure is LkpError('FileSystem'). */
export async function readOptional(file: string, encoding: BufferEncoding): Promise<string | null>;
export async function readOptional(file: string, encoding?: BufferEncoding): Promise<Buffer | string | null> {
  try {
    return encoding === undefined ? await readFile(file) : await readFile(file, encoding);
  } catch (error) {
    if (code(error) === 'ENOENT') {
      // A symlink whose target is gone is not an absent file: something is there, broken.
      const link = await lstat(file).catch(() => null);
      if (link === null) return null;
      throw new LkpError('FileSystem', `cannot read ${file}: it is a symlink to nothing`, { cause: error });
    }
    throw new LkpError('FileSystem', `cannot read ${file}: ${code(error)}`, { cause: error });
  }
}

/**
 * readOptional without the thread pool, for a short-lived process's few small files (the
 * `lkp ssh exec` cache hit never starts libuv's threads): same answers, same errors.
 */
export function readOptionalSync(file: string, encoding: BufferEncoding): string | null {
  try {
    return readFileSync(file, encoding);
  } catch (error) {
    if (code(error) === 'ENOENT') {
      let link: unknown = null;
      try {
        link = lstatSync(file);
      } catch {
        link = null;
      }
      if (link === null) return null;
      throw new LkpError('FileSystem', `cannot read ${file}: it is a symlink to nothing`, { cause: error });
    }
    throw new LkpError('FileSystem', `cannot read ${file}: ${code(error)}`, { cause: error });
  }
}
