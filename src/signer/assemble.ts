// The complete signer as both the Lambda and `lkp signer serve` run it: config-chosen CA
// stores, join tokens, the `aws` identity method and the optional authoriser. AWS pieces
// load only when the config uses them, so a join-token-only signer starts light.
import type { AuditSink } from './audit.js';
import type { SignerConfig } from './config.js';
import type { SignerHandler } from './handle.js';
import type { IdentityVerifier } from './identity/types.js';
import { buildSigner, type RuntimeOptions } from './runtime.js';

const usesAws = (config: SignerConfig): boolean => config.rules.some((r) => r.method === 'aws');
const REMOTE_TEXT_STORES = new Set(['secretsmanager', 'ssm']);
const usesRemoteKeys = (config: SignerConfig): boolean => REMOTE_TEXT_STORES.has(config.hostCa.store) || REMOTE_TEXT_STORES.has(config.userCa.store);

/**
 * The `aws` verifier, loaded by the first request that needs it: a cold container answers
 * `ca-keys` without it. That request also starts loading the SDK clients the verifier will
 * call, so they compile while STS checks the proof instead of after.
 */
const lazyAwsVerifier = (config: SignerConfig): IdentityVerifier => {
  let verifier: Promise<IdentityVerifier> | undefined;
  const load = (): Promise<IdentityVerifier> => {
    if (verifier) return verifier;
    void import('../aws/ec2-describe-instance.js').then((m) => m.preloadEc2Client(), () => undefined);
    if (config.aws.requireEc2OnlyHostRoles) void import('../aws/iam-role-trust.js').then((m) => m.preloadIamClient(), () => undefined);
    const loading = import('./identity/aws-verifiers.js').then(async (m) => (await m.awsVerifiers(config)).aws);
    loading.catch(() => (verifier = undefined)); // the next request tries again
    verifier = loading;
    return loading;
  };
  // The aws method spends nothing, so it has no commit step.
  return { verify: async (request) => (await load()).verify(request) };
};

/** Builds the signer for a config. */
export const assembleSigner = async (config: SignerConfig, opts: { audit?: AuditSink; checkAtStart?: boolean } = {}): Promise<SignerHandler> => {
  const runtime: { -readonly [K in keyof RuntimeOptions]: RuntimeOptions[K] } = {
    ...(opts.audit ? { audit: opts.audit } : {}),
    ...(opts.checkAtStart ? { checkAtStart: true } : {}),
  };
  if (usesRemoteKeys(config)) runtime.remoteKeys = (await import('./ca-store/remote.js')).remoteCaKeys;
  if (usesAws(config)) runtime.verifiers = { aws: lazyAwsVerifier(config) };
  if (config.authoriser) {
    const { configuredAuthoriser } = await import('./identity/aws-verifiers.js');
    const authoriser = await configuredAuthoriser(config);
    if (authoriser) runtime.authoriser = authoriser;
  }
  return buildSigner(config, runtime);
};
