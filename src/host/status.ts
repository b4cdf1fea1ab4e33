// `lkp host status`: what lkp installed and whether renewal is due, with exit codes a
// timer can use (0 fine, 1 renewal due, 12 missing, expired or invalid).
import { readHostKeys } from './host-keys.js';
import { hostLayout } from './layout.js';
import { hostCertificateStatus } from './read-host-state.js';

// Small numbers of their own: lkp's error exit codes (src/errors.ts) start at 2 for usage
// and are never 1, so a timer can tell "renew" from "broken" from "lkp failed".
export const STATUS_EXIT = { ok: 0, due: 1, broken: 12 } as const;

/** Prints each certificate's state; returns the exit code. */
export const hostStatus = async (sshDir: string, now: Date, out: (line: string) => void): Promise<number> => {
  const layout = hostLayout(sshDir);
  const statuses = await hostCertificateStatus(layout, await readHostKeys(sshDir), Math.floor(now.getTime() / 1000));
  for (const s of statuses) {
    out(`${s.certPath}: ${s.state} (${s.reason})`);
    if (s.cert) {
      out(`  principals: ${s.cert.principals.join(', ')}`);
      out(`  valid: ${new Date(Number(s.cert.validAfter) * 1000).toISOString()} .. ${new Date(Number(s.cert.validBefore) * 1000).toISOString()}`);
      out(`  serial: ${s.cert.serial}  key id: ${s.cert.keyId}`);
    }
  }
  if (statuses.some((s) => s.state === 'missing' || s.state === 'expired' || s.state === 'invalid')) return STATUS_EXIT.broken;
  if (statuses.some((s) => s.state === 'due')) return STATUS_EXIT.due;
  return STATUS_EXIT.ok;
};
