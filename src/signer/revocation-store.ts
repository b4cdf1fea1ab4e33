// Where revocations are kept. The file store (for `lkp signer serve`) is one JSON file
// beside the config, replaced whole by rename (src/fs/write-atomic.ts) under a lock file
// taken by exclusive create, so concurrent `lkp signer revoke` runs never lose an entry
// and a reader never sees half a file. The DynamoDB store (for Lambda) is
// src/aws/dynamodb-revocations.ts, loaded only when the config names it.
// A store that cannot be read is an error, never an empty list: an empty KRL would quietly
// restore every revoked key. That includes a missing file (a wrong path, a deletion, a
// restore that missed it): `lkp ca init` and `lkp signer serve` create the empty file, so
// absent means lost, not "nothing revoked yet".
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { LkpError } from '../errors.js';
import { tempPathFor, writeAtomic, writeNewFile } from '../fs/write-atomic.js';
import type { RevocationStoreConfig } from './config.js';
import { addRevocation, formatRevocationFile, parseRevocationFile, revocationKey, type Revocation } from './revocation.js';

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

const errno = (error: unknown): string => (error as NodeJS.ErrnoException)?.code ?? String(error);

/**
 * Moves a lock judged stale out of the way. Only one process wins the rename; the winner then
 * checks it moved the very file it judged (same inode: the open handle keeps it from being
 * reused), and puts a fresh lock it moved by mistake back (link, which never overwrites).
 */
const breakStaleLock = async (lock: string, staleIno: bigint): Promise<void> => {
  const aside = `${lock}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(lock, aside);
  } catch (error) {
    if (errno(error) === 'ENOENT') return; // another process broke it first
    throw new LkpError('FileSystem', `cannot break the stale lock ${lock}: ${errno(error)}`, { cause: error });
  }
  const moved = await stat(aside, { bigint: true }).catch(() => undefined);
  // Another process broke the stale lock and took a fresh one between our look and our rename.
  if (moved && moved.ino !== staleIno) await link(aside, lock).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
};

/**
 * Takes `${file}.lock` by exclusive create; a lock whose writer died is broken. `fn` gets
 * `held()`, true while the lock is still the one this call created (same inode): a process
 * that broke a stale lock can, in a narrow race, move a fresh one aside for a moment.
 */
const withLock = async <T>(file: string, fn: (held: () => Promise<boolean>) => Promise<T>): Promise<T> => {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let mine: bigint;
  for (;;) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
        mine = (await handle.stat({ bigint: true })).ino;
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if (errno(error) !== 'EEXIST') throw new LkpError('FileSystem', `cannot lock ${file}: ${errno(error)}`, { cause: error });
      // The holder's pid and the lock's inode from one open file, so they belong together.
      const seen = await open(lock, 'r').then(
        async (h) => {
          try {
            return { text: await h.readFile('utf8'), st: await h.stat({ bigint: true }) };
          } finally {
            await h.close();
          }
        },
        () => undefined,
      );
      if (!seen) {
        // Released (or broken) meanwhile: try again at once, unless it cannot be read at all.
        if (Date.now() > deadline) throw new LkpError('FileSystem', `cannot take or read the lock ${lock}`);
        continue;
      }
      const holder = Number.parseInt(seen.text, 10);
      const known = Number.isSafeInteger(holder) && holder > 0;
      const age = Date.now() - Number(seen.st.mtimeMs);
      // A writer killed before it unlinked leaves its lock: its pid is gone (or, killed
      // before it wrote its pid, the lock is empty and old).
      if ((known && !alive(holder)) || (!known && age > LOCK_WAIT_MS)) await breakStaleLock(lock, seen.st.ino);
      else if (Date.now() > deadline) throw new LkpError('FileSystem', `${lock} has been held for ${LOCK_WAIT_MS / 1000} s by process ${Number.isNaN(holder) ? '?' : holder}; remove it if no lkp is running`);
      else await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
    }
  }
  const held = async (): Promise<boolean> => (await stat(lock, { bigint: true }).catch(() => undefined))?.ino === mine;
  try {
    return await fn(held);
  } finally {
    // Never remove a lock someone else holds now.
    if (await held()) await unlink(lock).catch(() => undefined);
  }
};

/** How often an add starts over after losing its lock or finding its entry overwritten. */
const ADD_ATTEMPTS = 5;

const readList = async (file: string): Promise<readonly Revocation[]> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errno(error) === 'ENOENT') {
      throw new LkpError('FileSystem', `revocations file ${file} is missing (an absent file is never read as "nothing revoked"): restore it if it was moved or deleted; for a config that only now names it, start lkp signer serve once (it creates it) or write {"version":1,"revocations":[]} there`, { cause: error });
    }
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

/**
 * Creates an empty revocations file unless one exists (`lkp ca init`, `lkp signer serve` at
 * start). Written whole beside it, then linked into place: link never replaces, so a file
 * another process wrote meanwhile (a revocation) stays. True when this call created it.
 */
export const ensureRevocationFile = async (file: string): Promise<boolean> => {
  const temp = tempPathFor(file);
  await writeNewFile(temp, formatRevocationFile([]), { mode: 0o644 });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if (errno(error) === 'EEXIST') return false;
    throw new LkpError('FileSystem', `cannot create revocations file ${file}: ${errno(error)}`, { cause: error });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
};

/** The file store: `file` must exist (ensureRevocationFile); a missing one is FileSystem. */
export const fileRevocationStore = (file: string): RevocationStore => ({
  where: `file ${file}`,
  list: () => readList(file),
  add: async (r) => {
    const key = revocationKey(r);
    for (let attempt = 1; attempt <= ADD_ATTEMPTS; attempt += 1) {
      const outcome = await withLock(file, async (held) => {
        const result = addRevocation(await readList(file), r);
        if (!result.added) return { added: false, revocation: result.revocation };
        // Lost the lock (see withLock): another writer may be writing; start over, never over it.
        if (!(await held())) return undefined;
        await writeAtomic(file, formatRevocationFile(result.list), { mode: 0o644, syncDir: true });
        // Read back: an entry reported as added must be in the file. If another writer
        // replaced the file meanwhile, it is added again (adding is idempotent).
        return (await readList(file)).some((x) => revocationKey(x) === key) ? { added: true, revocation: result.revocation } : undefined;
      });
      if (outcome) return outcome;
    }
    throw new LkpError('FileSystem', `${file} kept changing under its lock while the revocation was written, and it is not there; run the command again`);
  },
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
