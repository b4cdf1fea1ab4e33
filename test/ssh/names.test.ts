import { describe, expect, it } from 'vitest';
import { parseKeyId, parseLogin, parsePrincipal, parsePrincipals } from '../../src/ssh/names.js';
import { parseCidr, parseSourceAddress } from '../../src/ssh/source-address.js';

describe('principals, logins, key IDs', () => {
  it('ok/ordinary names pass', () => {
    for (const p of ['web-1', 'ip-10-0-0-1.ec2.internal', 'ec2-user@i-0123456789abcdef0', '10.0.0.1', 'host:22', 'a+b']) expect(parsePrincipal(p)).toBe(p);
    for (const l of ['ec2-user', 'ubuntu', '_svc', 'a.b']) expect(parseLogin(l)).toBe(l);
    expect(parseKeyId('lkp user host=i-1 caller=arn:aws:iam::1:user/a req=x')).toBeTruthy();
  });
  const hostile = ['a b', 'a,b', 'a\nb', 'a\0b', 'a\tb', '*', 'web-*', 'a?', '!a', '-rf', '', 'a"b', "a'b", 'a\\b', '$(id)', '`id`', 'a;b', 'a#b', 'x'.repeat(256), 'a/b', 'ünï'];
  for (const p of hostile) {
    it(`fail/principal ${JSON.stringify(p).slice(0, 30)}`, () => expect(() => parsePrincipal(p)).toThrow());
  }
  it('fail/logins that are not user names', () => {
    for (const l of ['admin$', 'root user', 'a,b', 'x'.repeat(33), '1abc', '../etc', 'a/b', '', '%u']) expect(() => parseLogin(l)).toThrow();
  });
  it('fail/key IDs with control characters, quotes or no end', () => {
    for (const k of ['a\nb', 'a"b', 'a\\b', '', 'x'.repeat(513), 'a\0']) expect(() => parseKeyId(k)).toThrow();
  });
  it('fail/duplicate or too many principals', () => {
    expect(() => parsePrincipals(['a', 'a'])).toThrow(/twice/);
    expect(() => parsePrincipals([])).toThrow(/at least one/);
    expect(() => parsePrincipals(Array.from({ length: 257 }, (_, i) => `p${i}`))).toThrow(/at most/);
  });
  it('ok/source addresses', () => {
    for (const c of ['10.0.0.0/8', '192.168.1.1', '0.0.0.0/0', '::1', '2001:db8::/32', '::ffff:10.0.0.1', 'fe80::1/128']) expect(parseCidr(c)).toBe(c);
    expect(parseSourceAddress('10.0.0.0/8,127.0.0.1/32')).toHaveLength(2);
  });
  it('fail/source addresses', () => {
    for (const c of ['10.0.0.0/33', '256.0.0.1', '10.0.0', 'a.b.c.d', '::1/129', '1:2:3:4:5:6:7:8:9', '10.0.0.1/', '10.0.0.01', '*', 'localhost', '10.0.0.0/8 ']) expect(() => parseCidr(c), c).toThrow();
    expect(() => parseSourceAddress([])).toThrow();
  });
});
