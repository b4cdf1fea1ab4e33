// Which of two signer KRLs is newer. A signer answers from more than one process (warm Lambda
// containers each cache their KRL for up to 30 s; a laptop falls back to another signer), so
// a refresh can meet a list older than the one installed: installing it would un-revoke
// whatever was revoked in between. The signer dates each KRL with its clock (krl-source.ts),
// so the installed copy's header decides.
import { krlHeader, type KrlHeader } from '../ssh/krl.js';

/** A copy dated further ahead of this machine's clock than this pins nothing (a signer clock since put right). */
export const KRL_FUTURE_SLACK_SECONDS = 3600;

/** The header of installed KRL bytes, or null when there are none or they do not parse. */
export const installedHeader = (bytes: Buffer | null): KrlHeader | null => {
  if (bytes === null) return null;
  try {
    return krlHeader(bytes);
  } catch {
    return null;
  }
};

/**
 * True when `fetched` was generated before the installed signer KRL: keep the installed one.
 * lkp's own empty KRL (version 0, "nothing fetched yet") never holds a newer list back.
 */
export const olderThanInstalled = (installed: KrlHeader | null, fetched: KrlHeader, nowSeconds: number): boolean =>
  installed !== null && installed.version !== 0n && installed.generatedAt <= nowSeconds + KRL_FUTURE_SLACK_SECONDS && fetched.generatedAt < installed.generatedAt;

/** The words for a list kept because the signer's is older. */
export const olderKrlMessage = (installed: KrlHeader, fetched: KrlHeader): string =>
  `the signer answered a revocation list generated at ${new Date(fetched.generatedAt * 1000).toISOString()}, older than the installed one of ${new Date(installed.generatedAt * 1000).toISOString()} (a stale signer instance?): kept the installed one`;
