// Policy for `aws` identities. Hosts: account, region, role, instance profile and tags
// must match a host rule; principals are the instance's verified facts (plus names from
// one tag, only where the rule allows it). People: a rule must match the caller ARN and
// the instance, and allow the login; the principal is LOGIN@INSTANCE-ID. Default deny.
import type { CertRequest } from '../../api/request.js';
import { userPrincipal } from '../../api/principal-scheme.js';
import { LkpError } from '../../errors.js';
import { looksEc2Owned } from '../../ssh/ec2-names.js';
import { parsePrincipal, type Principal } from '../../ssh/names.js';
import type { SignerConfig } from '../config.js';
import type { AwsHostIdentity, AwsPersonIdentity, InstanceFacts } from '../identity/types.js';
import { matchesAny } from './glob.js';
import type { Grant } from './grant.js';
import type { AwsHostRule, AwsUserRule, InstanceSelector } from './rules.js';
import { userCertOptions } from './user-options.js';
import { grantedValidity } from './validity.js';

const accountMatches = (accounts: readonly string[] | undefined, account: string): boolean => !accounts || accounts.includes('*') || accounts.includes(account);
const regionMatches = (regions: readonly string[] | undefined, region: string): boolean => !regions || regions.includes(region);
/** An instance tag's value; own properties only (tag keys are chosen by anyone who can tag). */
const tagValue = (instance: InstanceFacts, key: string): string | undefined => (Object.hasOwn(instance.tags, key) ? instance.tags[key] : undefined);
const tagsMatch = (tags: InstanceSelector['tags'], instance: InstanceFacts): boolean =>
  !tags || Object.entries(tags).every(([key, patterns]) => {
    const value = tagValue(instance, key);
    return value !== undefined && matchesAny(patterns, value);
  });

/** The instance's own names, from DescribeInstances only. */
export const instancePrincipals = (instance: InstanceFacts): Principal[] => {
  const names = [instance.instanceId, instance.privateDnsName, instance.privateIp, instance.publicDnsName, instance.publicIp].filter((n): n is string => Boolean(n));
  return [...new Set(names)].map(parsePrincipal);
};

/** Extra names from the rule's tag: each must be a valid principal and match the rule's patterns. */
const tagPrincipals = (rule: AwsHostRule, instance: InstanceFacts): Principal[] => {
  if (!rule.extraPrincipalsTag || !rule.extraPrincipals) return [];
  const raw = tagValue(instance, rule.extraPrincipalsTag);
  if (!raw) return [];
  const out: Principal[] = [];
  for (const name of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    let p: Principal;
    try {
      p = parsePrincipal(name);
    } catch {
      throw new LkpError('Forbidden', `tag ${rule.extraPrincipalsTag} names ${JSON.stringify(name.slice(0, 64))}, which is not a valid principal`);
    }
    if (!matchesAny(rule.extraPrincipals, p)) throw new LkpError('Forbidden', `tag ${rule.extraPrincipalsTag} names ${p}, which rule "${rule.name}" does not allow`);
    // Anyone with ec2:CreateTags could otherwise claim another instance's id or address.
    if (looksEc2Owned(p)) {
      throw new LkpError('Forbidden', `tag ${rule.extraPrincipalsTag} names ${p}, which looks like an instance id or an address (or an EC2 DNS name); those come only from EC2`);
    }
    out.push(p);
  }
  return out;
};

const profileMatches = (rule: AwsHostRule, arn: string | undefined): boolean => {
  if (!rule.instanceProfiles) return true;
  if (!arn) return false;
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  return matchesAny(rule.instanceProfiles, arn) || matchesAny(rule.instanceProfiles, name);
};

/**
 * Whether any rule could allow this caller for this account and region at all, decided
 * from the STS answer and the request alone, before any instance is described: a caller no
 * rule names there learns nothing about instances (existence, state) and costs no EC2 or
 * IAM call. Tags are checked after describing, before state is revealed.
 */
