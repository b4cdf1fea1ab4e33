// Reads what a previous `lkp host` left: its certificates and the host CA keys.
import { readFile } from 'node:fs/promises';
import { LkpError } from '../errors.js';
import { parsePublicKey, type PublicKey } from '../ssh/public-key.js';
import type { HostKey } from './host-keys.js';
import type { HostLayout } from './layout.js';
import { assessHostCertificates, type CertStatus } from './renewal.js';

const readOptional = async (file: string): Promise<string | null> => readFile(file, 'utf8').catch(() => null);

/** Host CA keys lkp wrote last time (empty when none). */
export const readHostCaKeys = async (layout: HostLayout): Promise<PublicKey[]> => readKeysFile(layout.hostCaKeys);

/**
 * User CA keys lkp wrote last time for TrustedUserCAKeys: empty when there is no file; a
 * file that holds no readable key is an error, not a first boot (that would trust anew).
 */
export const readTrustedUserCaKeys = async (layout: HostLayout): Promise<PublicKey[]> => {
  const text = await readOptional(layout.trustedUserCaKeys);
  if (text === null) return [];
  const keys = await readKeysFile(layout.trustedUserCaKeys);
  if (keys.length === 0) throw new LkpError('SignerError', `${layout.trustedUserCaKeys} holds no readable key; restore it, or run with --accept-new-user-ca to trust the signer's user CA anew`);
  return keys;
};

const readKeysFile = async (file: string): Promise<PublicKey[]> => {
  const text = await readOptional(file);
  if (!text) return [];
  const keys: PublicKey[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    try {
      keys.push(parsePublicKey(line));
    } catch {
      // a damaged line only means those certificates will not verify: renewal is due
    }
  }
  return keys;
};

/** The status of every host key's certificate now. */
export const hostCertificateStatus = async (layout: HostLayout, hostKeys: readonly HostKey[], now: number): Promise<CertStatus[]> => {
  const certTexts = new Map<string, string | null>();
  for (const hk of hostKeys) certTexts.set(layout.certFor(hk.privatePath), await readOptional(layout.certFor(hk.privatePath)));
  return assessHostCertificates({ hostKeys, certFor: layout.certFor, certTexts, hostCaKeys: await readHostCaKeys(layout), now });
};
