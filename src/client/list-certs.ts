// `lkp ssh list`: what the certificate cache holds. The cache names its files by a hash,
// so each entry is read back and described from what it recorded (instance, login, signer)
// and from the certificate itself (validity, key). Entries written before lkp recorded
// what they are for still list: instance and login come from the certificate's principal.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCertificate, type ParsedCertificate } from '../ssh/parse-certificate.js';
import { fingerprint } from '../ssh/public-key.js';
import type { CacheEntry } from './cert-cache.js';

export interface CachedCertificate {
  readonly instanceId: string;
  readonly login: string;
  readonly principal: string;
  /** The signer function the certificate was asked of; null for entries older than this field. */
  readonly signer: string | null;
  readonly address: string;
  readonly validAfter: number;
  readonly validBefore: number;
  readonly expired: boolean;
  /** SHA256 fingerprint of the certified key (the laptop's key). */
  readonly keyFingerprint: string;
  /** SHA256 fingerprint of the user CA that signed it. */
  readonly caFingerprint: string;
  readonly serial: string;
  readonly keyId: string;
  readonly certificateFile: string;
  readonly entryFile: string;
  /** The certificate line (for matching the agent's copies; not printed). */
  readonly line: string;
}

/** The cache folder under an lkp home. */
export const cacheDir = (home: string): string => path.join(home, 'cache');

/** Describes one entry, or undefined when it is damaged (it is then only removed, never listed). */
export const describeEntry = (entry: CacheEntry, files: { json: string; cert: string }, now: number): CachedCertificate | undefined => {
  let cert: ParsedCertificate;
  try {
    if (entry.version !== 1 || typeof entry.certificate !== 'string') return undefined;
    cert = parseCertificate(entry.certificate);
  } catch {
    return undefined;
  }
  const principal = cert.principals[0] ?? entry.principal;
  const at = principal.lastIndexOf('@');
  return {
    instanceId: entry.for?.instanceId ?? principal.slice(at + 1),
    login: entry.for?.login ?? principal.slice(0, Math.max(at, 0)),
    principal,
    signer: entry.for?.signer ?? null,
    address: entry.address,
    validAfter: Number(cert.validAfter),
    validBefore: Number(cert.validBefore),
    expired: Number(cert.validBefore) <= now,
    keyFingerprint: fingerprint(cert.key),
    caFingerprint: fingerprint(cert.signatureKey),
    serial: cert.serial.toString(),
    keyId: cert.keyId,
    certificateFile: files.cert,
    entryFile: files.json,
    line: entry.certificate,
  };
};

/** Every readable entry in the cache, ordered by instance, login, expiry. */
export const listCachedCertificates = async (home: string, now: number): Promise<CachedCertificate[]> => {
  const dir = cacheDir(home);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return []; // no cache yet
  }
  const out: CachedCertificate[] = [];
  for (const name of names.filter((n) => /^[0-9a-f]{32}\.json$/.test(n))) {
    const files = { json: path.join(dir, name), cert: path.join(dir, `${name.slice(0, -'.json'.length)}-cert.pub`) };
    let entry: CacheEntry;
    try {
      entry = JSON.parse(await readFile(files.json, 'utf8')) as CacheEntry;
    } catch {
      continue;
    }
    const described = entry && typeof entry === 'object' ? describeEntry(entry, files, now) : undefined;
    if (described) out.push(described);
  }
  return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId) || a.login.localeCompare(b.login) || a.validBefore - b.validBefore);
};

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');

const remaining = (seconds: number): string => {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
};

/** The JSON form (`lkp ssh list --json`): stable field names, times as ISO 8601 and seconds. */
export const listJson = (home: string, certs: readonly CachedCertificate[], now: number) => ({
  version: 1,
  cache: cacheDir(home),
  certificates: certs.map((c) => ({
    instanceId: c.instanceId,
    login: c.login,
    principal: c.principal,
    signer: c.signer,
    address: c.address,
    validAfter: iso(c.validAfter),
    validBefore: iso(c.validBefore),
    status: c.expired ? 'expired' : 'valid',
    expiresInSeconds: Math.max(0, c.validBefore - now),
    keyFingerprint: c.keyFingerprint,
    caFingerprint: c.caFingerprint,
    serial: c.serial,
    keyId: c.keyId,
    certificateFile: c.certificateFile,
  })),
});

/** The table `lkp ssh list` prints. */
export const formatList = (home: string, certs: readonly CachedCertificate[], now: number): string[] => {
  if (certs.length === 0) return [`no cached certificates (in ${cacheDir(home)})`];
  const rows = [
    ['INSTANCE', 'LOGIN', 'SIGNER', 'ADDRESS', 'EXPIRES', 'STATUS', 'KEY'],
    ...certs.map((c) => [c.instanceId, c.login, c.signer ?? '-', c.address, iso(c.validBefore), c.expired ? 'expired' : `valid (${remaining(c.validBefore - now)} left)`, c.keyFingerprint]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
};
