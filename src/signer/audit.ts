// One JSON audit line per decision, issued or denied. Carries what an investigator needs
// (who, what, which keys, which serials, why) and never a token, proof or key.

export interface AuditRecord {
  readonly ts: string;
  readonly requestId: string;
  readonly action: string;
  readonly outcome: 'issued' | 'denied' | 'answered' | 'error';
  readonly code?: string;
  readonly reason?: string;
  /** For Internal outcomes: the cause chain's codes and messages (redacted, no key material). */
  readonly causes?: readonly string[];
  readonly method?: string;
  readonly caller?: string;
  readonly rule?: string;
  readonly hostId?: string;
  readonly principals?: readonly string[];
  readonly serials?: readonly string[];
  readonly keyFingerprints?: readonly string[];
  readonly validAfter?: string;
  readonly validBefore?: string;
  /** Issued again for a join token the same request had already spent (a client retry). */
  readonly reissue?: boolean;
  /** For `krl`: how many revocations the answer carried. */
  readonly revocations?: number;
}

export type AuditSink = (record: AuditRecord) => void;

// The line is `{"type":"lkp.audit", ...record}`: the record is serialised as it is and the
// type spliced in front, instead of copying every field into a new object per decision.
const HEAD = '{"type":"lkp.audit",';

/** Serialises a record as one line (no newlines can appear inside: JSON escapes them). */
export const formatAuditLine = (record: AuditRecord): string => {
  const body = JSON.stringify(record);
  // A record always has `ts` and `requestId`, so its JSON is never `{}`.
  return body.length > 2 ? `${HEAD}${body.slice(1)}` : '{"type":"lkp.audit"}';
};

/** Writes audit lines to a stream (stdout in Lambda goes to CloudWatch Logs). */
export const streamAuditSink =
  (write: (line: string) => void): AuditSink =>
  (record) =>
    write(`${formatAuditLine(record)}\n`);
