// The file and memory ledgers on their own: a token is spent for one request digest; the
// same digest redeems it again (a client retry), any other is refused; an entry appears
// whole or not at all, and an unreadable or digest-less entry stays spent.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileTokenLedger, ledgerDirFor, memoryTokenLedger } from '../../../src/signer/identity/token-ledger.js';
import { tempDir } from '../../helpers/temp.js';

const now = (): number => Math.floor(Date.now() / 1000);
const entryFile = (ledger: string, id: string): string => path.join(ledgerDirFor(ledger), createHash('sha256').update(id).digest('hex'));
const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);

describe('token ledgers', () => {
  it('ok/file ledger: the same digest redeems again, another digest is refused, also from a second process view', async () => {
    const file = path.join(tempDir('lkp-ledger-'), 'used.jsonl');
    const a = await fileTokenLedger(file, now);
    const b = await fileTokenLedger(file, now);
    const id = randomUUID();
    expect(await a.redeem(id, now() + 600, D1)).toBe('first');
    expect(await b.redeem(id, now() + 600, D1)).toBe('again');
    expect(await a.redeem(id, now() + 600, D1)).toBe('again');
    expect(await b.redeem(id, now() + 600, D2)).toBe('refused');
    // The entry is complete and no temp file is left behind.
    expect(JSON.parse(readFileSync(entryFile(file, id), 'utf8'))).toMatchObject({ id, digest: D1 });
    expect(readdirSync(ledgerDirFor(file))).toHaveLength(1);
  });

  it('fail/file ledger: concurrent redemptions with different digests: exactly one wins; with one digest: all succeed, one first', async () => {
    const file = path.join(tempDir('lkp-ledger-'), 'used.jsonl');
    const ledgers = await Promise.all([fileTokenLedger(file, now), fileTokenLedger(file, now)]);
    const id = randomUUID();
    const mixed = await Promise.all(Array.from({ length: 20 }, (_, i) => ledgers[i % 2]!.redeem(id, now() + 600, String(i).padStart(64, '0'))));
    expect(mixed.filter((r) => r === 'first')).toHaveLength(1);
    expect(mixed.filter((r) => r === 'refused')).toHaveLength(19);
    const same = randomUUID();
    const retries = await Promise.all(Array.from({ length: 20 }, (_, i) => ledgers[i % 2]!.redeem(same, now() + 600, D1)));
    expect(retries.filter((r) => r === 'first')).toHaveLength(1);
    expect(retries.filter((r) => r === 'again')).toHaveLength(19);
  });

  it('fail/file ledger: an entry torn by a crash, or written before digests, stays spent for every request', async () => {
    const file = path.join(tempDir('lkp-ledger-'), 'used.jsonl');
    mkdirSync(ledgerDirFor(file), { recursive: true });
    const torn = randomUUID();
    const old = randomUUID();
    writeFileSync(entryFile(file, torn), '');
    writeFileSync(entryFile(file, old), `${JSON.stringify({ id: old, exp: now() + 600 })}\n`);
    const ledger = await fileTokenLedger(file, now);
    for (const id of [torn, old]) {
      expect(await ledger.redeem(id, now() + 600, D1)).toBe('refused');
      expect(await ledger.redeem(id, now() + 600, '')).toBe('refused');
    }
  });

  it('ok/memory ledger: the same digest redeems again, another is refused', async () => {
    const ledger = memoryTokenLedger(now);
    expect(await ledger.redeem('t', now() + 600, D1)).toBe('first');
    expect(await ledger.redeem('t', now() + 600, D1)).toBe('again');
    expect(await ledger.redeem('t', now() + 600, D2)).toBe('refused');
  });
});
