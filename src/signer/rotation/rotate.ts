// `lkp signer ca add-next|promote|retire|status`: one rotation step on a signer config (a
// file for `lkp signer serve`, or the SSM parameter the Lambda reads). The order keeps the
// signer working at every moment: prepare the next key (generate a file, or check the KMS
// key the admin made), compute the new config, parse it, load every CA key it names the way
// the signer will, and only then replace the config.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { LkpError } from '../../errors.js';
import { generateOpenSshKey } from '../../ssh/generate-key.js';
import { fingerprint, parsePublicKey, type PublicKey } from '../../ssh/public-key.js';
import type { CaKeyAlgorithm } from '../../ssh/private-key.js';
import { writeNewFile } from '../../fs/write-atomic.js';
import { cachedCaKeys, type RemoteKeyFetcher } from '../ca-store/load.js';
import type { CaKeys } from '../ca-store/types.js';
import { caKeyRefs, parseSignerConfig, type CaStoreConfig, type SignerConfig } from '../config.js';
import type { ConfigSource } from './config-source.js';
import { applyRotationStep, caField, isoSeconds, rotationStatus, type CaRole, type RotationStatus, type RotationStep } from './phases.js';

export interface RotateOptions {
  readonly source: ConfigSource;
  readonly role: CaRole;
  readonly step: RotationStep;
  readonly now: Date;
  readonly force?: boolean;
  /** add-next: the next key (file path, secret id, parameter name, KMS key id); a file store generates one when absent. */
  readonly nextKey?: string;
  /** add-next with a generated key file: its algorithm (default: the current key's). */
  readonly keyType?: CaKeyAlgorithm;
  /** Secrets Manager / SSM key stores. */
  readonly remote?: RemoteKeyFetcher;
}

export interface RotateResult {
  readonly status: RotationStatus;
  /** Where the previous config is kept. */
  readonly previous: string;
  /** add-next: the key file lkp generated. */
  readonly createdKey?: string;
  /** --force skipped the wait that would have ended then. */
  readonly forcedEarly?: string;
}

/** The algorithm that matches a key (so the next CA key is of the same kind as the current one). */
export const algorithmOf = (key: PublicKey): CaKeyAlgorithm => {
  if (key.kind === 'ed25519') return 'ed25519';
  if (key.kind === 'ecdsa') return `ecdsa-p${key.curve.slice(5)}` as CaKeyAlgorithm;
  if (key.kind === 'rsa') return key.bits > 3072 ? 'rsa-4096' : 'rsa-3072';
  return 'ed25519';
};

const publishedOf = (keys: CaKeys, role: CaRole): Array<{ publicKey: string; fingerprint: string }> =>
  keys[role].publicLines.map((line) => ({ publicKey: line, fingerprint: fingerprint(parsePublicKey(line)) }));

const loadKeys = (config: SignerConfig, remote?: RemoteKeyFetcher): Promise<CaKeys> => cachedCaKeys(config.hostCa, config.userCa, remote)();

/**
 * The next KMS key must sign as the current one does: SIGN_VERIFY, and the same key spec
 * (the deployed signer role may call kms:Sign only with that spec's algorithm).
 */
const checkKmsNextKey = async (ca: Extract<CaStoreConfig, { store: 'kms' }>, nextKey: string): Promise<void> => {
  const { sdkKmsApi } = await import('../../aws/kms.js');
  const api = await sdkKmsApi(ca.region);
  const [current, next] = await Promise.all([api.getPublicKey(caKeyRefs(ca)[0] as string), api.getPublicKey(nextKey)]);
  if (next.keyUsage !== 'SIGN_VERIFY') throw new LkpError('CaKeyUnavailable', `KMS key ${nextKey} cannot be the next CA key: its key usage is ${next.keyUsage}, not SIGN_VERIFY`);
  if (next.keySpec !== current.keySpec) {
    throw new LkpError('CaKeyUnavailable', `KMS key ${nextKey} cannot be the next CA key: its key spec is ${next.keySpec}, the current key's is ${current.keySpec} (create it with --key-spec ${current.keySpec} --key-usage SIGN_VERIFY)`);
  }
  if (next.keyArn === current.keyArn) throw new LkpError('UsageError', `KMS key ${nextKey} is the current CA key`);
};

