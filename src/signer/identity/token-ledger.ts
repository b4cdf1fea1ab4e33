// Remembers which join tokens were spent, and for which request, so each yields
// certificates for one request only. Redemption is one atomic step (`redeem`): a DynamoDB
// conditional put (src/aws/dynamodb-token-ledger.ts) implements it for a fleet of signers
// and every Lambda container. The file ledger is safe across processes on one machine:
// each redemption links a complete entry file into a name derived from the token, which
// the kernel grants to exactly one process.
// Redemption is idempotent per request: a client that timed out retries the very same
// request, and the signer may still be finishing the first attempt. The same token with
// the same request digest (action, public keys, login, target) is redeemed again, which
// re-issues a certificate for the same public keys (useless without their private keys);
// any other request finds the token spent.
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../../errors.js';
import type { TokenLedgerConfig } from '../config.js';

/** `first`: this request spent the token; `again`: the same request already had; `refused`: another request did. */
export type Redemption = 'first' | 'again' | 'refused';

export interface TokenLedger {
  /**
   * Spends token `id` (valid until `expiresAt`, Unix seconds) for the request with `digest`.
   * An in-memory ledger answers at once; shared ones (file, DynamoDB) answer with a promise.
   */
  redeem(id: string, expiresAt: number, digest: string): Redemption | Promise<Redemption>;
}

/** In-memory ledger (one process; a Lambda container). */
export const memoryTokenLedger = (now: () => number): TokenLedger => {
  const used = new Map<string, { exp: number; digest: string }>();
  let nextPrune = 0;
  return {
    redeem: (id, expiresAt, digest) => {
      const t = now();
      // Expired entries can go (their tokens are refused anyway); prune at most once a minute.
      if (t >= nextPrune) {
        for (const [k, entry] of used) if (entry.exp <= t) used.delete(k);
        nextPrune = t + 60;
      }
      const spent = used.get(id);
      if (spent) return spent.digest === digest ? 'again' : 'refused';
      used.set(id, { exp: expiresAt, digest });
      return 'first';
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
      // A temp file torn by a crash, or an entry torn under an older version (which counts
      // as spent): drop it only when it is a day old.
      const info = await stat(file).catch(() => undefined);
      if (info && info.mtimeMs / 1000 + 86400 < now) await unlink(file).catch(() => undefined);
    }
  }
};

const TEMP_PREFIX = '.tmp-';

/** The request digest an entry records; undefined for an unreadable entry or one written before digests (both spent for good). */
const spentFor = async (entry: string): Promise<string | undefined> => {
  try {
    const parsed = JSON.parse(await readFile(entry, 'utf8')) as { digest?: unknown };
    return typeof parsed.digest === 'string' ? parsed.digest : undefined;
  } catch {
    return undefined;
  }
};

const syncDir = async (dir: string): Promise<void> => {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
    redeem: async (id, expiresAt, digest) => {
      if (legacy.has(id)) return 'refused';
      const t = now();
      if (t >= nextPrune) {
        nextPrune = t + 60;
        await pruneExpired(dir, t);
      }
      const entry = path.join(dir, entryName(id));
      // The entry is written whole into a private temp file, then linked into place: link
      // never replaces a file, so exactly one process wins, and a crash leaves either no
      // entry or a complete one (never a torn one that a retry could not read).
      const temp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
      try {
        const handle = await open(temp, 'wx', 0o600);
        try {
          await handle.writeFile(`${JSON.stringify({ id, exp: expiresAt, digest })}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        try {
          await link(temp, entry);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await spentFor(entry)) === digest ? 'again' : 'refused';
          throw error;
        }
        await syncDir(dir); // the entry is durable before the certificate is issued
        return 'first';
      } catch (error) {
        throw new LkpError('Internal', `cannot record a spent join token in ${dir}`, { cause: error });
      } finally {
        await unlink(temp).catch(() => undefined);
      }
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
