// Where the laptop's KRL copy lives, how it is named to ssh, and whether it is fresh: the
// part of revoked-host-keys.ts a cache hit needs (one stat), without the KRL reader and
// installer, so the cache-hit bundle (src/cli/exec-hit.ts) stays small.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../errors.js';

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

/** The copy's age as its file time (each install renews it); undefined when there is none. */
export const krlWrittenAt = async (file: string): Promise<number | undefined> => {
  try {
    const s = await stat(file);
    return s.isFile() ? s.mtimeMs : undefined;
  } catch {
    return undefined;
  }
};

/** True when the copy exists and was written less than maxAgeMs ago (one stat). */
export const krlIsFresh = async (file: string, nowMs: number, maxAgeMs = KRL_MAX_AGE_MS): Promise<boolean> => {
  const at = await krlWrittenAt(file);
  return at !== undefined && nowMs - at < maxAgeMs && at <= nowMs + 60_000;
};
