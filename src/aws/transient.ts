// Which failures may pass on their own (no answer, HTTP 429/5xx, a `Throttled` answer) and
// how long to wait before the next try. A refusal (Forbidden, Unauthenticated, BadRequest,
// ...) is an answer and never transient: asking again would only repeat it.
import { LkpError } from '../errors.js';

const transient = new WeakSet<LkpError>();

/** Marks an error as worth another try later; returns it. */
export const markTransient = (error: LkpError): LkpError => {
  transient.add(error);
  return error;
};

/** True for a signer that did not answer (or answered 429/5xx) and for `Throttled`. */
export const isTransient = (error: unknown): boolean => error instanceof LkpError && (error.code === 'Throttled' || transient.has(error));

/**
 * Exponential back-off with full jitter: a random wait in [0, min(cap, base * 2^(n-1))), so
 * that hosts booting together do not retry together.
 */
export const backoffMs = (attempt: number, baseMs = 250, capMs = 2_000, random: () => number = Math.random): number =>
  Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1)));

/** `0.4 s`, `12 s`. */
export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;
