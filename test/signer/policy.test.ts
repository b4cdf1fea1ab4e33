// The policy phase as pure functions: default deny, facts-only host principals, the
// instance-scoped user principal, forced options, validity caps.
import { describe, expect, it } from 'vitest';
import { parseSignerConfig } from '../../src/signer/config.js';
import { authorize } from '../../src/signer/policy/authorize.js';
import { applyAuthoriserAnswer } from '../../src/signer/authoriser.js';
import { parseSignerRequest, type CertRequest } from '../../src/api/request.js';
import type { AwsHostIdentity, AwsPersonIdentity, InstanceFacts } from '../../src/signer/identity/types.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZ0dGd2hZYYB/7gUHDOPLDn0z7fkDaqDzhoj4Dx0zjT';
const config = (rules: unknown[]) =>
  parseSignerConfig({ version: 1, serverId: 's', hostCa: { store: 'file', paths: ['h'] }, userCa: { store: 'file', paths: ['u'] }, rules }, '/tmp/signer.json');
const instance = (over: Partial<InstanceFacts> = {}): InstanceFacts => ({
  instanceId: 'i-0123456789abcdef0',
  account: '111122223333',
  region: 'eu-west-1',
  state: 'running',
  instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/lkp-host',
  privateDnsName: 'ip-10-0-0-1.eu-west-1.compute.internal',
  privateIp: '10.0.0.1',
  tags: { Team: 'payments', 'lkp:principals': 'web.example.com' },
  ...over,
});
const caller = (arn: string) => ({ arn, account: '111122223333', userId: 'AROA:x', partition: 'aws' });
const host = (over: Partial<InstanceFacts> = {}, role = 'lkp-host'): AwsHostIdentity => ({ method: 'aws', kind: 'host', role, caller: caller(`arn:aws:sts::111122223333:assumed-role/${role}/i-0123456789abcdef0`), instance: instance(over) });
const person = (arn: string, over: Partial<InstanceFacts> = {}): AwsPersonIdentity => ({ method: 'aws', kind: 'person', caller: caller(arn), instance: instance(over) });
const hostReq = (validitySeconds?: number) =>
  parseSignerRequest({ version: 1, action: 'host-cert', identity: { method: 'join-token', token: 't' }, publicKeys: [KEY], ...(validitySeconds ? { validitySeconds } : {}) }) as CertRequest;
const userReq = (login: string) =>
  parseSignerRequest({ version: 1, action: 'user-cert', identity: { method: 'join-token', token: 't' }, publicKey: KEY, login, target: 'i-0123456789abcdef0' }) as CertRequest;

const HOST_RULE = { name: 'fleet', for: 'host', method: 'aws', accounts: ['111122223333'], regions: ['eu-west-1'], roles: ['lkp-host'], instanceProfiles: ['lkp-host'], tags: { Team: 'payments' }, maxValidity: '7d' };
const USER_RULE = { name: 'admins', for: 'user', method: 'aws', callers: ['arn:aws:sts::*:assumed-role/AWSReservedSSO_Admin_*/*'], instances: { tags: { Team: ['pay*'] } }, logins: ['ec2-user'], sourceAddress: ['10.0.0.0/8'], forceCommand: 'uptime', maxValidity: '2h' };

