// Reads what a previous `lkp host` left: its certificates and the host CA keys. Only a
// file that does not exist counts as "not there yet"; an unreadable one (a directory, a
// symlink loop, no permission) stops lkp, since a first boot would trust a CA anew.
import { LkpError } from '../errors.js';
import { readOptional as readOptionalFile } from '../fs/read-optional.js';
import { parsePublicKey, type PublicKey } from '../ssh/public-key.js';
import type { HostKey } from './host-keys.js';
import type { HostLayout } from './layout.js';
import { assessHostCertificates, type CertStatus } from './renewal.js';

const readOptional = (file: string): Promise<string | null> => readOptionalFile(file, 'utf8');

/** Host CA keys lkp wrote last time (empty when none). */
export const readHostCaKeys = async (layout: HostLayout): Promise<PublicKey[]> => readKeysFile(layout.hostCaKeys);

/**
 * User CA keys lkp wrote last time for TrustedUserCAKeys: empty when there is no file; a
 * file that holds no readable key is an error, not a first boot (that would trust anew).
 */
export const readTrustedUserCaKeys = async (layout: HostLayout): Promise<PublicKey[]> => {
  const keys = await readTrustFile(layout);
  if (keys === null) return [];
  if (keys.length === 0) throw new LkpError('SignerError', `${layout.trustedUserCaKeys} holds no readable key; restore it, or run with --accept-new-user-ca to trust the signer's user CA anew`);
  return keys;
};

/** The keys in the TrustedUserCAKeys file lkp wrote: null when there is none; unreadable is an error. */
export const readTrustFile = async (layout: HostLayout): Promise<PublicKey[] | null> => {
  const text = await readOptional(layout.trustedUserCaKeys).catch((error: unknown) => {
    const why = error instanceof LkpError ? error.message : String(error);
    throw new LkpError('FileSystem', `${why}; lkp will not treat an unreadable user CA file as a first boot: fix or remove it (nothing was changed)`, { cause: error });
  });
  return text === null ? null : parseKeys(text);
};

const readKeysFile = async (file: string): Promise<PublicKey[]> => parseKeys((await readOptional(file)) ?? '');

const parseKeys = (text: string): PublicKey[] => {
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
