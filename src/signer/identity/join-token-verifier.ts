// The join-token IdentityVerifier: checks the token; spends it only once the policy (and
// the authoriser) allowed the request, so a refused request leaves the token usable. The
// token is spent for one request (its digest): a client retrying that very request after a
// timeout gets its certificate again; any other request finds it used.
import { requestDigest } from '../../api/digest.js';
import type { CertRequest } from '../../api/request.js';
import { formatTarget } from '../../api/target.js';
import { LkpError } from '../../errors.js';
import { verifyJoinToken, type JoinTokenClaims } from './join-token.js';
import type { JoinTokenMac } from './join-token-key.js';
import type { Redemption, TokenLedger } from './token-ledger.js';
import type { Commitment, IdentityVerifier, JoinTokenIdentity, VerifiedIdentity } from './types.js';

/** The digest of what a token is redeemed for: action, public keys, and login and target for users. */
const digestOf = (request: CertRequest): string =>
  requestDigest(
    request.action === 'host-cert'
      ? { action: request.action, publicKeys: request.publicKeys }
      : { action: request.action, publicKeys: [request.publicKey], login: request.login, target: formatTarget(request.target) },
  );

/** Verifies join tokens minted with `key` for `serverId`. */
const identityFor = (request: CertRequest, claims: JoinTokenClaims): JoinTokenIdentity => {
  const wanted = request.action === 'host-cert' ? 'host' : 'user';
  if (claims.for !== wanted) throw new LkpError('Unauthenticated', `join token rejected: it is for ${claims.for} certificates, not ${wanted}`);
  return { method: 'join-token', tokenId: claims.jti, certType: claims.for, principals: claims.principals, expiresAt: claims.exp, requestDigest: digestOf(request) };
};

const FIRST: Commitment = Object.freeze({ reissue: false });
const AGAIN: Commitment = Object.freeze({ reissue: true });
const committed = (redemption: Redemption): Commitment => {
  if (redemption === 'refused') throw new LkpError('Unauthenticated', 'join token rejected: already used (tokens are single-use)');
  return redemption === 'again' ? AGAIN : FIRST;
};

/**
 * Verifies join tokens minted with `key` for `serverId`. With a key and a ledger in this
 * process both steps answer at once (no promise); KMS and shared ledgers answer with one.
 */
export const joinTokenVerifier = (opts: { key: JoinTokenMac; serverId: string; ledger: TokenLedger; now: () => number }): IdentityVerifier => ({
  verify: (request: CertRequest): JoinTokenIdentity | Promise<JoinTokenIdentity> => {
    if (request.identity.method !== 'join-token') throw new LkpError('Internal', 'wrong verifier');
    const claims = verifyJoinToken(request.identity.token, opts.key, opts.serverId, opts.now());
    return claims instanceof Promise ? claims.then((c) => identityFor(request, c)) : identityFor(request, claims);
  },
  commit: (identity: VerifiedIdentity): Commitment | Promise<Commitment> => {
    if (identity.method !== 'join-token') throw new LkpError('Internal', 'wrong verifier');
    const redemption = opts.ledger.redeem(identity.tokenId, identity.expiresAt, identity.requestDigest);
    return redemption instanceof Promise ? redemption.then(committed) : committed(redemption);
  },
});
