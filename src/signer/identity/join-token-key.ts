// The join-token key: the secret that MACs tokens. Either a hex file beside the config
// (`lkp signer serve`), or a KMS HMAC_256 key that never leaves KMS: the signer then needs
// only kms:VerifyMac, and only whoever holds kms:GenerateMac (the operators) can mint, so a
// compromised signer cannot make tokens. Both give the same HMAC-SHA256 token format.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { open } from 'node:fs/promises';
import { LkpError } from '../../errors.js';
import { systemErrorToLkp } from '../../system-error.js';
import type { JoinTokenKeyConfig } from '../config.js';

export interface JoinTokenMac {
  /** HMAC-SHA256 of `message` (minting; KMS: kms:GenerateMac). */
  mac(message: Buffer): Promise<Buffer>;
  /** Whether `mac` is the HMAC-SHA256 of `message` (KMS: kms:VerifyMac). */
  verify(message: Buffer, mac: Buffer): Promise<boolean>;
  /** The same, at once, for a key held in this process (no promise per token checked). */
  readonly verifyNow?: (message: Buffer, mac: Buffer) => boolean;
  /** Proves the key is usable for verifying now, so a signer that cannot check tokens does not start. */
  check(): Promise<void>;
}

/** Reads the join-token HMAC key (hex, 32+ bytes); like a CA key, it must be 0600 or stricter. */
export const readJoinTokenKey = async (file: string): Promise<Buffer> => {
  let text: string;
  try {
    // Mode and content from one open file: no window to swap the file between the checks.
    const handle = await open(file, 'r');
    try {
      const { mode } = await handle.stat();
      if ((mode & 0o077) !== 0) throw new LkpError('ConfigInvalid', `join-token key ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`);
      text = (await handle.readFile('utf8')).trim();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof LkpError) throw error;
    const reason = systemErrorToLkp(error, { path: file, fix: 'check joinTokens.keyFile in the signer config (lkp ca init creates one)' });
    throw new LkpError('ConfigInvalid', `join-token key ${reason?.message ?? `${file} cannot be read`}`, { cause: error });
  }
  if (!/^[0-9a-f]{64,}$/.test(text)) throw new LkpError('ConfigInvalid', `join-token key ${file} must be at least 32 bytes of lowercase hex; make a new one with: openssl rand -hex 32 > ${file}`);
  return Buffer.from(text, 'hex');
};

/** A key held in this process. */
export const localJoinTokenMac = (key: Buffer): JoinTokenMac => {
  const mac = (message: Buffer): Buffer => createHmac('sha256', key).update(message).digest();
  const verifyNow = (message: Buffer, given: Buffer): boolean => {
    const expected = mac(message);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return {
    mac: async (message) => mac(message),
    verify: async (message, given) => verifyNow(message, given),
    verifyNow,
    check: async () => undefined,
  };
};

/** Opens the configured key; the KMS client loads only when the config names KMS. */
export const openJoinTokenKey = async (config: JoinTokenKeyConfig): Promise<JoinTokenMac> => {
  if (config.store === 'file') return localJoinTokenMac(await readJoinTokenKey(config.file));
  const { sdkKmsMac } = await import('../../aws/kms.js');
  const kms = await sdkKmsMac(config.keyId, config.region);
  return {
    mac: kms.generateMac,
    verify: kms.verifyMac,
    check: async () => {
      try {
        // A MAC of zeros never verifies; getting that answer proves key, permission and endpoint.
        await kms.verifyMac(Buffer.from('lkp join-token key check'), Buffer.alloc(32));
      } catch (error) {
        throw new LkpError('ConfigInvalid', `join-token key ${config.keyId} cannot be used for kms:VerifyMac: ${(error as Error).message}`, { cause: error });
      }
    },
  };
};
