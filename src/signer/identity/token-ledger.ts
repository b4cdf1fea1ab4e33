// Remembers which join tokens were used, so each works once. The file ledger survives a
// restart of the local signer; entries are dropped once their token has expired anyway.
import { appendFile, readFile } from 'node:fs/promises';
import { LkpError } from '../../errors.js';

export interface TokenLedger {
  /** Records `id` as used; false when it was already used. */
  consume(id: string, expiresAt: number): Promise<boolean>;
}

/** In-memory ledger (one process; a Lambda container). */
export const memoryTokenLedger = (now: () => number): TokenLedger => {
  const used = new Map<string, number>();
  let nextPrune = 0;
  return {
    consume: async (id, expiresAt) => {
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

/** File-backed ledger: JSON lines `{"id","exp"}`, appended before a token is honoured. */
export const fileTokenLedger = async (file: string, now: () => number): Promise<TokenLedger> => {
  const memory = memoryTokenLedger(now);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new LkpError('ConfigInvalid', `cannot read token ledger ${file}`, { cause: error });
  }
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { id?: unknown; exp?: unknown };
      if (typeof entry.id === 'string' && typeof entry.exp === 'number') await memory.consume(entry.id, entry.exp);
    } catch {
      // a torn last line from a crash: ignore it, the token stays unused
    }
  }
  let queue: Promise<unknown> = Promise.resolve();
  return {
    consume: async (id, expiresAt) => {
      if (!(await memory.consume(id, expiresAt))) return false;
      const write = queue.then(() => appendFile(file, `${JSON.stringify({ id, exp: expiresAt })}\n`, { mode: 0o600 }));
      queue = write.catch(() => undefined);
      await write; // durable before the certificate is issued
      return true;
    },
  };
};
