// The laptop's copy of the signer's KRL, passed to ssh as RevokedHostKeys so a revoked host
// certificate (or host key) is refused. One file per signer beside its known_hosts. It is
// refreshed on a certificate cache miss (the signer is called anyway) and when older than
// KRL_MAX_AGE_MS; a cache hit with a fresh copy costs one stat and no signer call.
import { stat, utimes } from 'node:fs/promises';
import { readOptional } from '../fs/read-optional.js';
import { LkpError } from '../errors.js';
import { emptyKrl, installKrl } from '../krl/check-krl.js';
import type { FetchedKrl } from '../krl/fetch-krl.js';
import { installedHeader, olderKrlMessage, olderThanInstalled } from '../krl/krl-order.js';

export { KRL_MAX_AGE_MS, krlConfigPath, krlIsFresh, krlWrittenAt, revokedHostKeysPath } from './revoked-host-keys-path.js';

/** How old the copy may get, when it cannot be refreshed, before lkp refuses to connect (RevocationListStale). */
export const KRL_HARD_MAX_AGE_MS = 24 * 3600_000;

export interface StaleKrlBound {
  /** Default KRL_HARD_MAX_AGE_MS (the client config's krlMaxAgeHours). */
  readonly maxAgeMs?: number;
  /** --allow-stale-krl: warn only. */
  readonly allowStale?: boolean;
}

/**
 * Fetches and installs the KRL (each install renews the file's time, which is its age).
 * When the signer cannot give one, the last copy stays (said on stderr) while younger than
 * the hard bound, then lkp refuses to connect (RevocationListStale) unless allowed; with
 * no copy at all an empty KRL is put there (ssh refuses every host when its
 * RevokedHostKeys file is missing), dated 1970: it is never fresh, so the next run asks
 * again, and "nothing known" passes only for a signer without the krl action (BadRequest).
 */
export const refreshRevokedHostKeys = async (file: string, fetch: () => Promise<FetchedKrl>, warn: (line: string) => void, now: Date = new Date(), bound: StaleKrlBound = {}): Promise<void> => {
  let fetched: FetchedKrl | undefined;
  let failure: unknown;
  try {
    fetched = await fetch();
  } catch (error) {
    failure = error;
  }
  if (fetched) {
    // The same list as the installed copy (the usual case): it was checked when installed, so
    // only its time is renewed (that is its age), without a new check by ssh-keygen.
    const current = await readOptional(file).catch(() => null);
    if (current !== null && current.equals(fetched.bytes)) {
      await utimes(file, now, now);
      return;
    }
    // An older list than the copy (a stale signer instance, or a fallback signer's) would
    // undo revocations: like a failed fetch, the copy stays and keeps its age.
    const installed = installedHeader(current);
    if (installed && olderThanInstalled(installed, fetched.header, Math.floor(now.getTime() / 1000))) failure = new LkpError('SignerError', olderKrlMessage(installed, fetched.header));
    else {
      try {
        await installKrl(file, fetched.bytes);
        return;
      } catch (error) {
        // ssh-keygen refused the signer's KRL (checked as the candidate file): like a failed fetch.
        if (!(error instanceof LkpError && error.code === 'KeyInvalid')) throw error;
        failure = new LkpError('SignerError', `signer answered an unusable KRL: ${error.message}`, { cause: error });
      }
    }
  }
  const why = failure instanceof LkpError ? `${failure.code}: ${failure.message}` : String(failure);
  const writtenAt = await stat(file).then((s) => s.mtimeMs, () => undefined);
  if (writtenAt === undefined) {
    await installKrl(file, emptyKrl(now));
    const never = new Date(0);
    await utimes(file, never, never);
  }
  // A signer that predates the krl action answers BadRequest: it revokes nothing it can tell.
  const noKrlAction = failure instanceof LkpError && failure.code === 'BadRequest';
  const ageMs = now.getTime() - (writtenAt ?? 0);
  const maxAgeMs = bound.maxAgeMs ?? KRL_HARD_MAX_AGE_MS;
  if (!noKrlAction && ageMs > maxAgeMs) {
    const age = writtenAt === undefined ? 'none was ever fetched' : `the last copy is ${Math.floor(ageMs / 3600_000)} h old`;
    if (!bound.allowStale) {
      throw new LkpError('RevocationListStale', `the host revocation list could not be refreshed (${why}) and ${age} (more than ${Math.round(maxAgeMs / 3600_000)} h): a host revoked since would not be refused. Retry when the signer answers, raise krlMaxAgeHours in the client config, or pass --allow-stale-krl to connect anyway`, failure instanceof Error ? { cause: failure } : undefined);
    }
    warn(`lkp: warning: host revocation list not refreshed (${why}); ${age}: connecting anyway (--allow-stale-krl)`);
    return;
  }
  warn(`lkp: warning: host revocation list not refreshed (${why}); ${writtenAt === undefined ? 'none known yet' : 'using the last copy'}`);
};
