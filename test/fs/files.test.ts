// The one optional-file reader and the one atomic writer: absent is null and only that;
// replacement leaves the old or the new file, with its mode, and no temp behind.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { readOptional } from '../../src/fs/read-optional.js';
import { TEMP_NAME, writeAtomic, writeNewFile } from '../../src/fs/write-atomic.js';

describe('src/fs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lkp-fs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ok/readOptional: null only when the file does not exist', async () => {
    expect(await readOptional(path.join(dir, 'absent'))).toBeNull();
    writeFileSync(path.join(dir, 'f'), 'hé');
    expect(await readOptional(path.join(dir, 'f'), 'utf8')).toBe('hé');
    expect((await readOptional(path.join(dir, 'f')))?.equals(Buffer.from('hé'))).toBe(true);
  });

  it('fail/readOptional: a directory, a symlink loop or a symlink to nothing is a FileSystem error naming the path', async () => {
    mkdirSync(path.join(dir, 'd'));
    symlinkSync('loop', path.join(dir, 'loop'));
    symlinkSync('gone', path.join(dir, 'dangling'));
    for (const name of ['d', 'loop', 'dangling']) {
      const error = await readOptional(path.join(dir, name), 'utf8').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LkpError);
      expect((error as LkpError).code).toBe('FileSystem');
      expect((error as LkpError).message).toContain(path.join(dir, name));
    }
  });

  it('ok/writeAtomic replaces a file with its mode and leaves no temp file', async () => {
    const file = path.join(dir, 'f');
    writeFileSync(file, 'old');
    await writeAtomic(file, 'new', { mode: 0o640, syncDir: true });
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    await writeAtomic(file, Buffer.from([0xe9]), 0o600);
    expect(readFileSync(file).equals(Buffer.from([0xe9]))).toBe(true);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('fail/writeAtomic onto a directory is a FileSystem error, the directory stays and no temp is left', async () => {
    mkdirSync(path.join(dir, 'd'));
    const error = await writeAtomic(path.join(dir, 'd'), 'x', 0o644).catch((e: unknown) => e);
    expect((error as LkpError).code).toBe('FileSystem');
    expect(statSync(path.join(dir, 'd')).isDirectory()).toBe(true);
    expect(readdirSync(dir).filter((n) => TEMP_NAME.test(n))).toEqual([]);
  });

  it('fail/writeNewFile never replaces an existing file', async () => {
    writeFileSync(path.join(dir, 'f'), 'keep');
    const error = await writeNewFile(path.join(dir, 'f'), 'x', 0o600).catch((e: unknown) => e);
    expect((error as LkpError).code).toBe('FileSystem');
    expect(readFileSync(path.join(dir, 'f'), 'utf8')).toBe('keep');
  });
});
