// CA keys in files (the local signer, or keys shipped with a Lambda for testing).
// Refuses a private key file others can read, like ssh does.
import { readFile, stat } from 'node:fs/promises';
import { LkpError } from '../../errors.js';
import { systemErrorToLkp } from '../../system-error.js';
import { caKeySetFromPrivateKeys } from './from-private-keys.js';
import type { CaKeySet } from './types.js';

/** Loads CA private keys from files (mode must deny group/other access). */
export const loadFileCaKeySet = async (paths: readonly string[]): Promise<CaKeySet> => {
  const texts = await Promise.all(
    paths.map(async (p) => {
      try {
        const info = await stat(p);
        if ((info.mode & 0o077) !== 0) throw new LkpError('CaKeyUnavailable', `CA key ${p} is readable by others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${p}`);
        return await readFile(p, 'utf8');
      } catch (error) {
        if (error instanceof LkpError) throw error;
        const reason = systemErrorToLkp(error, { path: p, fix: 'check the CA key paths in the signer config (lkp ca init creates a CA)' });
        throw new LkpError('CaKeyUnavailable', reason ? `CA key ${reason.message}` : `cannot read CA key ${p}`, { cause: error });
      }
    }),
  );
  return caKeySetFromPrivateKeys(texts, paths);
};
