// Wires the `aws` identity method and the external authoriser to real AWS calls through
// the SDK clients (endpoints from the SDK's AWS_ENDPOINT_URL_* variables). The signer's
// own credentials are the SDK's default chain, refreshed before they expire; other
// accounts are reached through sts:AssumeRole, refreshed the same way.
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { describeInstance } from '../../aws/ec2-describe-instance.js';
import { assumeRoleProvider } from '../../aws/assume-role.js';
import { fetchRoleTrustPolicy } from '../../aws/iam-role-trust.js';
import { forwardProofToSts } from '../../aws/sts-forward.js';
import { awsCallerNamedByRules } from '../policy/authorize-aws.js';
import { ec2OnlyTrustProblem } from '../policy/trust-policy.js';
import type { SignerConfig } from '../config.js';
import type { Authoriser } from '../handle.js';
import { awsVerifier } from './aws.js';
import type { IdentityVerifier } from './types.js';

/**
 * The signer's DescribeInstances retries. One quick retry absorbs a blip; when EC2 keeps
 * throttling, the host is answered `Throttled` at once and backs off with full jitter
 * itself. Long in-signer retries (adaptive, 6 attempts) held requests past the hosts'
 * timeouts in the bench's boot storm: abandoned requests spent EC2 tokens on certificates
 * nobody received, and only 82% of 2,000 hosts were certified in 200 s (2 attempts: 100%,
 * p99 1.06x the bucket's floor).
 */
export const SIGNER_EC2_RETRY = { maxAttempts: 2, retryMode: 'standard' } as const;

/** Identity verifiers that need AWS: `{ aws }`. */
export const awsVerifiers = async (config: SignerConfig, now: () => number = () => Math.floor(Date.now() / 1000)): Promise<{ aws: IdentityVerifier }> => {
  const roles = new Map<string, Promise<AwsCredentialIdentityProvider>>();
  /** undefined = the signer's own identity (the SDK's default chain). */
  const credentialsFor = async (account: string, region: string): Promise<AwsCredentialIdentityProvider | undefined> => {
    const roleArn = Object.hasOwn(config.aws.crossAccountRoles, account) ? config.aws.crossAccountRoles[account] : undefined;
    if (!roleArn) return undefined;
    const key = `${roleArn}|${region}`;
    if (!roles.has(key)) roles.set(key, assumeRoleProvider(roleArn, region));
    return roles.get(key);
  };
  // Trust policies change rarely: cache each role's verdict for five minutes.
  const trustCache = new Map<string, { until: number; problem: string | undefined }>();
  const hostRoleTrustProblem = async ({ account, role, partition }: { account: string; role: string; partition: string }): Promise<string | undefined> => {
    const key = `${account}/${role}`;
    const hit = trustCache.get(key);
    if (hit && hit.until > Date.now()) return hit.problem;
    const doc = await fetchRoleTrustPolicy(role, await credentialsFor(account, 'us-east-1'), partition);
    const problem = doc === undefined ? 'the role does not exist' : ec2OnlyTrustProblem(doc);
    trustCache.set(key, { until: Date.now() + 300_000, problem });
    return problem;
  };
  return {
    aws: awsVerifier({
      serverId: config.serverId,
      now,
      forwardToSts: (proof) => forwardProofToSts(proof),
      describeInstance: async ({ instanceId, region, account }) => {
        const credentials = await credentialsFor(account, region);
        return describeInstance({ instanceId, region, ...SIGNER_EC2_RETRY, ...(credentials ? { credentials } : {}) });
      },
      ...(config.aws.requireEc2OnlyHostRoles ? { hostRoleTrustProblem } : {}),
      callerNamed: (action, caller, target) => awsCallerNamedByRules(action, caller, config, target),
    }),
  };
};

/** The external authoriser hook, when the config names one. */
export const configuredAuthoriser = async (config: SignerConfig): Promise<Authoriser | undefined> => {
  const settings = config.authoriser;
  if (!settings) return undefined;
  const { externalAuthoriser } = await import('../authoriser.js');
  const { invokeJson } = await import('../../aws/lambda-invoke.js');
  const region = settings.region ?? process.env.AWS_REGION ?? 'us-east-1';
  return externalAuthoriser(
    (payload) => invokeJson({ functionName: settings.functionName, region, payload, timeoutMs: settings.timeoutMs }),
    settings.timeoutMs,
  );
};
