// The `krl` action through the wire: certificates issued by a running `lkp signer serve`,
// revoked with the CLI (by serial, by key ID, by key file; user and host CA), then the
// signer's next KRL (no restart) checked with the real `ssh-keygen -Q`: the revoked ones
// are revoked, the others are fine.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { krlHeader } from '../../src/ssh/krl.js';
import { krlSource } from '../../src/signer/krl-source.js';
import type { RevocationStore } from '../../src/signer/revocation-store.js';
import type { Revocation } from '../../src/signer/revocation.js';
import type { CaKeys } from '../../src/signer/ca-store/types.js';
import { makeCa } from '../helpers/ca.js';
import { lambdaClient, invokeJson } from '../helpers/lambda-client.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';

interface Issued {
  readonly certFile: string;
  readonly pubFile: string;
  readonly serial: string;
  readonly keyId: string;
}

describe('the krl action', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  const dir = tempDir('lkp-krl-');
  let n = 0;

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
  });

  const issue = async (kind: 'user' | 'host'): Promise<Issued> => {
    n += 1;
    const key = await genKey(dir, `${kind}${n}`);
    const host = `web-${n}.example`;
    const request =
      kind === 'user'
        ? { version: 1, action: 'user-cert', identity: { method: 'join-token', token: ca.mint({ for: 'user', principals: [`alice@${host}`] }) }, publicKey: readPub(key), login: 'alice', target: host }
        : { version: 1, action: 'host-cert', identity: { method: 'join-token', token: ca.mint({ principals: [host] }) }, publicKeys: [readPub(key)] };
    const { body } = await invokeJson(lambdaClient(signer.url), request);
    const cert = (kind === 'user' ? body.certificate : (body.certificates as unknown[])[0]) as { certificate: string; serial: string; keyId: string };
    expect(cert, JSON.stringify(body)).toBeDefined();
    const certFile = `${key}-cert.pub`;
    writeFileSync(certFile, `${cert.certificate}\n`);
    return { certFile, pubFile: `${key}.pub`, serial: cert.serial, keyId: cert.keyId };
  };

  const fetchKrl = async (): Promise<{ file: string; body: Record<string, unknown> }> => {
    const { body, functionError } = await invokeJson(lambdaClient(signer.url), { version: 1, action: 'krl' });
    expect(functionError).toBeUndefined();
    n += 1;
    const file = path.join(dir, `krl${n}`);
    if (typeof body.krl === 'string') writeFileSync(file, Buffer.from(body.krl, 'base64'));
    return { file, body };
  };

  /** ssh-keygen's verdict on one key or certificate file. */
  const verdict = (krl: string, file: string): 'ok' | 'REVOKED' => {
    const r = spawnSync('ssh-keygen', ['-Q', '-f', krl, file], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.includes(': ok')) return 'ok';
    if (r.status === 1 && r.stdout.includes(': REVOKED')) return 'REVOKED';
    throw new Error(`ssh-keygen -Q: ${r.status} ${r.stdout} ${r.stderr}`);
  };

  const revoke = async (args: string[]): Promise<void> => {
    const r = await lkp(['signer', 'revoke', '--config', ca.config, ...args, '--reason', 'test']);
    expect(r.code, r.stderr).toBe(0);
  };

  it('ok/revoked by serial, key ID and key (user and host CA) are revoked in the next KRL, without a restart; the others stay fine', async () => {
    const [bySerial, byKeyId, byKey, fine, hostByKeyId, hostFine] = [await issue('user'), await issue('user'), await issue('user'), await issue('user'), await issue('host'), await issue('host')] as Issued[];

    const before = await fetchKrl();
    expect(before.body).toMatchObject({ version: 1, serverId: ca.serverId, count: 0 });
    expect(spawnSync('ssh-keygen', ['-Q', '-l', '-f', before.file]).status).toBe(0);
    for (const c of [bySerial, byKeyId, byKey, fine, hostByKeyId, hostFine]) expect(verdict(before.file, c!.certFile)).toBe('ok');

    await revoke(['--serial', bySerial!.serial, '--ca', 'user']);
    await revoke(['--key-id', byKeyId!.keyId, '--ca', 'user']);
    await revoke(['--key', byKey!.pubFile]);
    await revoke(['--key-id', hostByKeyId!.keyId, '--ca', 'host']);
    // The same serial under the host CA revokes nothing of the user CA's, and vice versa.
    await revoke(['--serial', fine!.serial, '--ca', 'host']);

    const after = await fetchKrl();
    expect(after.body).toMatchObject({ version: 1, serverId: ca.serverId, count: 5 });
    expect(Date.parse(after.body.generatedAt as string)).toBeGreaterThan(0);
    const listing = spawnSync('ssh-keygen', ['-Q', '-l', '-f', after.file], { encoding: 'utf8' });
    expect(listing.status, listing.stderr).toBe(0);
    expect(listing.stdout).toContain(`serial: ${bySerial!.serial}`);
    expect(verdict(after.file, bySerial!.certFile)).toBe('REVOKED');
    expect(verdict(after.file, byKeyId!.certFile)).toBe('REVOKED');
    expect(verdict(after.file, byKey!.certFile)).toBe('REVOKED');
    expect(verdict(after.file, byKey!.pubFile)).toBe('REVOKED');
    expect(verdict(after.file, hostByKeyId!.certFile)).toBe('REVOKED');
    expect(verdict(after.file, fine!.certFile)).toBe('ok');
    expect(verdict(after.file, hostFine!.certFile)).toBe('ok');
    expect(verdict(after.file, byKeyId!.pubFile)).toBe('ok'); // a key ID revokes that certificate, not its key

    const audit = (await signer.waitForAudit(9)).filter((a) => a.action === 'krl');
    expect(audit.map((a) => [a.outcome, a.revocations])).toEqual([['answered', 0], ['answered', 5]]);
  });

  it('fail/a krl request with extra fields is BadRequest; an unreadable revocations file is Internal, never an empty KRL', async () => {
    const extra = await invokeJson(lambdaClient(signer.url), { version: 1, action: 'krl', identity: { method: 'join-token', token: 'x' } });
    expect(extra.body).toMatchObject({ error: { code: 'BadRequest' } });
    writeFileSync(path.join(ca.dir, 'revocations.json'), '{"version":1,"revocations":[');
    const broken = await invokeJson(lambdaClient(signer.url), { version: 1, action: 'krl' });
    expect(broken.functionError).toBeUndefined();
    expect(broken.body).toMatchObject({ error: { code: 'Internal' } });
    expect(broken.body.krl).toBeUndefined();
  });
});

