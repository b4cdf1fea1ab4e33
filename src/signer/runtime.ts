// Assembles a signer from its config: CA keys, identity verifiers, audit sink. Shared by
// `lkp signer serve` and the Lambda handler so both run the same code.
import { streamAuditSink, type AuditSink } from './audit.js';
import { cachedCaKeys, type RemoteKeyFetcher } from './ca-store/load.js';
import type { SignerConfig } from './config.js';
import { createSignerHandler, type Authoriser, type SignerDeps, type SignerHandler } from './handle.js';
import { joinTokenVerifier } from './identity/join-token-verifier.js';
import { openJoinTokenKey } from './identity/join-token-key.js';
import { openTokenLedger } from './identity/token-ledger.js';
import type { IdentityVerifier } from './identity/types.js';
import type { IdentityMethodName } from './policy/rules.js';
import { krlSource } from './krl-source.js';

export interface RuntimeOptions {
  readonly audit?: AuditSink;
  readonly now?: () => number;
  readonly remoteKeys?: RemoteKeyFetcher;
  readonly verifiers?: Partial<Record<IdentityMethodName, IdentityVerifier>>;
  readonly authoriser?: Authoriser;
  /** Load the CA keys and check the token key now, so a broken key stops start-up instead of failing every request. */
  readonly checkAtStart?: boolean;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Builds the dependencies of a signer from its config. */
export const buildSignerDeps = async (config: SignerConfig, opts: RuntimeOptions = {}): Promise<SignerDeps> => {
  const now = opts.now ?? nowSeconds;
  const verifiers: Partial<Record<IdentityMethodName, IdentityVerifier>> = { ...opts.verifiers };
  if (config.joinTokens) {
    const key = await openJoinTokenKey(config.joinTokens.key);
    if (opts.checkAtStart) await key.check();
    const ledger = await openTokenLedger(config.joinTokens.ledger, now);
    verifiers['join-token'] = joinTokenVerifier({ key, serverId: config.serverId, ledger, now });
  }
  const caKeys = cachedCaKeys(config.hostCa, config.userCa, opts.remoteKeys);
  if (opts.checkAtStart) await caKeys();
  // The store opens on the first `krl` request: a cold container answering certificates
  // never loads the DynamoDB client for it.
  const store = async () => (config.revocations ? (await import('./revocation-store.js')).openRevocationStore(config.revocations) : undefined);
  return {
    config,
    caKeys,
    krl: krlSource({ store, caKeys, now, serverId: config.serverId }),
    verifiers,
    audit: opts.audit ?? streamAuditSink((line) => process.stdout.write(line)),
    now,
    ...(opts.authoriser ? { authoriser: opts.authoriser } : {}),
  };
};

/** Builds a ready signer handler from its config. */
export const buildSigner = async (config: SignerConfig, opts: RuntimeOptions = {}): Promise<SignerHandler> =>
  createSignerHandler(await buildSignerDeps(config, opts));
