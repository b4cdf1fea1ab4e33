// The laptop's copy of the signer's KRL, passed to ssh as RevokedHostKeys so a revoked host
// certificate (or host key) is refused. One file per signer beside its known_hosts. It is
// refreshed on a certificate cache miss (the signer is called anyway) and when older than
// KRL_MAX_AGE_MS; a cache hit with a fresh copy costs one stat and no signer call.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';
import { emptyKrl, installKrl } from '../krl/check-krl.js';
import type { FetchedKrl } from '../krl/fetch-krl.js';

/** How old the laptop's copy may get before a cache hit fetches it again. */
export const KRL_MAX_AGE_MS = 15 * 60_000;

/** Where the KRL for a signer lives (next to known_hosts.SIGNER). */
export const revokedHostKeysPath = (dir: string, signer: string): string => path.join(dir, `revoked_keys.${signer.replace(/[^A-Za-z0-9._-]/g, '_')}`);

/**
 * The KRL path as one ssh_config argument. ssh 9.2 does not %-expand RevokedHostKeys (unlike
 * UserKnownHostsFile), and a later one may: a path with % would read differently across
 * versions, so it is refused rather than guessed; quoted for spaces.
 */
export const krlConfigPath = (p: string): string => {
  if (/["\r\n%]/.test(p)) throw new LkpError('UsageError', `${JSON.stringify(p)} cannot be given to ssh as RevokedHostKeys (it holds a %, a double quote or a line break); use an lkp home (LKP_HOME) without them`);
  return `"${p}"`;
};

/** True when the copy exists and was written less than maxAgeMs ago (one stat). */
export const krlIsFresh = async (file: string, nowMs: number, maxAgeMs = KRL_MAX_AGE_MS): Promise<boolean> => {
  try {
    const s = await stat(file);
    return s.isFile() && nowMs - s.mtimeMs < maxAgeMs && s.mtimeMs <= nowMs + 60_000;
  } catch {
    return false;
  }
};

/**
 * Fetches and installs the KRL (each install renews the file's time, which is its age).
 * When the signer cannot give one, the last copy stays (said on stderr); with no copy at
 * all (a signer without the krl action), an empty KRL is put there: ssh refuses every
 * host when its RevokedHostKeys file is missing, and nothing is known revoked.
 */
export const refreshRevokedHostKeys = async (file: string, fetch: () => Promise<FetchedKrl>, warn: (line: string) => void, now: Date = new Date()): Promise<void> => {
  let fetched: FetchedKrl | undefined;
  let failure: unknown;
  try {
    fetched = await fetch();
  } catch (error) {
    failure = error;
  }
  if (fetched) {
    try {
      await installKrl(file, fetched.bytes);
      return;
    } catch (error) {
      // ssh-keygen refused the signer's KRL (checked as the candidate file): like a failed fetch.
      if (!(error instanceof LkpError && error.code === 'KeyInvalid')) throw error;
      failure = new LkpError('SignerError', `signer answered an unusable KRL: ${error.message}`, { cause: error });
    }
  }
  const why = failure instanceof LkpError ? `${failure.code}: ${failure.message}` : String(failure);
  const present = await stat(file).then(() => true, () => false);
  warn(`lkp: warning: host revocation list not refreshed (${why}); ${present ? 'using the last copy' : 'none known yet'}`);
  if (!present) await installKrl(file, emptyKrl(now));
};
