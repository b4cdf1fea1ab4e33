// How a host proves who it is to the signer: a join token (outside AWS), or the `aws`
// method with its instance role credentials from IMDSv2, bound to this very request.
import type { WireIdentity } from '../api/wire.js';
import { requestDigest } from '../api/digest.js';
import type { PublicKey } from '../ssh/public-key.js';
import type { AwsCredentialIdentity } from '@smithy/types';

/** A join token, or the instance role's credentials (read from IMDSv2) and region. */
export type HostIdentitySource =
  | { readonly kind: 'join-token'; readonly token: string }
  | { readonly kind: 'instance-role'; readonly credentials: AwsCredentialIdentity; readonly region: string };

/**
 * Builds the identity field of a host-cert request for these keys and this signer. The
 * proof is dated `signingDate` (the signer's clock, from its ca-keys answer), not by this
 * host's clock, which may be far off right after boot.
 */
export const hostIdentity = async (source: HostIdentitySource, keys: readonly PublicKey[], audience: () => Promise<string>, signingDate?: Date): Promise<WireIdentity> => {
  if (source.kind === 'join-token') return { method: 'join-token', token: source.token };
  const { createAwsProof } = await import('../aws/identity-proof.js');
  const proof = await createAwsProof({
    credentials: source.credentials,
    region: source.region,
    audience: await audience(),
    digest: requestDigest({ action: 'host-cert', publicKeys: keys }),
    ...(signingDate ? { signingDate } : {}),
  });
  return { method: 'aws', proof: { ...proof, headers: { ...proof.headers } } };
};
