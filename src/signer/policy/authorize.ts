// The policy phase: route a verified identity to the rules for its method.
import type { CertRequest } from '../../api/request.js';
import { LkpError } from '../../errors.js';
import type { SignerConfig } from '../config.js';
import type { VerifiedIdentity } from '../identity/types.js';
import { authorizeAwsHost, authorizeAwsUser } from './authorize-aws.js';
import { authorizeJoinToken } from './authorize-join-token.js';
import type { Grant } from './grant.js';

/** Decides what `identity` may have for `request`; throws Forbidden by default. */
export const authorize = (request: CertRequest, identity: VerifiedIdentity, config: SignerConfig): Grant => {
  switch (identity.method) {
    case 'join-token':
      return authorizeJoinToken(request, identity, config);
    case 'aws':
      if (identity.kind === 'host') {
        if (request.action !== 'host-cert') throw new LkpError('Forbidden', 'an instance role session can only get host certificates');
        return authorizeAwsHost(request, identity, config);
      }
      return authorizeAwsUser(request, identity, config);
  }
};
