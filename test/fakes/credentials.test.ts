import { describe, expect, it } from 'vitest';
import { CredentialRegistry, assumedRole, iamUser, instanceRole, sdkCredentials, ssoRole } from './credentials.js';

describe('test identities', () => {
  it('build the ARNs and user ids AWS would report', () => {
    const u = iamUser('alice');
    expect(u).toMatchObject({ arn: 'arn:aws:iam::111122223333:user/alice', account: '111122223333' });
    expect(u.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(u.userId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(u.sessionToken).toBeUndefined();

    const r = assumedRole('ROLE', 'SESSION', { account: '444455556666' });
    expect(r.arn).toBe('arn:aws:sts::444455556666:assumed-role/ROLE/SESSION');
    expect(r.userId).toMatch(/^AROA[A-Z2-7]{17}:SESSION$/);
    expect(r.accessKeyId).toMatch(/^ASIA/);
    expect(r.sessionToken).toBeTruthy();
    expect(r.expiresAt?.getTime()).toBeGreaterThan(Date.now());

    expect(ssoRole('alice@example.com').arn).toBe(
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc123/alice@example.com',
    );
    expect(instanceRole().arn).toBe('arn:aws:sts::111122223333:assumed-role/lkp-host/i-0123456789abcdef0');
    expect(instanceRole().userId.endsWith(':i-0123456789abcdef0')).toBe(true);
  });

  it('registry adds, finds and revokes by access key id', () => {
    const reg = new CredentialRegistry();
    const a = reg.add(iamUser());
    expect(reg.get(a.accessKeyId)).toBe(a);
    expect(reg.list()).toEqual([a]);
    expect(reg.remove(a.accessKeyId)).toBe(true);
    expect(reg.get(a.accessKeyId)).toBeUndefined();
  });

  it('sdkCredentials carries the session token only when there is one', () => {
    expect(Object.keys(sdkCredentials(iamUser()))).toEqual(['accessKeyId', 'secretAccessKey']);
    expect(Object.keys(sdkCredentials(instanceRole()))).toEqual(['accessKeyId', 'secretAccessKey', 'sessionToken']);
  });
});
