// Wires the `aws` identity method and the external authoriser to real AWS calls (lean
// SigV4 requests; endpoints from the SDK's AWS_ENDPOINT_URL_* variables).
import type { AwsCredentialIdentity } from '@smithy/types';
import { defaultCredentials } from '../../aws/credentials.js';
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

/** Identity verifiers that need AWS: `{ aws }`. */
export const awsVerifiers = async (config: SignerConfig, now: () => number = () => Math.floor(Date.now() / 1000)): Promise<{ aws: IdentityVerifier }> => {
  // Asked every time: the provider refreshes before expiry (a cached copy would go stale).
  const own = (): Promise<AwsCredentialIdentity> => defaultCredentials();
  const roles = new Map<string, () => Promise<AwsCredentialIdentity>>();
  const credentialsFor = (account: string, region: string): Promise<AwsCredentialIdentity> => {
    const roleArn = config.aws.crossAccountRoles[account];
    if (!roleArn) return own();
    const key = `${roleArn}|${region}`;
    if (!roles.has(key)) roles.set(key, assumeRoleProvider(roleArn, region, own));
    return (roles.get(key) as () => Promise<AwsCredentialIdentity>)();
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
      describeInstance: async ({ instanceId, region, account }) => describeInstance({ instanceId, region, credentials: await credentialsFor(account, region) }),
      ...(config.aws.requireEc2OnlyHostRoles ? { hostRoleTrustProblem } : {}),
      callerNamed: (action, caller) => awsCallerNamedByRules(action, caller, config),
    }),
  };
};

/** The external authoriser hook, when the config names one. */
export const configuredAuthoriser = async (config: SignerConfig): Promise<Authoriser | undefined> => {
  const settings = config.authoriser;
  if (!settings) return undefined;
  const { externalAuthoriser } = await import('../authoriser.js');
  const { invokeLambdaLean } = await import('../../aws/lambda-invoke-lean.js');
  const region = settings.region ?? process.env.AWS_REGION ?? 'us-east-1';
  return externalAuthoriser(
    async (payload) => invokeLambdaLean({ functionName: settings.functionName, region, credentials: await defaultCredentials(), payload, timeoutMs: settings.timeoutMs }),
    settings.timeoutMs,
  );
};
