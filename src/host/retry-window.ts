// At first boot the signer (or the AWS behind it) may not be there yet, or may be busy with
// the rest of the fleet: `lkp host` tries again, within a window (`--retry-for`, default
// 5 min), with exponential back-off and full jitter so that hosts booting together spread
// out. Only what may pass on its own is retried (no answer, HTTP 429/5xx, `Throttled`); a
// refusal is an answer and ends the run at once.
import { backoffMs, isTransient, seconds } from '../aws/transient.js';
import { LkpError } from '../errors.js';

export const DEFAULT_RETRY_WINDOW = '5m';
const BASE_MS = 1_000;
const CAP_MS = 30_000;
const MAX_WINDOW_MS = 24 * 3600 * 1000;

/** `0`, `90` or `90s`, `5m`, `1h` -> milliseconds. */
export const parseRetryWindow = (raw: string): number => {
  const m = /^(\d{1,6})(s|m|h)?$/.exec(raw.trim());
  const ms = m ? Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 0 && ms <= MAX_WINDOW_MS)) throw new LkpError('UsageError', `--retry-for ${JSON.stringify(raw.slice(0, 20))} must be a duration such as 0, 90s, 5m or 1h (at most 24h)`);
  return ms;
};

export interface RetryWindow {
  /** Milliseconds to keep trying after the first attempt; 0 = one attempt. */
  readonly windowMs: number;
  readonly notice: (line: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Runs `fn` until it succeeds, fails for good, or the window has no room for another try. */
export const retryWithin = async <T>(what: string, fn: (attempt: number) => Promise<T>, w: RetryWindow): Promise<T> => {
  const now = w.now ?? Date.now;
  const sleep = w.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isTransient(error) || w.windowMs === 0) throw error;
      const e = error as LkpError;
      const wait = backoffMs(attempt, BASE_MS, CAP_MS, w.random);
      const left = start + w.windowMs - now();
      if (wait > left) {
        throw new LkpError(e.code, `${e.message} (gave up after ${attempt} attempt(s) in ${seconds(now() - start)}; --retry-for sets the window)`, { cause: error });
      }
      w.notice(`${what}: attempt ${attempt} failed: ${e.code}: ${e.message}; next try in ${seconds(wait)} (${seconds(left - wait)} left of the --retry-for window)`);
      await sleep(wait);
    }
  }
};
