// Cached user certificates, one entry per (signer, instance, login, key), so a second
// `lkp ssh exec` needs neither the signer nor AWS. Entries are 0600 files written
// atomically; concurrent runs for different instances never touch the same files.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomic } from '../fs/write-atomic.js';
import { parseCertificate, verifyCertificate } from '../ssh/parse-certificate.js';
import { parsePublicKey, type PublicKey } from '../ssh/public-key.js';
import { isPlainAddress } from './ssh-config.js';

export interface CacheKey {
  readonly signer: string;
  readonly instanceId: string;
  readonly login: string;
  readonly keyFingerprint: string;
  /** Which address was resolved (or `fixed:ADDR` for --address): entries never serve another. */
  readonly addressMode: string;
}

export interface CacheEntry {
  readonly version: 1;
  readonly certificate: string;
  readonly principal: string;
  readonly address: string;
  readonly hostCaKeys: readonly string[];
  readonly validBefore: number;
  /** What the entry is for (written since `lkp ssh list`; older entries lack it). */
  readonly for?: CacheKey;
}

export interface CachePaths {
  readonly json: string;
  readonly cert: string;
  /** The key the paths were derived from: recorded in the entry so `lkp ssh list` can name it. */
  readonly key?: CacheKey;
}

/** Where an entry lives: a hash of the key, so any names stay out of file names. */
export const cachePaths = (dir: string, key: CacheKey): CachePaths => {
  const id = createHash('sha256').update(JSON.stringify([key.signer, key.instanceId, key.login, key.keyFingerprint, key.addressMode])).digest('hex').slice(0, 32);
  return { json: path.join(dir, `${id}.json`), cert: path.join(dir, `${id}-cert.pub`), key };
};

/** Seconds of validity a cached certificate must still have to be used. */
export const safetyMargin = (lifetime: number): number => Math.min(300, Math.floor(lifetime / 4));

/** Returns a usable entry, or undefined (missing, damaged, expiring, other key or principal). */
export const readCacheEntry = async (paths: CachePaths, expect: { key: PublicKey; principal: string; now: number }): Promise<CacheEntry | undefined> => {
  let entry: CacheEntry;
  let certText: string;
  try {
    // Sync: two small files, and the cache-hit path then never starts libuv's thread pool.
    entry = JSON.parse(readFileSync(paths.json, 'utf8')) as CacheEntry;
    certText = readFileSync(paths.cert, 'utf8');
  } catch {
    return undefined;
  }
  if (entry.version !== 1 || certText.trim() !== entry.certificate) return undefined;
  // What reaches ssh (the address as its destination or HostName, the keys as known_hosts
  // lines) must be what lkp itself would have written: anything else is refetched.
  if (typeof entry.address !== 'string' || !isPlainAddress(entry.address) || !Array.isArray(entry.hostCaKeys)) return undefined;
  try {
    for (const k of entry.hostCaKeys) if (typeof k !== 'string' || !/^[\x20-\x7e]+$/.test(k) || !k.startsWith(`${parsePublicKey(k).type} `)) return undefined;
    const cert = parseCertificate(entry.certificate);
    verifyCertificate(cert, { trustedCaKeys: [cert.signatureKey], certType: 'user', subjectKey: expect.key, principal: expect.principal, now: BigInt(expect.now) });
    const lifetime = Number(cert.validBefore - cert.validAfter);
    if (Number(cert.validBefore) - expect.now <= safetyMargin(lifetime)) return undefined;
  } catch {
    return undefined;
  }
  return entry;
};

/** Writes an entry (certificate file first, then the JSON that vouches for it). */
export const writeCacheEntry = async (paths: CachePaths, entry: CacheEntry): Promise<void> => {
  await mkdir(path.dirname(paths.json), { recursive: true, mode: 0o700 });
  await writeAtomic(paths.cert, `${entry.certificate}\n`, 0o600);
  const recorded: CacheEntry = paths.key ? { ...entry, for: paths.key } : entry;
  await writeAtomic(paths.json, `${JSON.stringify(recorded)}\n`, 0o600);
};
