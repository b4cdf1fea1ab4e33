// Policy for join-token identities: the token says which names it may claim, and a rule
// must allow every one of them. Default deny.
import type { CertRequest } from '../../api/request.js';
import { targetHostId } from '../../api/target.js';
import { userPrincipal } from '../../api/principal-scheme.js';
import { LkpError } from '../../errors.js';
import type { SignerConfig } from '../config.js';
import type { JoinTokenIdentity } from '../identity/types.js';
import { looksEc2Owned, principalHost } from '../../ssh/ec2-names.js';
import { matchesAny } from './glob.js';
import type { Grant } from './grant.js';
import type { JoinTokenRule } from './rules.js';
import { userCertOptions } from './user-options.js';
import { grantedValidity } from './validity.js';

/**
 * True when `rule` lets a token grant `principal`. A name shaped like an EC2 name (instance
 * id, IP address, EC2 DNS name; for LOGIN@HOST, the HOST part) could open an instance that
 * never joined, so only a rule that lists it literally (no wildcard) grants it.
 */
export const joinTokenRuleAllows = (rule: JoinTokenRule, principal: string): boolean =>
  matchesAny(rule.principals, principal) && (!looksEc2Owned(principalHost(principal)) || rule.literalPrincipals.has(principal));

/**
 * The first join-token rule for `certType` that allows every one of `principals`, in config
 * order. Plain loops: this runs for every request (no filtered copy of the rules, no closures).
 */
const firstRuleAllowing = (config: SignerConfig, certType: 'host' | 'user', principals: readonly string[]): JoinTokenRule | undefined => {
  for (const r of config.rules) {
    if (r.method !== 'join-token' || r.for !== certType) continue;
    let all = true;
    for (const p of principals) {
      if (!joinTokenRuleAllows(r, p)) {
        all = false;
        break;
      }
    }
    if (all) return r;
  }
  return undefined;
};

/** Decides a join-token request; throws Forbidden when no rule allows it. */
export const authorizeJoinToken = (request: CertRequest, identity: JoinTokenIdentity, config: SignerConfig): Grant => {
  const certType = request.action === 'host-cert' ? 'host' : 'user';
  if (request.action === 'host-cert') {
    const rule = firstRuleAllowing(config, certType, identity.principals);
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
  const rule = firstRuleAllowing(config, certType, [principal]);
  if (!rule) throw new LkpError('Forbidden', `no policy rule allows a user certificate for ${principal}`);
  return {
    ruleName: rule.name,
    certType,
    principals: [principal],
    hostId,
    validitySeconds: grantedValidity(request.validitySeconds, config.certificates.user, rule.maxValidity),
    ...userCertOptions(rule),
  };
};
