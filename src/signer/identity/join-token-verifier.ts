// The join-token IdentityVerifier: checks the token; spends it only once the policy (and
// the authoriser) allowed the request, so a refused request leaves the token usable.
import type { CertRequest } from '../../api/request.js';
import { LkpError } from '../../errors.js';
import { verifyJoinToken } from './join-token.js';
import type { JoinTokenMac } from './join-token-key.js';
import type { TokenLedger } from './token-ledger.js';
import type { IdentityVerifier, JoinTokenIdentity, VerifiedIdentity } from './types.js';

/** Verifies join tokens minted with `key` for `serverId`. */
export const joinTokenVerifier = (opts: { key: JoinTokenMac; serverId: string; ledger: TokenLedger; now: () => number }): IdentityVerifier => ({
  verify: async (request: CertRequest): Promise<JoinTokenIdentity> => {
    if (request.identity.method !== 'join-token') throw new LkpError('Internal', 'wrong verifier');
    const claims = await verifyJoinToken(request.identity.token, opts.key, opts.serverId, opts.now());
    const wanted = request.action === 'host-cert' ? 'host' : 'user';
    if (claims.for !== wanted) throw new LkpError('Unauthenticated', `join token rejected: it is for ${claims.for} certificates, not ${wanted}`);
    return { method: 'join-token', tokenId: claims.jti, certType: claims.for, principals: claims.principals, expiresAt: claims.exp };
  },
  commit: async (identity: VerifiedIdentity): Promise<void> => {
    if (identity.method !== 'join-token') throw new LkpError('Internal', 'wrong verifier');
    if (!(await opts.ledger.redeem(identity.tokenId, identity.expiresAt))) throw new LkpError('Unauthenticated', 'join token rejected: already used (tokens are single-use)');
  },
});