describe('policy', () => {
  it('fail/no rules: everything is denied', () => {
    expect(() => authorize(hostReq(), host(), config([]))).toThrow(/no host rule/);
    expect(() => authorize(userReq('ec2-user'), person('arn:aws:iam::111122223333:user/a'), config([]))).toThrow(/no policy rule/);
  });

  it('ok/host principals are exactly the instance facts; validity capped by the rule', () => {
    const g = authorize(hostReq(30 * 86400), host(), config([HOST_RULE]));
    expect(g.principals).toEqual(['i-0123456789abcdef0', 'ip-10-0-0-1.eu-west-1.compute.internal', '10.0.0.1']);
    expect(g.validitySeconds).toBe(7 * 86400);
    expect(g.extensions).toEqual([]);
  });

  it('ok/tag principals only where the rule names the tag, and only names it allows', () => {
    const rule = { ...HOST_RULE, extraPrincipalsTag: 'lkp:principals', extraPrincipals: ['*.example.com'] };
    expect(authorize(hostReq(), host(), config([rule])).principals).toContain('web.example.com');
    expect(() => authorize(hostReq(), host({ tags: { Team: 'payments', 'lkp:principals': 'evil.attacker.org' } }), config([rule]))).toThrow(/does not allow/);
    expect(() => authorize(hostReq(), host({ tags: { Team: 'payments', 'lkp:principals': 'a b' } }), config([rule]))).toThrow(/not a valid principal/);
    const loose = { ...rule, extraPrincipals: ['*'] };
    for (const claim of ['i-0fffffffffffffff0', '10.0.0.9', '2001:db8::1']) {
      expect(() => authorize(hostReq(), host({ tags: { Team: 'payments', 'lkp:principals': claim } }), config([loose])), claim).toThrow(/instance id or an address/);
    }
  });

  it('fail/hosts outside the rule: another role, region, profile, tag, account', () => {
    const c = config([HOST_RULE]);
    expect(() => authorize(hostReq(), host({}, 'other-role'), c)).toThrow(/no host rule/);
    expect(() => authorize(hostReq(), host({ region: 'us-east-1' }), c)).toThrow(/no host rule/);
    expect(() => authorize(hostReq(), host({ instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/admin' }), c)).toThrow(/no host rule/);
    expect(() => authorize(hostReq(), host({ tags: { Team: 'search' } }), c)).toThrow(/no host rule/);
  });

  it('ok/a person gets LOGIN@INSTANCE with the forced options, validity capped', () => {
    const g = authorize(userReq('ec2-user'), person('arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com'), config([USER_RULE]));
    expect(g.principals).toEqual(['ec2-user@i-0123456789abcdef0']);
    expect(g.criticalOptions).toEqual({ forceCommand: 'uptime', sourceAddress: ['10.0.0.0/8'] });
    expect(g.validitySeconds).toBe(3600);
  });

  it('fail/a person with another login, another team, or no matching ARN', () => {
    const c = config([USER_RULE]);
    const sso = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com';
    expect(() => authorize(userReq('root'), person(sso), c)).toThrow(/login root is not allowed.*allowed: ec2-user/);
    expect(() => authorize(userReq('ec2-user'), person(sso, { tags: { Team: 'search' } }), c)).toThrow(/no policy rule/);
    expect(() => authorize(userReq('ec2-user'), person('arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_abc/alice@example.com'), c)).toThrow(/no policy rule/);
  });

  it('fail/config: unknown fields, bad accounts, bad globs of types are errors naming the path', () => {
    expect(() => config([{ ...HOST_RULE, principals: ['x'] }])).toThrow(/rules\[0\]: unknown field "principals"/);
    expect(() => config([{ ...HOST_RULE, accounts: ['1234'] }])).toThrow(/accounts\[0\]: must be a 12-digit account id/);
    expect(() => config([{ ...USER_RULE, logins: ['root user'] }])).toThrow(/logins\[0\]/);
    expect(() => config([{ ...USER_RULE, sourceAddress: ['10.0.0.0/99'] }])).toThrow(/sourceAddress/);
    expect(() => config([{ ...HOST_RULE, extraPrincipalsTag: 'x' }])).toThrow(/extraPrincipals: is required/);
    expect(() => config([{ ...USER_RULE, extensions: ['permit-everything'] }])).toThrow(/extensions\[0\]: must be one of/);
    expect(() => config([{ ...USER_RULE, extensions: ['permit-pty', 'permit-pty'] }])).toThrow(/must not repeat/);
    expect(() => config([{ ...USER_RULE, extensions: 'permit-pty' }])).toThrow(/extensions: must be a list/);
    expect(() => config([{ name: 'h', for: 'host', method: 'join-token', principals: ['*'], extensions: [] }])).toThrow(/host rules take no/);
  });

  it('ok/a forced command grants no extensions unless the rule lists them; without one, the defaults', () => {
    const sso = person('arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com');
    expect(authorize(userReq('ec2-user'), sso, config([USER_RULE])).extensions).toEqual([]);
    expect(authorize(userReq('ec2-user'), sso, config([{ ...USER_RULE, extensions: ['permit-pty'] }])).extensions).toEqual(['permit-pty']);
    const { forceCommand: _, ...open } = USER_RULE;
    expect(authorize(userReq('ec2-user'), sso, config([open])).extensions).toEqual(['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc']);
  });
});

describe('authoriser answers', () => {
  const grant = authorize(hostReq(), host(), config([HOST_RULE]));
  it('ok/case-insensitive fields; narrowing is allowed', () => {
    expect(applyAuthoriserAnswer({ authorized: true }, grant)).toEqual(grant);
    expect(applyAuthoriserAnswer({ AUTHORIZED: true, principals: ['10.0.0.1'] }, grant).principals).toEqual(['10.0.0.1']);
  });
  it('fail/widening is impossible, and anything unclear denies', () => {
    expect(() => applyAuthoriserAnswer({ Authorized: true, Principals: ['root.example.com'] }, grant)).toThrow(/none of the principals/);
    expect(() => applyAuthoriserAnswer({ Authorized: 'yes' }, grant)).toThrow(/denied/);
    expect(() => applyAuthoriserAnswer(null, grant)).toThrow(/no usable answer/);
    expect(() => applyAuthoriserAnswer({ Authorized: false, Message: 'on call only' }, grant)).toThrow(/on call only/);
    expect(() => applyAuthoriserAnswer({ Authorized: true, Principals: 'x' }, grant)).toThrow(/malformed/);
  });
});
