import { describe, expect, it } from 'vitest';
import { caKeyDrift } from '../../src/host/ca-drift.js';
import type { CertStatus } from '../../src/host/renewal.js';
import { parseCertificate } from '../../src/ssh/parse-certificate.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { makeCa, signCert } from '../helpers/ca.js';

describe('renewal because the signer CA keys changed (a rotation)', () => {
  const [userA, userB, hostA, hostB] = [makeCa(), makeCa(), makeCa(), makeCa()];
  const k = (ca: { publicLine: string }) => parsePublicKey(ca.publicLine);
  const hostKey = makeCa().publicLine;
  const statusSignedBy = async (ca: typeof hostA): Promise<CertStatus[]> => [
    { hostKey: '/etc/ssh/ssh_host_ed25519_key', certPath: '/etc/ssh/lkp/x-cert.pub', state: 'ok', reason: 'valid', cert: parseCertificate(await signCert(ca, hostKey, { certType: 'host', principals: ['h'] })) },
  ];

  it('ok/nothing changed: no renewal', async () => {
    expect(caKeyDrift({ published: { userCaKeys: [k(userA)], hostCaKeys: [k(hostA)] }, trustedUserCaKeys: [k(userA)], hostCaKeys: [k(hostA)], statuses: await statusSignedBy(hostA) })).toBeUndefined();
    // a user CA promote only reorders: the trust file needs no rewrite
    expect(caKeyDrift({ published: { userCaKeys: [k(userB), k(userA)], hostCaKeys: [k(hostA)] }, trustedUserCaKeys: [k(userA), k(userB)], hostCaKeys: [k(hostA)], statuses: await statusSignedBy(hostA) })).toBeUndefined();
  });

  it('ok/add-next or retire of either CA, and a host CA promote, call for a renewal', async () => {
    const statuses = await statusSignedBy(hostA);
    expect(caKeyDrift({ published: { userCaKeys: [k(userA), k(userB)], hostCaKeys: [k(hostA)] }, trustedUserCaKeys: [k(userA)], hostCaKeys: [k(hostA)], statuses })).toMatch(/user CA/);
    expect(caKeyDrift({ published: { userCaKeys: [k(userB)], hostCaKeys: [k(hostA)] }, trustedUserCaKeys: [k(userA), k(userB)], hostCaKeys: [k(hostA)], statuses })).toMatch(/user CA/);
    expect(caKeyDrift({ published: { userCaKeys: [k(userA)], hostCaKeys: [k(hostA), k(hostB)] }, trustedUserCaKeys: [k(userA)], hostCaKeys: [k(hostA)], statuses })).toMatch(/host CA/);
    // promoted: same set, but the certificate comes from a key that no longer signs
    expect(caKeyDrift({ published: { userCaKeys: [k(userA)], hostCaKeys: [k(hostB), k(hostA)] }, trustedUserCaKeys: [k(userA)], hostCaKeys: [k(hostA), k(hostB)], statuses })).toMatch(/no longer signs/);
  });
});
