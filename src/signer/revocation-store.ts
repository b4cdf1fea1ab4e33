// Where revocations are kept. The file store (for `lkp signer serve`) is one JSON file
// beside the config, replaced whole by rename (src/fs/write-atomic.ts) under a lock file
// taken by exclusive create, so concurrent `lkp signer revoke` runs never lose an entry
// and a reader never sees half a file. The DynamoDB store (for Lambda) is
// src/aws/dynamodb-revocations.ts, loaded only when the config names it.
// A store that cannot be read is an error, never an empty list: an empty KRL would quietly
// restore every revoked key.
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { LkpError } from '../errors.js';
import { writeAtomic } from '../fs/write-atomic.js';
import type { RevocationStoreConfig } from './config.js';
import { addRevocation, formatRevocationFile, parseRevocationFile, type Revocation } from './revocation.js';

export interface RevocationStore {
  /** For messages: `file /path` or `DynamoDB table T`. */
  readonly where: string;
  list(): Promise<readonly Revocation[]>;
  /** Records `r` unless the same thing is already revoked; returns the record that stands. */
  add(r: Revocation): Promise<{ readonly added: boolean; readonly revocation: Revocation }>;
  /** A value that changes when the stored list may have changed; absent when only time tells (DynamoDB). */
  readonly changeMark?: () => Promise<string>;
}

const LOCK_WAIT_MS = 10_000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Takes `${file}.lock` by exclusive create; a lock whose writer died is broken. */
const withLock = async <T>(file: string, fn: () => Promise<T>): Promise<T> => {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new LkpError('FileSystem', `cannot lock ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
      const holder = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
      const known = Number.isSafeInteger(holder) && holder > 0;
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      // A writer killed before it unlinked leaves its lock: its pid is gone (or, killed
      // before it wrote its pid, the lock is empty and old). Two processes breaking the same
      // stale lock at once could both proceed; that needs a crash first, and costs at most
      // the entry of one of them, which its `lkp signer revoke` then reports as added.
      if ((known && !alive(holder)) || (!known && age > LOCK_WAIT_MS)) await unlink(lock).catch(() => undefined);
      else if (Date.now() > deadline) throw new LkpError('FileSystem', `${lock} has been held for ${LOCK_WAIT_MS / 1000} s by process ${Number.isNaN(holder) ? '?' : holder}; remove it if no lkp is running`);
      else await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
};

const readList = async (file: string): Promise<readonly Revocation[]> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing revoked yet
    throw new LkpError('FileSystem', `cannot read revocations ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new LkpError('ConfigInvalid', `revocations ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseRevocationFile(doc, file);
};

/** The file store: `file` need not exist yet (nothing revoked). */
export const fileRevocationStore = (file: string): RevocationStore => ({
  where: `file ${file}`,
  list: () => readList(file),
  add: (r) =>
    withLock(file, async () => {
      const result = addRevocation(await readList(file), r);
      if (result.added) await writeAtomic(file, formatRevocationFile(result.list), { mode: 0o644, syncDir: true });
      return { added: result.added, revocation: result.revocation };
    }),
  changeMark: async () => {
    try {
      const s = await stat(file, { bigint: true });
      return `${s.ino}:${s.mtimeNs}:${s.size}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
      throw new LkpError('FileSystem', `cannot read revocations ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  },
});

/** Opens the configured store; the DynamoDB client loads only when the config names it. */
export const openRevocationStore = async (config: RevocationStoreConfig): Promise<RevocationStore> => {
  switch (config.store) {
    case 'file':
      return fileRevocationStore(config.file);
    case 'dynamodb': {
      const { dynamoDbRevocationStore } = await import('../aws/dynamodb-revocations.js');
      return dynamoDbRevocationStore({ table: config.table, ...(config.region ? { region: config.region } : {}) });
    }
  }
};
