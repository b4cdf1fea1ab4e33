// Is a host role's trust policy EC2-only? The instance id in a host's identity is its role
// session name, which anyone allowed to assume the role could choose; a role that only the
// EC2 service can assume closes that hole. Pure: the document is passed in.

const EC2_SERVICES = new Set(['ec2.amazonaws.com', 'ec2.amazonaws.com.cn']);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity'];

/** IAM action patterns are case-insensitive globs (`*`, `?`): test them as such. */
const actionMatches = (pattern: string, action: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(action);

/** True when the statement's Action could grant any AssumeRole* (unknown shapes count as yes). */
const grantsAssume = (action: unknown): boolean =>
  list(action).some((a) => typeof a !== 'string' || ASSUME_ACTIONS.some((target) => actionMatches(a, target)));

/** Why the trust policy is not EC2-only, or undefined when it is. */
export const ec2OnlyTrustProblem = (doc: unknown): string | undefined => {
  if (typeof doc !== 'object' || doc === null) return 'the trust policy is not a JSON object';
  const statements = list((doc as { Statement?: unknown }).Statement);
  if (statements.length === 0) return 'the trust policy has no statements';
  for (const st of statements) {
    if (typeof st !== 'object' || st === null) return 'a trust policy statement is malformed';
    const s = st as Record<string, unknown>;
    if (s.Effect !== 'Allow') continue;
    if (s.NotAction !== undefined || s.NotPrincipal !== undefined) return 'an Allow statement uses NotAction or NotPrincipal';
    if (!grantsAssume(s.Action)) continue;
    const principal = s.Principal;
    if (typeof principal !== 'object' || principal === null) return `principal ${JSON.stringify(principal)} may assume the role`;
    for (const [kind, value] of Object.entries(principal as Record<string, unknown>)) {
      if (kind !== 'Service') return `${kind} principals may assume the role`;
      for (const service of list(value)) if (typeof service !== 'string' || !EC2_SERVICES.has(service)) return `service ${JSON.stringify(service)} may assume the role`;
    }
  }
  return undefined;
};
