// `lkp signer serve` as a process: issues through the real SDK, answers concurrently,
// reports crashes the way Lambda does, and stops cleanly on SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { parseCertificate, verifyCertificate } from '../../src/ssh/parse-certificate.js';
import { parsePublicKey } from '../../src/ssh/public-key.js';
import { serveSigner } from '../../src/signer/serve.js';
import { certInfo, genKey, readPub, tempDir } from '../helpers/openssh.js';
import { invokeJson, invokeRaw, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';

describe('lkp signer serve', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  let client: LambdaClient;
  const dir = tempDir();

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
    client = lambdaClient(signer.url);
  });
  afterAll(async () => {
    await signer?.stop();
  });

  it('ok/ca-keys lists host and user CA keys as OpenSSH lines', async () => {
    const { body } = await invokeJson(client, { version: 1, action: 'ca-keys' });
    expect(body.hostCaKeys).toEqual([expect.stringMatching(/^ssh-ed25519 AAAA/)]);
    expect(body.userCaKeys).toEqual([expect.stringMatching(/^ssh-ed25519 AAAA/)]);
    expect(body.hostCaKeys).not.toEqual(body.userCaKeys);
  });

  it('ok/a host token from the CLI gets host certificates for every host key, exactly its names', async () => {
    const token = (await lkp(['signer', 'token', 'create', '--config', ca.config, '--principal', 'web-1', '--principal', 'web-1.internal'])).stdout.trim();
    const keys = await Promise.all((['ed25519', 'ecdsa-256', 'rsa-3072'] as const).map(async (t) => readPub(await genKey(dir, `h-${t}`, t))));
    const { body } = await invokeJson(client, { version: 1, action: 'host-cert', identity: { method: 'join-token', token }, publicKeys: keys, validitySeconds: 86400 });
    expect(body.error).toBeUndefined();
    expect(body.hostId).toBe('web-1');
    const hostCa = parsePublicKey((body.hostCaKeys as string[])[0] as string);
    const certs = body.certificates as Array<{ certificate: string; principals: string[]; validBefore: string }>;
    expect(certs).toHaveLength(3);
    for (const [i, c] of certs.entries()) {
      const parsed = verifyCertificate(parseCertificate(c.certificate), { trustedCaKeys: [hostCa], certType: 'host', subjectKey: parsePublicKey(keys[i] as string) });
      expect(parsed.principals).toEqual(['web-1', 'web-1.internal']);
      expect(parsed.extensions).toEqual([]);
      expect(Number(parsed.validBefore - parsed.validAfter)).toBe(86400 + 300);
      expect(await certInfo(c.certificate, dir)).toContain('host certificate');
    }
    const line = (await signer.waitForAudit(1)).find((a) => a.action === 'host-cert' && a.outcome === 'issued');
    expect(line).toMatchObject({ method: 'join-token', hostId: 'web-1', principals: ['web-1', 'web-1.internal'] });
    expect((line?.serials as string[]).length).toBe(3);
    expect((line?.keyFingerprints as string[])[0]).toMatch(/^SHA256:/);
  });

  it('ok/a user token gets a user certificate scoped to LOGIN@HOST with default extensions; validity is capped by policy', async () => {
    const token = (await lkp(['signer', 'token', 'create', '--config', ca.config, '--for', 'user', '--principal', 'ec2-user@web-1'])).stdout.trim();
    const key = readPub(await genKey(dir, 'user-key'));
    const { body } = await invokeJson(client, { version: 1, action: 'user-cert', identity: { method: 'join-token', token }, publicKey: key, login: 'ec2-user', target: 'web-1', validitySeconds: 7 * 86400 });
    const cert = body.certificate as { certificate: string; principals: string[]; validAfter: string; validBefore: string; keyId: string };
    expect(cert.principals).toEqual(['ec2-user@web-1']);
    const info = await certInfo(cert.certificate, dir);
    expect(info).toContain('user certificate');
    expect(info).toContain('permit-pty');
    expect((Date.parse(cert.validBefore) - Date.parse(cert.validAfter)) / 1000).toBe(12 * 3600 + 300);
    expect(cert.keyId).toMatch(/^lkp user host=web-1 caller=join-token:[0-9a-f-]+ req=[0-9a-f-]+ key=SHA256:/);
  });

  it('ok/answers many requests concurrently', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => invokeJson(client, { version: 1, action: 'ca-keys' })));
    expect(answers.every((a) => Array.isArray(a.body.hostCaKeys))).toBe(true);
  });

  it('fail/the token CLI refuses names the policy does not allow, bad TTLs and hostile names', async () => {
    expect((await lkp(['signer', 'token', 'create', '--config', ca.config, '--principal', 'a b'])).code).not.toBe(0);
    expect((await lkp(['signer', 'token', 'create', '--config', ca.config, '--principal', 'web', '--ttl', '2h'])).stderr).toMatch(/longer than/);
    expect((await lkp(['signer', 'token', 'create', '--config', ca.config, '--for', 'user', '--principal', 'web'])).stderr).toMatch(/LOGIN@HOST/);
    const r = await lkp(['signer', 'token', 'create', '--config', ca.config, '--principal', 'web', '--ttl', 'soon']);
    expect(r.code).toBe(21);
    expect(r.stdout).toBe('');
  });

  it('ok/a handler crash is reported as a Lambda function error, not a signer answer', async () => {
    const server = await serveSigner(async () => {
      throw new Error('boom with a secret inside');
    }, { host: '127.0.0.1', port: 0 });
    const port = (server.address() as { port: number }).port;
    const answer = await invokeRaw(lambdaClient(`http://127.0.0.1:${port}`), '{"version":1,"action":"ca-keys"}');
    expect(answer.functionError).toBe('Unhandled');
    expect(JSON.stringify(answer.body)).not.toContain('secret');
    server.close();
  });

  it('ok/stops cleanly on SIGTERM', async () => {
    const s = await startLocalSigner(ca.config);
    expect(await s.stop('SIGTERM')).toBe(143);
  });

  it('fail/refuses to listen off loopback without --allow-remote (plain HTTP)', async () => {
    const r = await lkp(['signer', 'serve', '--config', ca.config, '--listen', '0.0.0.0:0']);
    expect(r.code).toBe(21);
    expect(r.stderr).toMatch(/plain HTTP/);
  });

  it('fail/a broken config is a clear error naming the file', async () => {
    const r = await lkp(['signer', 'serve', '--config', '/nonexistent/signer.json']);
    expect(r.code).toBe(20);
    expect(r.stderr).toMatch(/cannot read signer config \/nonexistent\/signer.json/);
  });
});