export const awsCallerNamedByRules = (
  action: CertRequest['action'],
  caller: { arn: string; account: string; role?: string },
  config: SignerConfig,
  target?: { account: string; region: string },
): boolean =>
  config.rules.some((r) =>
    r.method !== 'aws'
      ? false
      : r.for === 'host'
        ? action === 'host-cert' && caller.role !== undefined && accountMatches(r.accounts, caller.account) && matchesAny(r.roles, caller.role) && (!target || regionMatches(r.regions, target.region))
        : action === 'user-cert' && matchesAny(r.callers, caller.arn) && (!target || (accountMatches(r.instances.accounts, target.account) && regionMatches(r.instances.regions, target.region))),
  );

const LIVE_STATES = new Set(['pending', 'running']);

/** Decides a host certificate for an instance. */
export const authorizeAwsHost = (request: CertRequest, id: AwsHostIdentity, config: SignerConfig): Grant => {
  const { instance } = id;
  const rule = config.rules.find(
    (r): r is AwsHostRule =>
      r.method === 'aws' &&
      r.for === 'host' &&
      accountMatches(r.accounts, id.caller.account) &&
      regionMatches(r.regions, instance.region) &&
      matchesAny(r.roles, id.role) &&
      profileMatches(r, instance.instanceProfileArn) &&
      tagsMatch(r.tags, instance),
  );
  if (!rule) {
    throw new LkpError('Forbidden', `no host rule allows ${instance.instanceId} (account ${id.caller.account}, region ${instance.region}, role ${id.role}, profile ${instance.instanceProfileArn ?? 'none'})`);
  }
  const principals = [...new Set([...instancePrincipals(instance), ...tagPrincipals(rule, instance)])] as Principal[];
  return {
    ruleName: rule.name,
    certType: 'host',
    principals,
    hostId: instance.instanceId,
    validitySeconds: grantedValidity(request.validitySeconds, config.certificates.host, rule.maxValidity),
    criticalOptions: {},
    extensions: [],
  };
};

/** Decides a user certificate for (person, instance, login). */
export const authorizeAwsUser = (request: CertRequest, id: AwsPersonIdentity, config: SignerConfig): Grant => {
  if (request.action !== 'user-cert' || !id.instance) throw new LkpError('Forbidden', 'a person can only get user certificates');
  const instance = id.instance;
  const candidates = config.rules.filter(
    (r): r is AwsUserRule =>
      r.method === 'aws' &&
      r.for === 'user' &&
      matchesAny(r.callers, id.caller.arn) &&
      accountMatches(r.instances.accounts, instance.account || id.caller.account) &&
      regionMatches(r.instances.regions, instance.region) &&
      tagsMatch(r.instances.tags, instance),
  );
  if (candidates.length === 0) throw new LkpError('Forbidden', `no policy rule lets ${id.caller.arn} log in to ${instance.instanceId}`);
  // The state is told only to callers a rule lets near this instance.
  if (!LIVE_STATES.has(instance.state)) throw new LkpError('Forbidden', `instance ${instance.instanceId} is ${instance.state}; start it first`);
  const rule = candidates.find((r) => r.logins === '*' || r.logins.includes(request.login));
  if (!rule) {
    const first = candidates[0] as AwsUserRule;
    const allowed = [...new Set(candidates.flatMap((r) => (r.logins === '*' ? [] : r.logins)))];
    throw new LkpError('Forbidden', first.message ?? `login ${request.login} is not allowed on ${instance.instanceId}; allowed: ${allowed.join(', ')}`);
  }
  return {
    ruleName: rule.name,
    certType: 'user',
    principals: [userPrincipal(request.login, instance.instanceId)],
    hostId: instance.instanceId,
    validitySeconds: grantedValidity(request.validitySeconds, config.certificates.user, rule.maxValidity),
    ...userCertOptions(rule),
  };
};
