// One interface for every identity method (step-ca's provisioner shape): a verifier
// turns the request's proof into facts the signer trusts, or refuses. Certificate
// principals come only from these facts, never from the request alone.
import type { CertRequest } from '../../api/request.js';
import type { CertType } from '../../ssh/key-policy.js';
import type { Principal } from '../../ssh/names.js';

export interface JoinTokenIdentity {
  readonly method: 'join-token';
  readonly tokenId: string;
  readonly certType: CertType;
  /** The names the operator's token allows (host names, or LOGIN@HOST for users). */
  readonly principals: readonly Principal[];
  /** Unix seconds: the token's expiry (how long the ledger must remember it). */
  readonly expiresAt: number;
  /** The request digest (src/api/digest.ts) the token is redeemed for: a retry of the same request redeems it again. */
  readonly requestDigest: string;
}

/** Facts about an EC2 instance, as DescribeInstances reported them. */
export interface InstanceFacts {
  readonly instanceId: string;
  readonly account: string;
  readonly region: string;
  readonly state: string;
  readonly instanceProfileArn?: string;
  readonly privateDnsName?: string;
  readonly privateIp?: string;
  readonly publicDnsName?: string;
  readonly publicIp?: string;
  readonly vpcId?: string;
  readonly subnetId?: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface AwsCaller {
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
  readonly partition: string;
}

export interface AwsHostIdentity {
  readonly method: 'aws';
  readonly kind: 'host';
  readonly caller: AwsCaller;
  readonly role: string;
  readonly instance: InstanceFacts;
}

export interface AwsPersonIdentity {
  readonly method: 'aws';
  readonly kind: 'person';
  readonly caller: AwsCaller;
  /** The target instance's facts (user certificates for EC2 targets). */
  readonly instance?: InstanceFacts;
}

export type VerifiedIdentity = JoinTokenIdentity | AwsHostIdentity | AwsPersonIdentity;

/** A short, log-safe description of who asked. */
export const describeCaller = (id: VerifiedIdentity): string =>
  id.method === 'join-token' ? `join-token:${id.tokenId}` : id.caller.arn;

/** What spending a single-use identity found. */
export interface Commitment {
  /** The same request had already spent it (a client retry): the certificate is issued again. */
  readonly reissue: boolean;
}

export interface IdentityVerifier {
  /**
   * Verifies the request's proof; throws Unauthenticated (or Forbidden) when it fails. A
   * verifier whose checks are all in this process may answer at once, without a promise.
   */
  verify(request: CertRequest): VerifiedIdentity | Promise<VerifiedIdentity>;
  /**
   * Called once the request is allowed, right before signing: a single-use identity is
   * spent here (so a refused request does not spend it); throws when another request
   * already spent it. Like verify, it may answer at once (an in-memory ledger).
   */
  commit?(identity: VerifiedIdentity): Commitment | Promise<Commitment>;
}
