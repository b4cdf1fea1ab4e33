// `lkp signer revoke` and `lkp signer revocations`: which config (a file, or the deployed
// signer's SSM parameter), which store it names, who the administrator is, and what the
// flags revoke. The store decides who "who" is: the local user for a file beside the
// config, the caller's ARN (sts:GetCallerIdentity) for DynamoDB written with their own
// IAM credentials.
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { LkpError } from '../errors.js';
import { fingerprint, parsePublicKey } from '../ssh/public-key.js';
import type { SignerConfig } from './config.js';
import { loadConfigFrom, regionOf, type ConfigSource } from './config-from.js';
import { openRevocationStore, type RevocationStore } from './revocation-store.js';
import { parseFingerprint, parseReason, parseSerial, type CaRole, type Revocation, type RevocationTarget } from './revocation.js';
import { parseKeyId } from '../ssh/names.js';

/** The store the config names; a config without one is told how to add it. */
export const storeOf = async (config: SignerConfig, source: ConfigSource): Promise<RevocationStore> => {
  if (!config.revocations) {
    throw new LkpError('ConfigInvalid', `${source.config ?? `ssm:${source.ssmParameter}`} has no revocations section: add "revocations": {"store": "file", "file": "revocations.json"} (lkp signer serve) or {"store": "dynamodb", "table": "..."} (Lambda)`);
  }
  const store = config.revocations;
  return openRevocationStore(store.store === 'dynamodb' && !store.region && source.region ? { ...store, region: source.region } : store);
};

export interface RevokeFlags {
  readonly serial?: string;
  readonly keyId?: string;
  readonly keyFile?: string;
  readonly fingerprint?: string;
  readonly ca?: string;
}

/** What the flags name: exactly one of serial, key ID (each with --ca), key file or fingerprint. */
export const targetFromFlags = async (flags: RevokeFlags): Promise<RevocationTarget> => {
  const given = (['serial', 'keyId', 'keyFile', 'fingerprint'] as const).filter((k) => flags[k] !== undefined);
  const names = { serial: '--serial', keyId: '--key-id', keyFile: '--key', fingerprint: '--fingerprint' };
  if (given.length !== 1) throw new LkpError('UsageError', `give exactly one of --serial N, --key-id ID, --key PUBKEY_FILE or --fingerprint SHA256:…${given.length > 1 ? ` (got ${given.map((k) => names[k]).join(', ')})` : ''}`);
  const what = given[0] as (typeof given)[number];
  const byCertificate = what === 'serial' || what === 'keyId';
  if (byCertificate && flags.ca === undefined) throw new LkpError('UsageError', `${names[what]} needs --ca user or --ca host: serials and key IDs belong to one CA`);
  if (!byCertificate && flags.ca !== undefined) throw new LkpError('UsageError', `${names[what]} revokes a key under every CA: drop --ca`);
  if (flags.ca !== undefined && flags.ca !== 'user' && flags.ca !== 'host') throw new LkpError('UsageError', '--ca must be user or host');
  const ca = flags.ca as CaRole;
  switch (what) {
    case 'serial':
      return { kind: 'serial', ca, serial: parseSerial(flags.serial as string, 'UsageError', '--serial') };
    case 'keyId':
      try {
        return { kind: 'key-id', ca, keyId: parseKeyId(flags.keyId) };
      } catch (error) {
        throw new LkpError('UsageError', `--key-id: ${(error as Error).message}`);
      }
    case 'fingerprint':
      return { kind: 'key', fingerprint: parseFingerprint(flags.fingerprint as string, 'UsageError', '--fingerprint') };
    case 'keyFile': {
      const file = flags.keyFile as string;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new LkpError('FileSystem', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
      }
      const line = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      if (line === undefined) throw new LkpError('KeyInvalid', `${file} holds no public key`);
      try {
        return { kind: 'key', fingerprint: fingerprint(parsePublicKey(line)) };
      } catch (error) {
        throw new LkpError('KeyInvalid', `${file}: ${(error as Error).message}`, { cause: error });
      }
    }
  }
};

/** Who is revoking, as the store records it. */
export const adminIdentity = async (config: SignerConfig, source: ConfigSource): Promise<string> => {
  if (config.revocations?.store === 'dynamodb') {
    const { callerArn } = await import('../aws/caller-identity.js');
    return callerArn(config.revocations.region ?? regionOf(source));
  }
  const user = (() => {
    try {
      return os.userInfo().username;
    } catch {
      return `uid ${process.getuid?.() ?? '?'}`;
    }
  })();
  return `${user}@${os.hostname()}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
};

/** Records the revocation; re-revoking the same thing keeps the first record (`added: false`). */
export const revoke = async (opts: { source: ConfigSource; flags: RevokeFlags; reason: string; now?: Date }): Promise<{ added: boolean; revocation: Revocation; where: string }> => {
  // Everything the flags say is checked before any file or AWS is touched.
  const target = await targetFromFlags(opts.flags);
  const reason = parseReason(opts.reason, 'UsageError', '--reason');
  const config = await loadConfigFrom(opts.source);
  const store = await storeOf(config, opts.source);
  const revokedBy = await adminIdentity(config, opts.source);
  const revocation = { ...target, reason, revokedAt: (opts.now ?? new Date()).toISOString(), revokedBy } as Revocation;
  return { ...(await store.add(revocation)), where: store.where };
};

/** Every revocation the config's store holds, oldest first. */
export const listRevocations = async (source: ConfigSource): Promise<{ revocations: readonly Revocation[]; where: string }> => {
  const store = await storeOf(await loadConfigFrom(source), source);
  const list = await store.list();
  return { revocations: [...list].sort((a, b) => a.revokedAt.localeCompare(b.revokedAt)), where: store.where };
};
