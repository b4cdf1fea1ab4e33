// Remembers which join tokens were spent, so each yields one certificate. Redemption is
// one atomic step (`redeem`): a DynamoDB conditional put (src/aws/dynamodb-token-ledger.ts)
// implements it for a fleet of signers and every Lambda container. The file ledger is safe across processes on one machine: each
// redemption is an exclusive create of a file named for the token, which the kernel
// grants to exactly one process.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../../errors.js';
import type { TokenLedgerConfig } from '../config.js';

export interface TokenLedger {
  /** Marks token `id` (valid until `expiresAt`, Unix seconds) as spent; false when it already was. */
  redeem(id: string, expiresAt: number): Promise<boolean>;
}

/** In-memory ledger (one process; a Lambda container). */
export const memoryTokenLedger = (now: () => number): TokenLedger => {
  const used = new Map<string, number>();
  let nextPrune = 0;
  return {
    redeem: async (id, expiresAt) => {
      const t = now();
      // Expired entries can go (their tokens are refused anyway); prune at most once a minute.
      if (t >= nextPrune) {
        for (const [k, exp] of used) if (exp <= t) used.delete(k);
        nextPrune = t + 60;
      }
      if (used.has(id)) return false;
      used.set(id, expiresAt);
      return true;
    },
  };
};

/** Where the file ledger keeps its entries: a folder beside the configured ledger file. */
export const ledgerDirFor = (file: string): string => `${file}.d`;

const entryName = (id: string): string => createHash('sha256').update(id).digest('hex');

/** Ids the ledger file of earlier versions (JSON lines `{"id","exp"}`) lists as spent. */
const legacyEntries = async (file: string, now: number): Promise<Set<string>> => {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new LkpError('ConfigInvalid', `cannot read token ledger ${file}`, { cause: error });
  }
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { id?: unknown; exp?: unknown };
      if (typeof entry.id === 'string' && typeof entry.exp === 'number' && entry.exp > now) ids.add(entry.id);
    } catch {
      // a torn last line from a crash: ignore it
    }
  }
  return ids;
};

/** Removes entries of tokens that expired (they are refused before the ledger is asked). */
const pruneExpired = async (dir: string, now: number): Promise<void> => {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    try {
      const entry = JSON.parse(await readFile(file, 'utf8')) as { exp?: unknown };
      if (typeof entry.exp === 'number' && entry.exp + 60 < now) await unlink(file);
    } catch {
      // An entry torn by a crash counts as spent; drop it only when it is a day old.
      const info = await stat(file).catch(() => undefined);
      if (info && info.mtimeMs / 1000 + 86400 < now) await unlink(file).catch(() => undefined);
    }
  }
};

/** File-backed ledger shared by every signer process using the same config. */
export const fileTokenLedger = async (file: string, now: () => number): Promise<TokenLedger> => {
  const dir = ledgerDirFor(file);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new LkpError('ConfigInvalid', `cannot create token ledger folder ${dir}`, { cause: error });
  }
  const legacy = await legacyEntries(file, now());
  let nextPrune = 0;
  return {
    redeem: async (id, expiresAt) => {
      if (legacy.has(id)) return false;
      const t = now();
      if (t >= nextPrune) {
        nextPrune = t + 60;
        await pruneExpired(dir, t);
      }
      let handle;
      try {
        handle = await open(path.join(dir, entryName(id)), 'wx', 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw new LkpError('Internal', `cannot record a spent join token in ${dir}`, { cause: error });
      }
      try {
        await handle.writeFile(`${JSON.stringify({ id, exp: expiresAt })}\n`);
        await handle.sync(); // durable before the certificate is issued
      } finally {
        await handle.close();
      }
      return true;
    },
  };
};

/** Opens the configured ledger; the DynamoDB client loads only when the config names it. */
export const openTokenLedger = async (config: TokenLedgerConfig, now: () => number): Promise<TokenLedger> => {
  switch (config.store) {
    case 'memory':
      return memoryTokenLedger(now);
    case 'file':
      return fileTokenLedger(config.file, now);
    case 'dynamodb': {
      const { dynamoDbTokenLedger } = await import('../../aws/dynamodb-token-ledger.js');
      return dynamoDbTokenLedger({ table: config.table, ...(config.region ? { region: config.region } : {}) });
    }
  }
};
