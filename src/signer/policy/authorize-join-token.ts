// Policy for join-token identities: the token says which names it may claim, and a rule
// must allow every one of them. Default deny.
import type { CertRequest } from '../../api/request.js';
import { targetHostId } from '../../api/target.js';
import { userPrincipal } from '../../api/principal-scheme.js';
import { LkpError } from '../../errors.js';
import { DEFAULT_USER_EXTENSIONS } from '../../ssh/certificate.js';
import type { SignerConfig } from '../config.js';
import type { JoinTokenIdentity } from '../identity/types.js';
import { matchesAny } from './glob.js';
import type { Grant } from './grant.js';
import type { JoinTokenRule } from './rules.js';
import { grantedValidity } from './validity.js';

/** Decides a join-token request; throws Forbidden when no rule allows it. */
export const authorizeJoinToken = (request: CertRequest, identity: JoinTokenIdentity, config: SignerConfig): Grant => {
  const certType = request.action === 'host-cert' ? 'host' : 'user';
  const rules = config.rules.filter((r): r is JoinTokenRule => r.method === 'join-token' && r.for === certType);
  if (request.action === 'host-cert') {
    const rule = rules.find((r) => identity.principals.every((p) => matchesAny(r.principals, p)));
    if (!rule) throw new LkpError('Forbidden', `no policy rule allows a host certificate for ${identity.principals.join(', ')}`);
    return {
      ruleName: rule.name,
      certType,
      principals: identity.principals,
      hostId: identity.principals[0] as string,
      validitySeconds: grantedValidity(request.validitySeconds, config.certificates.host, rule.maxValidity),
      criticalOptions: {},
      extensions: [],
    };
  }
  const hostId = targetHostId(request.target);
  const principal = userPrincipal(request.login, hostId);
  if (!identity.principals.includes(principal)) {
    throw new LkpError('Forbidden', `this join token does not allow login ${request.login} on ${hostId} (it allows ${identity.principals.join(', ')})`);
  }
  const rule = rules.find((r) => matchesAny(r.principals, principal));
  if (!rule) throw new LkpError('Forbidden', `no policy rule allows a user certificate for ${principal}`);
  return {
    ruleName: rule.name,
    certType,
    principals: [principal],
    hostId,
    validitySeconds: grantedValidity(request.validitySeconds, config.certificates.user, rule.maxValidity),
    criticalOptions: {
      ...(rule.forceCommand !== undefined ? { forceCommand: rule.forceCommand } : {}),
      ...(rule.sourceAddress !== undefined ? { sourceAddress: rule.sourceAddress } : {}),
    },
    extensions: [...DEFAULT_USER_EXTENSIONS],
  };
};
