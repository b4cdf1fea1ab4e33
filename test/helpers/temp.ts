// Everything a test file leaves in /tmp or leaves running goes away when the file ends,
// passed or failed: `tempDir()` makes a folder and `onCleanup(fn)` registers any other
// undo (stop a process, close a server). test/helpers/cleanup-setup.ts (a vitest setup
// file) runs `cleanupAll` in an afterAll of every test file. Folders may hold CA private
// keys, so none may outlive the run (scripts/test.js counts leftovers and fails on them).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dirs = new Set<string>();
const undo: Array<() => unknown> = [];

/** A fresh folder under the OS temp folder, removed when the test file ends. */
export const tempDir = (prefix = 'lkp-test-'): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(dir);
  return dir;
};

/** Registers an existing folder for removal when the test file ends. */
export const removeLater = (dir: string): string => {
  dirs.add(dir);
  return dir;
};

/** Runs `fn` when the test file ends (before the folders are removed; last registered first). */
export const onCleanup = (fn: () => unknown): void => {
  undo.push(fn);
};

/** Runs every registered undo, then removes every registered folder; errors are collected, not lost. */
export const cleanupAll = async (): Promise<void> => {
  const errors: unknown[] = [];
  for (const fn of undo.splice(0).reverse()) {
    try {
      await fn();
    } catch (error) {
      errors.push(error);
    }
  }
  for (const dir of [...dirs]) {
    dirs.delete(dir);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'test cleanup failed');
};
