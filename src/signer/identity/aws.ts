// The `aws` IdentityVerifier, for hosts and people alike. The proof is checked offline
// first (aws-proof-check), then STS says who signed it, then EC2 says what the instance
// is. Every fact a certificate is built from comes from STS or EC2, never the request.
import type { CertRequest } from '../../api/request.js';
import { requestDigest } from '../../api/digest.js';
import { formatTarget } from '../../api/target.js';
import type { StsCaller } from '../../aws/sts-forward.js';
import { LkpError } from '../../errors.js';
import { checkAwsProof, type CheckedProof } from './aws-proof-check.js';
import { isInstanceSession, parseCallerArn } from './caller-arn.js';
import type { AwsHostIdentity, AwsPersonIdentity, IdentityVerifier, InstanceFacts } from './types.js';

export interface AwsVerifierDeps {
  readonly serverId: string;
  /** Unix seconds. */
  readonly now: () => number;
  readonly forwardToSts: (proof: CheckedProof) => Promise<StsCaller>;
  readonly describeInstance: (q: { instanceId: string; region: string; account: string }) => Promise<InstanceFacts | undefined>;
  /**
   * Why a host role is not EC2-only (its session name, the instance id, could be chosen by
   * anyone else allowed to assume it), or undefined when it is. Absent: not checked.
   */
  readonly hostRoleTrustProblem?: (q: { account: string; role: string; partition: string }) => Promise<string | undefined>;
  /**
   * Whether any policy rule names this caller (host: its account and role; person: its
   * ARN). Asked before any EC2 or IAM call; absent: every caller goes on.
   */
  readonly callerNamed?: (action: CertRequest['action'], caller: { arn: string; account: string; role?: string }, target: { account: string; region: string }) => boolean;
}

const LIVE_STATES = new Set(['pending', 'running']);

/** Builds the verifier around its I/O (STS and EC2 calls are passed in). */
export const awsVerifier = (deps: AwsVerifierDeps): IdentityVerifier => ({
  verify: async (request: CertRequest): Promise<AwsHostIdentity | AwsPersonIdentity> => {
    if (request.identity.method !== 'aws') throw new LkpError('Internal', 'wrong verifier');
    const digest = requestDigest(
      request.action === 'host-cert'
        ? { action: request.action, publicKeys: request.publicKeys }
        : { action: request.action, publicKeys: [request.publicKey], login: request.login, target: formatTarget(request.target) },
    );
    const checked = checkAwsProof(request.identity.proof, { audience: deps.serverId, digest, now: deps.now() });
    const sts = await deps.forwardToSts(checked);
    const arn = parseCallerArn(sts.arn);
    if (arn.account !== sts.account) throw new LkpError('Unauthenticated', 'STS answer is inconsistent (account)');
    const caller = { arn: sts.arn, account: sts.account, userId: sts.userId, partition: arn.partition };
    // One answer for every caller no rule names, whatever the target: no oracle, no AWS cost.
    const unnamed = (): never => {
      throw new LkpError('Forbidden', `no policy rule names ${sts.arn}`);
    };

    if (request.action === 'host-cert') {
      if (!isInstanceSession(arn)) throw new LkpError('Forbidden', 'only an EC2 instance role session (assumed-role/ROLE/i-…) can request a host certificate');
      if (deps.callerNamed && !deps.callerNamed(request.action, { arn: sts.arn, account: arn.account, role: arn.role }, { account: arn.account, region: checked.region })) unnamed();
      // EC2's facts and the role's trust policy are independent: ask both at once.
      const [instance, trust] = await Promise.all([
        deps.describeInstance({ instanceId: arn.session, region: checked.region, account: arn.account }),
        deps.hostRoleTrustProblem?.({ account: arn.account, role: arn.role, partition: arn.partition }),
      ]);
      if (!instance) throw new LkpError('Forbidden', `instance ${arn.session} does not exist in ${arn.account}/${checked.region}`);
      if (instance.account && instance.account !== arn.account) throw new LkpError('Forbidden', `instance ${arn.session} belongs to another account`);
      if (!LIVE_STATES.has(instance.state)) throw new LkpError('Forbidden', `instance ${arn.session} is ${instance.state}, not running`);
      if (!instance.instanceProfileArn) throw new LkpError('Forbidden', `instance ${arn.session} has no instance profile, so this session cannot be its role`);
      if (trust) throw new LkpError('Forbidden', `host role ${arn.role} is not EC2-only (${trust}): anyone who can assume it can pick an instance id as session name; restrict its trust policy to ec2.amazonaws.com`);
      return { method: 'aws', kind: 'host', caller, role: arn.role, instance };
    }

    if (request.target.kind !== 'instance') throw new LkpError('BadRequest', 'aws identities get user certificates for EC2 instances (instance id or ARN) only');
    if (request.target.partition && request.target.partition !== arn.partition) throw new LkpError('Forbidden', 'target instance is in another AWS partition');
    const region = request.target.region ?? checked.region;
    const account = request.target.account ?? arn.account;
    // Named somewhere is not enough: a rule must cover this account and region before EC2 is asked.
    if (deps.callerNamed && !deps.callerNamed(request.action, { arn: sts.arn, account: arn.account }, { account, region })) unnamed();
    const instance = await deps.describeInstance({ instanceId: request.target.instanceId, region, account });
    if (!instance) throw new LkpError('NotFound', `instance ${request.target.instanceId} does not exist in ${account}/${region}`);
    // The account that was asked (and whose credentials were used) must own the instance.
    if (instance.account && instance.account !== account) throw new LkpError('Forbidden', `instance ${request.target.instanceId} does not belong to account ${account}`);
    // Its state is for the policy to reveal, after the rule's tags matched (authorize-aws).
    return { method: 'aws', kind: 'person', caller, instance };
  },
});
