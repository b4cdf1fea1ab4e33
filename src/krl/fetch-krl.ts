// The signer's `krl` answer, checked before anyone installs it: base64 that decodes to a KRL
// ssh-keygen loads. The Invoke channel authenticates the signer (a KRL carries no signature).
import type { KrlResponse } from '../api/response.js';
import { callSigner, type InvokeOptions } from '../aws/invoke-signer.js';
import { LkpError } from '../errors.js';
import type { KrlHeader } from '../ssh/krl.js';
import { checkKrl } from './check-krl.js';

export interface FetchedKrl {
  readonly bytes: Buffer;
  readonly header: KrlHeader;
  /** Revocations it holds, as the signer counts them (null when it did not say). */
  readonly count: number | null;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Asks the signer for its KRL; a refusal keeps its code, anything unusable is SignerError. */
export const fetchKrl = async (signer: InvokeOptions, opts: { sshKeygen?: string } = {}): Promise<FetchedKrl> => {
  const answer = await callSigner<KrlResponse>({ version: 1, action: 'krl' }, signer);
  const text = (answer as { krl?: unknown }).krl;
  if (typeof text !== 'string' || text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) throw new LkpError('SignerError', 'signer answered no KRL (krl must be base64)');
  const bytes = Buffer.from(text, 'base64');
  let header: KrlHeader;
  try {
    header = await checkKrl(bytes, opts);
  } catch (error) {
    if (error instanceof LkpError && error.code === 'FileSystem') throw error;
    throw new LkpError('SignerError', `signer answered an unusable KRL: ${(error as Error).message}`, { cause: error });
  }
  const count = (answer as { count?: unknown }).count;
  return { bytes, header, count: typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : null };
};
