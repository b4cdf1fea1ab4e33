// The complete signer as both the Lambda and `lkp signer serve` run it: config-chosen CA
// stores, join tokens, the `aws` identity method and the optional authoriser. AWS pieces
// load only when the config uses them, so a join-token-only signer starts light.
import type { AuditSink } from './audit.js';
import type { SignerConfig } from './config.js';
import type { SignerHandler } from './handle.js';
import { buildSigner, type RuntimeOptions } from './runtime.js';

const usesAws = (config: SignerConfig): boolean => config.rules.some((r) => r.method === 'aws');
const REMOTE_TEXT_STORES = new Set(['secretsmanager', 'ssm']);
const usesRemoteKeys = (config: SignerConfig): boolean => REMOTE_TEXT_STORES.has(config.hostCa.store) || REMOTE_TEXT_STORES.has(config.userCa.store);

/** Builds the signer for a config. */
export const assembleSigner = async (config: SignerConfig, opts: { audit?: AuditSink; joinTokens?: boolean; checkAtStart?: boolean } = {}): Promise<SignerHandler> => {
  const runtime: { -readonly [K in keyof RuntimeOptions]: RuntimeOptions[K] } = {
    ...(opts.audit ? { audit: opts.audit } : {}),
    ...(opts.joinTokens === false ? { joinTokens: false } : {}),
    ...(opts.checkAtStart ? { checkAtStart: true } : {}),
  };
  if (usesRemoteKeys(config)) runtime.remoteKeys = (await import('./ca-store/remote.js')).remoteCaKeys;
  if (usesAws(config) || config.authoriser) {
    const { awsVerifiers, configuredAuthoriser } = await import('./identity/aws-verifiers.js');
    if (usesAws(config)) runtime.verifiers = await awsVerifiers(config);
    const authoriser = await configuredAuthoriser(config);
    if (authoriser) runtime.authoriser = authoriser;
  }
  return buildSigner(config, runtime);
};