/** Generates the next CA key file beside the config (0600); returns its path. */
const generateKeyFile = async (dir: string, role: CaRole, algorithm: CaKeyAlgorithm, now: Date): Promise<string> => {
  const stamp = isoSeconds(now).replace(/[-:]/g, '');
  const file = path.join(dir, `${role}_ca.${stamp}`);
  const key = generateOpenSshKey(algorithm, `lkp ${role} CA (next, ${isoSeconds(now)})`);
  await writeNewFile(file, key.privateText, 0o600);
  try {
    await writeNewFile(`${file}.pub`, `${key.publicLine}\n`, 0o644);
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
  return file;
};

const relativeIn = (dir: string, file: string): string => {
  const rel = path.relative(dir, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
};

/** The rotation status of both CA roles, from the config as stored. */
export const readRotationStatus = async (source: ConfigSource, remote?: RemoteKeyFetcher): Promise<{ serverId: string; hostCa: RotationStatus; userCa: RotationStatus }> => {
  const config = parseSignerConfig(await source.read(), source.label);
  const keys = await loadKeys(config, remote);
  return { serverId: config.serverId, hostCa: rotationStatus(config, 'host', publishedOf(keys, 'host')), userCa: rotationStatus(config, 'user', publishedOf(keys, 'user')) };
};

/** Runs one rotation step; nothing is replaced unless the new config parses and all its keys load. */
export const rotateCa = async (opts: RotateOptions): Promise<RotateResult> => {
  const doc = await opts.source.read();
  const config = parseSignerConfig(doc, opts.source.label);
  const ca = config[caField(opts.role)];
  // A key file named on the command line is relative to where the admin stands; the config
  // keeps it relative to its own folder when it lies there.
  let nextKey = ca.store === 'file' && opts.nextKey && opts.source.dir ? relativeIn(opts.source.dir, path.resolve(opts.nextKey)) : opts.nextKey;
  let createdKey: string | undefined;
  if (opts.step === 'add-next') {
    if (ca.store === 'kms' && nextKey) await checkKmsNextKey(ca, nextKey);
    else if (ca.store === 'file' && !nextKey) {
      if (!opts.source.dir) throw new LkpError('UsageError', 'name the next key file with --key');
      const current = await loadKeys(config, opts.remote);
      createdKey = await generateKeyFile(opts.source.dir, opts.role, opts.keyType ?? algorithmOf(parsePublicKey(current[opts.role].publicLines[0] as string)), opts.now);
      nextKey = path.basename(createdKey);
    } else if (!nextKey) throw new LkpError('UsageError', `add-next for a ${ca.store} CA store needs --key (${ca.store === 'kms' ? 'a KMS key id, ARN or alias the admin created: SIGN_VERIFY, same key spec' : 'the secret or parameter holding the next private key'})`);
  }
  try {
    const step = applyRotationStep(opts.step, { doc, source: opts.source.label, role: opts.role, now: opts.now, ...(opts.force ? { force: true } : {}), ...(nextKey ? { nextKey } : {}) });
    const next = parseSignerConfig(step.doc, opts.source.label);
    // Loaded as the signer will load them: a key it cannot read must not become the config.
    const keys = await loadKeys(next, opts.remote);
    const written = await opts.source.write(step.doc);
    return {
      status: rotationStatus(next, opts.role, publishedOf(keys, opts.role)),
      previous: written.previous,
      ...(createdKey ? { createdKey } : {}),
      ...(step.forcedEarly ? { forcedEarly: isoSeconds(step.forcedEarly.allowedAt) } : {}),
    };
  } catch (error) {
    if (createdKey) await Promise.all([rm(createdKey, { force: true }), rm(`${createdKey}.pub`, { force: true })]);
    throw error;
  }
};