describe('the KRL cache', () => {
  it('ok/a burst is one store read; a KRL is rebuilt after 30 s (fresh generation time, higher version) and at once when the CA keys change', async () => {
    let reads = 0;
    const list: Revocation[] = [{ kind: 'serial', ca: 'user', serial: 5n, reason: 'r', revokedAt: '2026-12-01T08:00:00.000Z', revokedBy: 'a' }];
    // A store without a change mark, as DynamoDB: only time tells.
    const store: RevocationStore = { where: 'test', list: async () => ((reads += 1), list), add: async (r) => ({ added: true, revocation: r }) };
    const [host, user, next] = [makeCa(), makeCa(), makeCa()];
    let keys: CaKeys = { host: { signer: host!.signer, publicLines: [host!.publicLine] }, user: { signer: user!.signer, publicLines: [user!.publicLine] } };
    let t = 1_800_000_000;
    const krl = krlSource({ store: async () => store, caKeys: async () => keys, now: () => t, serverId: 's' });
    const burst = await Promise.all(Array.from({ length: 50 }, () => krl()));
    expect(reads).toBe(1);
    expect(new Set(burst.map((b) => b.krl.toString('base64'))).size).toBe(1);
    t += 29;
    await krl();
    expect(reads).toBe(1);
    t += 1;
    const aged = await krl();
    expect(reads).toBe(2);
    expect(aged.generatedAt).toBe(t);
    expect(krlHeader(aged.krl).version).toBeGreaterThan(krlHeader(burst[0]!.krl).version);
    keys = { ...keys, user: { signer: user!.signer, publicLines: [user!.publicLine, next!.publicLine] } };
    await krl();
    expect(reads).toBe(3);
  });
});
