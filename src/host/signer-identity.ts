// How a host proves who it is to the signer: a join token (outside AWS), or the `aws`
// method with its instance role credentials from IMDSv2, bound to this very request.
import type { WireIdentity } from '../api/wire.js';
import { requestDigest } from '../api/digest.js';
import type { PublicKey } from '../ssh/public-key.js';
import type { ImdsClient } from './imds.js';

export type HostIdentitySource = { readonly kind: 'join-token'; readonly token: string } | { readonly kind: 'imds'; readonly imds: ImdsClient; readonly region: string };

/** Builds the identity field of a host-cert request for these keys and this signer. */
export const hostIdentity = async (source: HostIdentitySource, keys: readonly PublicKey[], audience: () => Promise<string>): Promise<WireIdentity> => {
  if (source.kind === 'join-token') return { method: 'join-token', token: source.token };
  const { createAwsProof } = await import('../aws/identity-proof.js');
  const credentials = await source.imds.roleCredentials();
  const proof = await createAwsProof({
    credentials,
    region: source.region,
    audience: await audience(),
    digest: requestDigest({ action: 'host-cert', publicKeys: keys }),
  });
  return { method: 'aws', proof: { ...proof, headers: { ...proof.headers } } };
};
