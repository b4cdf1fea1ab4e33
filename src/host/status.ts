// `lkp host status`: what lkp installed and whether renewal is due, with exit codes a
// timer can use (0 fine, 1 renewal due, 12 missing, expired or invalid), as text for people
// or as JSON (--json) for fleet tooling: a stable, documented shape (docs/host-status.md).
import { fingerprint, type PublicKey } from '../ssh/public-key.js';
import { readHostKeys, type HostKey } from './host-keys.js';
import { hostLayout, type HostLayout } from './layout.js';
import { LkpError } from '../errors.js';
import { hostCertificateStatus, readTrustFile } from './read-host-state.js';
import type { CertState, CertStatus } from './renewal.js';
import { readInstalledKrl, readKrlRecord } from './revoked-keys.js';

/** Default bound on the revocation list's age before status warns (lkp-host-krl.timer refreshes it every few minutes). */
export const DEFAULT_KRL_MAX_AGE_SECONDS = 3600;

/** The RevokedKeys file, as status reports it. */
export interface KrlStatus {
  readonly path: string;
  readonly present: boolean;
  /** False when it does not parse: sshd then refuses every key login. */
  readonly valid: boolean;
  /** The KRL's own generation time (ISO), and when lkp last fetched it from the signer (null: never, an empty KRL). */
  readonly generatedAt: string | null;
  readonly fetchedAt: string | null;
  /** Seconds since the signer generated it. */
  readonly ageSeconds: number | null;
  readonly maxAgeSeconds: number;
  /** Older than maxAgeSeconds, never fetched, or absent. */
  readonly stale: boolean;
  readonly count: number | null;
}

// Small numbers of their own: lkp's error exit codes (src/errors.ts) start at 2 for usage
// and are never 1, so a timer can tell "renew" from "broken" from "lkp failed".
export const STATUS_EXIT = { ok: 0, due: 1, broken: 12 } as const;

/** `lkp host status --json`, version 1. Fields are only ever added. */
export interface HostStatusJson {
  readonly version: 1;
  /** Overall: ok, due (renew soon) or broken (missing, expired or invalid); matches the exit code. */
  readonly state: 'ok' | 'due' | 'broken';
  readonly exitCode: number;
  readonly trustFile: { readonly path: string; readonly present: boolean; readonly keys: readonly string[] };
  /** sshd's RevokedKeys file (additive in v1). */
  readonly revocations: KrlStatus;
  /** Sentences for people about what is not broken yet but needs a look (additive in v1). */
  readonly warnings: readonly string[];
  readonly certificates: ReadonlyArray<{
    readonly path: string;
    readonly hostKey: string;
    readonly keyType: string;
    readonly state: CertState;
    readonly reason: string;
    readonly renewalDue: boolean;
    readonly principals: readonly string[];
    readonly validAfter: string | null;
    readonly validBefore: string | null;
    readonly serial: string | null;
    readonly keyId: string | null;
  }>;
}

const iso = (seconds: bigint): string => new Date(Number(seconds) * 1000).toISOString();

const exitFor = (statuses: readonly CertStatus[], krl: KrlStatus): number => {
  if (statuses.some((s) => s.state === 'missing' || s.state === 'expired' || s.state === 'invalid')) return STATUS_EXIT.broken;
  if (krl.present && !krl.valid) return STATUS_EXIT.broken;
  if (statuses.some((s) => s.state === 'due')) return STATUS_EXIT.due;
  return STATUS_EXIT.ok;
};

