// Ordinary OS failures at the CLI are typed errors naming the path and what to do, never
// "internal error" (exit 70).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lkp } from '../helpers/lkp.js';

describe('OS errors at the CLI', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('fail/lkp ca init --dir naming an existing file is a FileSystem error naming it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lkp-os-'));
    dirs.push(dir);
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await lkp(['ca', 'init', '--dir', file]);
    expect(r.code).toBe(44);
    expect(r.stderr).toContain(`lkp: FileSystem: ${file} `);
    expect(r.stderr).toMatch(/--dir/); // what to do
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('fail/lkp ca init --dir below a file is a FileSystem error too', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lkp-os-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const r = await lkp(['ca', 'init', '--dir', path.join(dir, 'a-file', 'ca')]);
    expect(r.code).toBe(44);
    expect(r.stderr).toContain(path.join(dir, 'a-file', 'ca'));
  });
});
