// `lkp host status`: what lkp installed and whether renewal is due, with exit codes a
// timer can use (0 fine, 1 renewal due, 12 missing, expired or invalid), as text for people
// or as JSON (--json) for fleet tooling: a stable, documented shape (docs/host-status.md).
import { fingerprint, type PublicKey } from '../ssh/public-key.js';
import { readHostKeys, type HostKey } from './host-keys.js';
import { hostLayout } from './layout.js';
import { hostCertificateStatus, readTrustFile } from './read-host-state.js';
import type { CertState, CertStatus } from './renewal.js';

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

const exitFor = (statuses: readonly CertStatus[]): number => {
  if (statuses.some((s) => s.state === 'missing' || s.state === 'expired' || s.state === 'invalid')) return STATUS_EXIT.broken;
  if (statuses.some((s) => s.state === 'due')) return STATUS_EXIT.due;
  return STATUS_EXIT.ok;
};

/** The JSON report (pure). */
export const statusReport = (o: { statuses: readonly CertStatus[]; hostKeys: readonly HostKey[]; trustPath: string; trusted: readonly PublicKey[] | null }): HostStatusJson => {
  const exitCode = exitFor(o.statuses);
  const keyType = new Map(o.hostKeys.map((k) => [k.privatePath, k.key.type]));
  return {
    version: 1,
    state: exitCode === STATUS_EXIT.broken ? 'broken' : exitCode === STATUS_EXIT.due ? 'due' : 'ok',
    exitCode,
    trustFile: { path: o.trustPath, present: o.trusted !== null, keys: (o.trusted ?? []).map(fingerprint) },
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

/** Prints each certificate's state (or the JSON report); returns the exit code. */
export const hostStatus = async (sshDir: string, now: Date, out: (line: string) => void, opts: { json?: boolean } = {}): Promise<number> => {
  const layout = hostLayout(sshDir);
  const hostKeys = await readHostKeys(sshDir);
  const statuses = await hostCertificateStatus(layout, hostKeys, Math.floor(now.getTime() / 1000));
  const report = statusReport({ statuses, hostKeys, trustPath: layout.trustedUserCaKeys, trusted: await readTrustFile(layout) });
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
  return report.exitCode;
};
