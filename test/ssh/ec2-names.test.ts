// The one predicate that keeps EC2's names out of tags and join tokens.
import { describe, expect, it } from 'vitest';
import { looksEc2Owned, principalHost } from '../../src/ssh/ec2-names.js';

describe('looksEc2Owned', () => {
  it('fail/instance ids, addresses and EC2 DNS names look EC2-owned', () => {
    for (const name of [
      'i-0123456789abcdef0', 'i-01234567', 'I-0123456789ABCDEF0', 'i-0123456789abcdef0.eu-west-1.compute.internal',
      '10.1.2.3', '010.001.002.003', '167772161', '10.1', '2001:db8::1', '::1', 'fe80::1:2',
      'ip-10-1-2-3', 'ip-10-1-2-3.ec2.internal', 'IP-10-1-2-3.EC2.INTERNAL', 'ip-10-1-2-3.us-west-2.compute.internal', 'anything.compute.internal',
      'ec2-54-1-2-3.compute-1.amazonaws.com', 'ec2-54-1-2-3', 'ec2-54-1-2-3.cn-north-1.compute.amazonaws.com.cn', 'x.amazonaws.com', 'ip-10-1-2-3.ec2.internal.',
      // inet_aton's other bases (review finding): hex and mixed forms of 10.0.0.1
      '0x0a000001', '0xa.0.0.1', '0x0a.0x00.0x00.0x01', '0XA000001',
    ]) expect(looksEc2Owned(name), name).toBe(true);
  });

  it('ok/ordinary host names do not', () => {
    for (const name of ['web-1', 'web.example.com', 'build-box', 'ip-camera.example.com', 'ec2-user', 'i-team.example.com', 'host10.1', 'internal', 'compute.internal.example.com', 'amazonaws.com.example.org', '0x-team', 'cafe', 'x0a000001']) {
      expect(looksEc2Owned(name), name).toBe(false);
    }
  });

  it('ok/the host part of LOGIN@HOST', () => {
    expect(principalHost('ec2-user@i-0123456789abcdef0')).toBe('i-0123456789abcdef0');
    expect(principalHost('web-1')).toBe('web-1');
  });
});
