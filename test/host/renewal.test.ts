import { describe, expect, it } from 'vitest';
import { assessHostCertificates, renewalDue } from '../../src/host/renewal.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { makeCa, signCert } from '../helpers/ca.js';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';

describe('host certificate renewal', () => {
  it('ok/due at a third of the lifetime, expired after, missing or for another key is broken', async () => {
    const dir = tempDir();
    const key = parsePublicKey(readPub(await genKey(dir, 'ssh_host_ed25519_key')));
    const other = parsePublicKey(readPub(await genKey(dir, 'other')));
    const ca = makeCa();
    const t0 = 1_800_000_000n;
    const cert = await signCert(ca, key, { certType: 'host', principals: ['h'], validAfter: t0, validBefore: t0 + 3000n });
    const hostKeys = [{ privatePath: '/k', key, line: '' }];
    const assess = (now: number, text: string | null, keys = hostKeys) =>
      assessHostCertificates({ hostKeys: keys, certFor: () => '/c', certTexts: new Map([['/c', text]]), hostCaKeys: [parsePublicKey(ca.publicLine)], now })[0]?.state;
    expect(assess(Number(t0) + 1000, cert)).toBe('ok');
    expect(assess(Number(t0) + 2001, cert)).toBe('due');
    expect(assess(Number(t0) + 3000, cert)).toBe('expired');
    expect(assess(Number(t0) + 10, null)).toBe('missing');
    expect(assess(Number(t0) + 10, cert, [{ privatePath: '/k', key: other, line: '' }])).toBe('invalid');
    const foreign = await signCert(makeCa(), key, { certType: 'host', principals: ['h'], validAfter: t0, validBefore: t0 + 3000n });
    expect(assess(Number(t0) + 10, foreign)).toBe('invalid');
    expect(renewalDue([{ hostKey: '/k', certPath: '/c', state: 'ok', reason: '' }])).toBe(false);
  });
});
