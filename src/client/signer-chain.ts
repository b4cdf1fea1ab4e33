// Tries a signer, then its fallbacks in order, when one does not answer. A refusal is an
// answer: it is never retried elsewhere.
import { LkpError } from '../errors.js';
import type { SignerProfile } from './config.js';

/** Runs `fn` against each signer until one answers; rethrows the last unreachability. */
export const withSignerFallbacks = async <T>(chain: readonly SignerProfile[], fn: (signer: SignerProfile) => Promise<T>, onFailover?: (from: SignerProfile, error: LkpError) => void): Promise<{ signer: SignerProfile; value: T }> => {
  let last: unknown;
  for (const signer of chain) {
    try {
      return { signer, value: await fn(signer) };
    } catch (error) {
      if (!(error instanceof LkpError) || error.code !== 'SignerUnreachable') throw error;
      last = error;
      onFailover?.(signer, error);
    }
  }
  throw last ?? new LkpError('SignerUnreachable', 'no signer configured');
};