const age = (seconds: number): string => (seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.floor(seconds / 60)} min` : `${Math.floor(seconds / 3600)} h`);

const krlWarnings = (k: KrlStatus): string[] => {
  if (!k.present) return [`${k.path} is absent: lkp host installs it on its next run (until then sshd enforces no revocations)`];
  if (!k.valid) return [`${k.path} does not parse, so sshd refuses every key login: run lkp host refresh-krl`];
  if (k.fetchedAt === null) return [`${k.path} has never been fetched from the signer (an empty list): is lkp-host-krl.timer running, and does the signer answer krl?`];
  if (k.stale) return [`${k.path} is ${age(k.ageSeconds ?? 0)} old, more than the ${age(k.maxAgeSeconds)} bound: is lkp-host-krl.timer running and the signer reachable?`];
  return [];
};

/** The JSON report (pure). */
export const statusReport = (o: { statuses: readonly CertStatus[]; hostKeys: readonly HostKey[]; trustPath: string; trusted: readonly PublicKey[] | null; revocations: KrlStatus }): HostStatusJson => {
  const exitCode = exitFor(o.statuses, o.revocations);
  const keyType = new Map(o.hostKeys.map((k) => [k.privatePath, k.key.type]));
  return {
    version: 1,
    state: exitCode === STATUS_EXIT.broken ? 'broken' : exitCode === STATUS_EXIT.due ? 'due' : 'ok',
    exitCode,
    trustFile: { path: o.trustPath, present: o.trusted !== null, keys: (o.trusted ?? []).map(fingerprint) },
    revocations: o.revocations,
    warnings: krlWarnings(o.revocations),
    certificates: o.statuses.map((s) => ({
      path: s.certPath,
      hostKey: s.hostKey,
      keyType: keyType.get(s.hostKey) ?? 'unknown',
      state: s.state,
      reason: s.reason,
      renewalDue: s.state !== 'ok',
      principals: s.cert ? [...s.cert.principals] : [],
      validAfter: s.cert ? iso(s.cert.validAfter) : null,
      validBefore: s.cert ? iso(s.cert.validBefore) : null,
      serial: s.cert ? s.cert.serial.toString() : null,
      keyId: s.cert ? s.cert.keyId : null,
    })),
  };
};

/** The revocation list's state: parsed, dated by its header, fetched per revoked_keys.json. */
export const krlStatus = async (layout: HostLayout, now: Date, maxAgeSeconds: number): Promise<KrlStatus> => {
  const base = { path: layout.revokedKeys, maxAgeSeconds };
  let installed: Awaited<ReturnType<typeof readInstalledKrl>>;
  try {
    installed = await readInstalledKrl(layout);
  } catch (error) {
    if (!(error instanceof LkpError && error.code === 'KeyInvalid')) throw error;
    return { ...base, present: true, valid: false, generatedAt: null, fetchedAt: null, ageSeconds: null, stale: true, count: null };
  }
  if (installed === null) return { ...base, present: false, valid: false, generatedAt: null, fetchedAt: null, ageSeconds: null, stale: true, count: null };
  const record = await readKrlRecord(layout);
  const generated = installed.header.generatedAt;
  const ageSeconds = Math.max(0, Math.floor(now.getTime() / 1000) - generated);
  // The record belongs to this file only when it names the same generation time.
  const generatedAt = new Date(generated * 1000).toISOString();
  const own = record !== null && record.generatedAt === generatedAt;
  const fetchedAt = own ? record.fetchedAt : null;
  return { ...base, present: true, valid: true, generatedAt, fetchedAt, ageSeconds, stale: fetchedAt === null || ageSeconds > maxAgeSeconds, count: own ? record.count : null };
};

/** Prints each certificate's state (or the JSON report); returns the exit code. */
export const hostStatus = async (sshDir: string, now: Date, out: (line: string) => void, opts: { json?: boolean; krlMaxAgeSeconds?: number } = {}): Promise<number> => {
  const layout = hostLayout(sshDir);
  const hostKeys = await readHostKeys(sshDir);
  const statuses = await hostCertificateStatus(layout, hostKeys, Math.floor(now.getTime() / 1000));
  const revocations = await krlStatus(layout, now, opts.krlMaxAgeSeconds ?? DEFAULT_KRL_MAX_AGE_SECONDS);
  const report = statusReport({ statuses, hostKeys, trustPath: layout.trustedUserCaKeys, trusted: await readTrustFile(layout), revocations });
  if (opts.json) {
    out(JSON.stringify(report, null, 2));
    return report.exitCode;
  }
  for (const s of statuses) {
    out(`${s.certPath}: ${s.state} (${s.reason})`);
    if (s.cert) {
      out(`  principals: ${s.cert.principals.join(', ')}`);
      out(`  valid: ${iso(s.cert.validAfter)} .. ${iso(s.cert.validBefore)}`);
      out(`  serial: ${s.cert.serial}  key id: ${s.cert.keyId}`);
    }
  }
  out(`${layout.trustedUserCaKeys}: ${report.trustFile.present ? `${report.trustFile.keys.length} user CA key(s) ${report.trustFile.keys.join(', ')}` : 'absent'}`);
  if (revocations.valid) {
    const count = revocations.count === null ? '' : `${revocations.count} revocation(s), `;
    out(`${revocations.path}: ${count}generated ${revocations.generatedAt} (${age(revocations.ageSeconds ?? 0)} ago), fetched ${revocations.fetchedAt ?? 'never'}`);
  }
  for (const w of report.warnings) out(`warning: ${w}`);
  return report.exitCode;
};
