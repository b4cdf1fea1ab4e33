import { describe, expect, it, beforeAll } from 'vitest';
import { DEFAULT_USER_EXTENSIONS } from '../../src/ssh/certificate.js';
import { CA_KEY_ALGORITHMS } from '../../src/ssh/private-key.js';
import { parseCertificate, verifyCertificate } from '../../src/ssh/parse-certificate.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { parseKeyId } from '../../src/ssh/names.js';
import type { Cidr } from '../../src/ssh/source-address.js';
import { certInfo, genKey, readPub, tempDir, type KeyType } from '../helpers/openssh.js';
import { makeCa, nowSec, signCert } from '../helpers/ca.js';

const SUBJECTS: KeyType[] = ['ed25519', 'ecdsa-256', 'ecdsa-384', 'ecdsa-521', 'rsa-2048', 'rsa-3072'];
// FIDO public keys cannot be generated without a token; these are real sk key lines.
const SK_ED25519 = 'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIGZ0dGd2hZYYB/7gUHDOPLDn0z7fkDaqDzhoj4Dx0zjTAAAABHNzaDo=';

describe('certificates', () => {
  const dir = tempDir();
  const subjects = new Map<KeyType, string>();
  beforeAll(async () => {
    await Promise.all(SUBJECTS.map(async (t) => subjects.set(t, readPub(await genKey(dir, `subj-${t}`, t)))));
  });

  for (const alg of CA_KEY_ALGORITHMS.filter((a) => a !== 'rsa-4096')) {
    it(`ok/every subject key type signed by a ${alg} CA reads back in ssh-keygen -L and verifies`, async () => {
      const ca = makeCa(alg);
      for (const [type, pub] of subjects) {
        for (const certType of ['user', 'host'] as const) {
          const line = await signCert(ca, pub, { certType, principals: ['alice', 'bob.example'] });
          const info = await certInfo(line, dir);
          expect(info, `${alg} × ${type} × ${certType}`).toContain(`${certType} certificate`);
          expect(info).toMatch(/Principals: \n\s+alice\n\s+bob\.example/);
          if (alg.startsWith('rsa')) expect(info).toContain('(using rsa-sha2-512)');
          const parsed = verifyCertificate(parseCertificate(line), { trustedCaKeys: [parsePublicKey(ca.publicLine)], now: nowSec() });
          expect(parsed.principals).toEqual(['alice', 'bob.example']);
          expect(parsed.certType).toBe(certType);
        }
      }
    });
  }

  it('ok/FIDO sk-ssh-ed25519 subject keys get user certificates', async () => {
    const ca = makeCa();
    const line = await signCert(ca, SK_ED25519, { certType: 'user' });
    expect(line.startsWith('sk-ssh-ed25519-cert-v01@openssh.com ')).toBe(true);
    expect(await certInfo(line, dir)).toContain('sk-ssh-ed25519-cert-v01@openssh.com user certificate');
  });

  it('ok/fields: serial, key id, validity, force-command, source-address, default extensions', async () => {
    const ca = makeCa();
    const line = await signCert(ca, subjects.get('ed25519') as string, {
      serial: 18446744073709551615n - 1n,
      keyId: parseKeyId('lkp user host=i-1 caller=arn:aws:iam::1:user/a'),
      criticalOptions: { forceCommand: 'uptime', sourceAddress: ['10.0.0.0/8', '2001:db8::/32'] as Cidr[] },
    });
    const info = await certInfo(line, dir);
    expect(info).toContain('Serial: 18446744073709551614');
    expect(info).toContain('Key ID: "lkp user host=i-1 caller=arn:aws:iam::1:user/a"');
    expect(info).toContain('force-command uptime');
    expect(info).toContain('source-address 10.0.0.0/8,2001:db8::/32');
    for (const ext of ['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc']) expect(info).toContain(ext);
  });

  it('fail/host certificates carry no extensions or critical options', async () => {
    const ca = makeCa();
    await expect(signCert(ca, subjects.get('ed25519') as string, { certType: 'host', extensions: ['permit-pty'] })).rejects.toThrow(/no extensions/);
    await expect(signCert(ca, subjects.get('ed25519') as string, { certType: 'host', criticalOptions: { forceCommand: 'x' } })).rejects.toThrow(/no critical options/);
  });

  it('fail/empty principals (which OpenSSH reads as "anyone") and endless validity are refused', async () => {
    const ca = makeCa();
    const pub = subjects.get('ed25519') as string;
    await expect(signCert(ca, pub, { principals: [] })).rejects.toThrow(/at least one principal/);
    await expect(signCert(ca, pub, { validBefore: 0xffffffffffffffffn })).rejects.toThrow(/must expire/);
    await expect(signCert(ca, pub, { validAfter: nowSec(), validBefore: nowSec() - 1n })).rejects.toThrow(/after valid-after/);
  });

  it('fail/a repeated or unknown extension is BadRequest, in short and long lists', async () => {
    const ca = makeCa();
    const pub = subjects.get('ed25519') as string;
    const codeOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'signed', (e: { code?: unknown }) => e.code);
    expect(await codeOf(signCert(ca, pub, { extensions: ['permit-pty', 'permit-user-rc', 'permit-pty'] }))).toBe('BadRequest');
    expect(await codeOf(signCert(ca, pub, { extensions: [...DEFAULT_USER_EXTENSIONS, 'no-touch-required', 'permit-pty', 'permit-X11-forwarding', 'permit-user-rc'] }))).toBe('BadRequest');
    expect(await codeOf(signCert(ca, pub, { extensions: ['permit-pty', 'permit-sudo' as 'permit-pty'] }))).toBe('BadRequest');
    expect(await codeOf(signCert(ca, pub, { extensions: ['permit-pty', 'permit-user-rc'] }))).toBe('signed');
  });

  it('fail/a tampered certificate, another CA, an expired one and the wrong principal do not verify', async () => {
    const ca = makeCa();
    const other = makeCa();
    const line = await signCert(ca, subjects.get('ed25519') as string, { principals: ['alice'] });
    const trusted = [parsePublicKey(ca.publicLine)];
    const [type, b64] = line.split(' ') as [string, string];
    const blob = Buffer.from(b64, 'base64');
    const idx = blob.indexOf(Buffer.from('alice'));
    blob[idx] = 'A'.charCodeAt(0);
    expect(() => verifyCertificate(parseCertificate(`${type} ${blob.toString('base64')}`), { trustedCaKeys: trusted })).toThrow(/signature does not verify/);
    expect(() => verifyCertificate(parseCertificate(line), { trustedCaKeys: [parsePublicKey(other.publicLine)] })).toThrow(/untrusted CA/);
    expect(() => verifyCertificate(parseCertificate(line), { trustedCaKeys: trusted, now: nowSec() + 7200n })).toThrow(/not valid at this time/);
    expect(() => verifyCertificate(parseCertificate(line), { trustedCaKeys: trusted, principal: 'bob' })).toThrow(/not listed/);
  });

  it('fail/a certificate with trailing bytes or a truncated signature is malformed', async () => {
    const ca = makeCa();
    const line = await signCert(ca, subjects.get('ed25519') as string);
    const [type, b64] = line.split(' ') as [string, string];
    const blob = Buffer.from(b64, 'base64');
    expect(() => parseCertificate(`${type} ${Buffer.concat([blob, Buffer.from([0])]).toString('base64')}`)).toThrow(/trailing bytes/);
    expect(() => parseCertificate(`${type} ${blob.subarray(0, blob.length - 10).toString('base64')}`)).toThrow(/truncated/);
  });
});
