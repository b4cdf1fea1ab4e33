// The join-token IdentityVerifier: checks the token; spends it only once the policy (and
// the authoriser) allowed the request, so a refused request leaves the token usable. The
// token is spent for one request (its digest): a client retrying that very request after a
// timeout gets its certificate again; any other request finds it used.
import { requestDigest } from '../../api/digest.js';
import type { CertRequest } from '../../api/request.js';
import { formatTarget } from '../../api/target.js';
import { LkpError } from '../../errors.js';
import { verifyJoinToken } from './join-token.js';
import type { JoinTokenMac } from './join-token-key.js';
import type { TokenLedger } from './token-ledger.js';
import type { Commitment, IdentityVerifier, JoinTokenIdentity, VerifiedIdentity } from './types.js';

/** The digest of what a token is redeemed for: action, public keys, and login and target for users. */
const digestOf = (request: CertRequest): string =>
  requestDigest(
    request.action === 'host-cert'
      ? { action: request.action, publicKeys: request.publicKeys }
      : { action: request.action, publicKeys: [request.publicKey], login: request.login, target: formatTarget(request.target) },
  );

/** Verifies join tokens minted with `key` for `serverId`. */
export const joinTokenVerifier = (opts: { key: JoinTokenMac; serverId: string; ledger: TokenLedger; now: () => number }): IdentityVerifier => ({
  verify: async (request: CertRequest): Promise<JoinTokenIdentity> => {
    if (request.identity.method !== 'join-token') throw new LkpError('Internal', 'wrong verifier');
    const claims = await verifyJoinToken(request.identity.token, opts.key, opts.serverId, opts.now());
    const wanted = request.action === 'host-cert' ? 'host' : 'user';
    if (claims.for !== wanted) throw new LkpError('Unauthenticated', `join token rejected: it is for ${claims.for} certificates, not ${wanted}`);
    return { method: 'join-token', tokenId: claims.jti, certType: claims.for, principals: claims.principals, expiresAt: claims.exp, requestDigest: digestOf(request) };
  },
  commit: async (identity: VerifiedIdentity): Promise<Commitment> => {
    if (identity.method !== 'join-token') throw new LkpError('Internal', 'wrong verifier');
    const redemption = await opts.ledger.redeem(identity.tokenId, identity.expiresAt, identity.requestDigest);
    if (redemption === 'refused') throw new LkpError('Unauthenticated', 'join token rejected: already used (tokens are single-use)');
    return { reissue: redemption === 'again' };
  },
});
