// Assembles a signer from its config: CA keys, identity verifiers, audit sink. Shared by
// `lkp signer serve` and the Lambda handler so both run the same code.
import { open } from 'node:fs/promises';
import { LkpError } from '../errors.js';
import { systemErrorToLkp } from '../system-error.js';
import { streamAuditSink, type AuditSink } from './audit.js';
import { cachedCaKeys, type RemoteKeyFetcher } from './ca-store/load.js';
import type { SignerConfig } from './config.js';
import { createSignerHandler, type Authoriser, type SignerDeps, type SignerHandler } from './handle.js';
import { joinTokenVerifier } from './identity/join-token-verifier.js';
import { fileTokenLedger, memoryTokenLedger } from './identity/token-ledger.js';
import type { IdentityVerifier } from './identity/types.js';
import type { IdentityMethodName } from './policy/rules.js';

export interface RuntimeOptions {
  readonly audit?: AuditSink;
  readonly now?: () => number;
  readonly remoteKeys?: RemoteKeyFetcher;
  readonly verifiers?: Partial<Record<IdentityMethodName, IdentityVerifier>>;
  readonly authoriser?: Authoriser;
  /** Accept join tokens (default true). The Lambda turns them off: its ledger is per container. */
  readonly joinTokens?: boolean;
  /** Load the CA keys now, so a broken key stops start-up instead of failing every request. */
  readonly checkAtStart?: boolean;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

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

/** Builds the dependencies of a signer from its config. */
export const buildSignerDeps = async (config: SignerConfig, opts: RuntimeOptions = {}): Promise<SignerDeps> => {
  const now = opts.now ?? nowSeconds;
  const verifiers: Partial<Record<IdentityMethodName, IdentityVerifier>> = { ...opts.verifiers };
  if (config.joinTokens && opts.joinTokens !== false) {
    const key = await readJoinTokenKey(config.joinTokens.keyFile);
    const ledger = config.joinTokens.ledgerFile ? await fileTokenLedger(config.joinTokens.ledgerFile, now) : memoryTokenLedger(now);
    verifiers['join-token'] = joinTokenVerifier({ key, serverId: config.serverId, ledger, now });
  }
  const caKeys = cachedCaKeys(config.hostCa, config.userCa, opts.remoteKeys);
  if (opts.checkAtStart) await caKeys();
  return {
    config,
    caKeys,
    verifiers,
    audit: opts.audit ?? streamAuditSink((line) => process.stdout.write(line)),
    now,
    ...(opts.authoriser ? { authoriser: opts.authoriser } : {}),
  };
};

/** Builds a ready signer handler from its config. */
export const buildSigner = async (config: SignerConfig, opts: RuntimeOptions = {}): Promise<SignerHandler> =>
  createSignerHandler(await buildSignerDeps(config, opts));
