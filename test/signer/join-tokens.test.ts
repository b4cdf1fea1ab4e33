// Join tokens from the holder's side, through `lkp signer serve` and the token CLI: a token
// is spent for one request across every signer process on one config (a retry of that
// very request is issued again; any other key, or an attacker's, is refused), a refused
// request does not spend the token, the token key must be private, and a token cannot claim a
// name EC2 owns unless a rule lists that very name.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { formatPublicKey } from '../../src/ssh/public-key.js';

const INSTANCE = 'i-0123456789abcdef0';

/** A fresh ed25519 public key line (the private half is not needed: nobody logs in). */
const freshKey = (): string => {
  const x = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x ?? '';
  return formatPublicKey({ kind: 'ed25519', type: 'ssh-ed25519', key: Buffer.from(x, 'base64url') });
};

describe('join tokens', () => {
  let ca: LocalCa;
  const signers: LocalSigner[] = [];
  const dirs: string[] = [];
  let key: string;

  beforeAll(async () => {
    ca = await makeLocalCa();
    dirs.push(path.dirname(ca.dir));
    const dir = tempDir();
    dirs.push(dir);
    key = readPub(await genKey(dir, 'k'));
    signers.push(await startLocalSigner(ca.config), await startLocalSigner(ca.config));
  });
  afterAll(async () => {
    await Promise.all(signers.map((s) => s.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const hostCert = (token: string, url: string, publicKey = key) => invokeJson(lambdaClient(url), { version: 1, action: 'host-cert', identity: { method: 'join-token', token }, publicKeys: [publicKey] });
  const userCert = (token: string, target: string, login = 'ec2-user', url = signers[0]!.url, publicKey = key) =>
    invokeJson(lambdaClient(url), { version: 1, action: 'user-cert', identity: { method: 'join-token', token }, publicKey, login, target });
  const code = (body: Record<string, unknown>) => (body.error as { code?: string } | undefined)?.code;
  const certsOf = (body: Record<string, unknown>) => body.certificates as Array<{ keyFingerprint: string; serial: string; principals: string[] }>;
  const jtiOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as { jti: string }).jti;
  /** The audit lines of `token` across every signer, once `count` of them arrived through the pipes. */
  const auditFor = async (token: string, count: number) => {
    const caller = `join-token:${jtiOf(token)}`;
    const lines = () => signers.flatMap((s) => s.audit()).filter((l) => l.caller === caller);
    for (let i = 0; i < 200 && lines().length < count; i += 1) await new Promise((r) => setTimeout(r, 10));
    return lines();
  };

  it('fail/25 parallel redemptions of one token with 25 different keys across two signer processes on one config yield exactly one certificate', async () => {
    const token = ca.mint({ principals: ['web-7'] });
    const keys = Array.from({ length: 25 }, freshKey);
    const answers = await Promise.all(keys.map((k, i) => hostCert(token, signers[i % 2]!.url, k)));
    const issued = answers.filter((a) => Array.isArray(a.body.certificates));
    expect(issued).toHaveLength(1);
    const refused = answers.filter((a) => a.body.error !== undefined).map((a) => code(a.body));
    expect(refused).toEqual(Array.from({ length: 24 }, () => 'Unauthenticated'));
    expect(answers.every((a) => a.functionError === undefined)).toBe(true);
  });

  it('ok/the same request sent again after the first completed (a client retry) gets a fresh certificate for the same key, audited as a re-issue', async () => {
    const token = ca.mint({ principals: ['web-12'] });
    const first = await hostCert(token, signers[0]!.url);
    const again = await hostCert(token, signers[1]!.url);
    expect(code(first.body)).toBeUndefined();
    expect(code(again.body)).toBeUndefined();
    const [a, b] = [certsOf(first.body)[0]!, certsOf(again.body)[0]!];
    expect(b.keyFingerprint).toBe(a.keyFingerprint);
    expect(b.principals).toEqual(['web-12']);
    expect(b.serial).not.toBe(a.serial);
    const lines = await auditFor(token, 2);
    expect(lines.filter((l) => l.outcome === 'issued' && l.reissue === true)).toHaveLength(1);
    expect(lines.filter((l) => l.outcome === 'issued' && l.reissue === undefined)).toHaveLength(1);
  });

  it('ok/the same request sent 10 times at once across two signer processes: every answer is a certificate for that one key', async () => {
    const token = ca.mint({ principals: ['web-13'] });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => hostCert(token, signers[i % 2]!.url)));
    expect(answers.map((a) => code(a.body))).toEqual(Array.from({ length: 10 }, () => undefined));
    expect(new Set(answers.map((a) => certsOf(a.body)[0]!.keyFingerprint)).size).toBe(1);
    // ...and the token is still spent for every other key.
    expect(code((await hostCert(token, signers[0]!.url, freshKey())).body)).toBe('Unauthenticated');
  });

  it('fail/a stolen token replayed with the attacker\'s own key after the legitimate redemption is refused, on every signer', async () => {
    const host = ca.mint({ principals: ['web-14'] });
    expect(code((await hostCert(host, signers[0]!.url)).body)).toBeUndefined();
    const attacker = freshKey();
    for (const s of signers) expect(code((await hostCert(host, s.url, attacker)).body)).toBe('Unauthenticated');
    // Adding the attacker's key to the legitimate host's keys is another request, too.
    expect(code((await invokeJson(lambdaClient(signers[1]!.url), { version: 1, action: 'host-cert', identity: { method: 'join-token', token: host }, publicKeys: [key, attacker] })).body)).toBe('Unauthenticated');
    const user = ca.mint({ for: 'user', principals: ['ec2-user@web-14'] });
    expect(code((await userCert(user, 'web-14')).body)).toBeUndefined();
    expect(code((await userCert(user, 'web-14', 'ec2-user', signers[1]!.url, attacker)).body)).toBe('Unauthenticated');
  });

  it('fail/a token spent on one signer is refused by another started later on the same config, except for the very same request', async () => {
    const token = ca.mint({ principals: ['web-8'] });
    expect(code((await hostCert(token, signers[0]!.url)).body)).toBeUndefined();
    const late = await startLocalSigner(ca.config);
    signers.push(late);
    expect(code((await hostCert(token, late.url, freshKey())).body)).toBe('Unauthenticated');
    expect(code((await hostCert(token, late.url)).body)).toBeUndefined();
  });

  it('ok/a refused request does not spend the token: the same token then gets its certificate', async () => {
    const token = ca.mint({ for: 'user', principals: ['ec2-user@web-1'] });
    expect(code((await userCert(token, 'web-2')).body)).toBe('Forbidden');
    expect(code((await userCert(token, 'web-1', 'root')).body)).toBe('Forbidden');
    const ok = await userCert(token, 'web-1');
    expect(ok.body.error).toBeUndefined();
    expect((ok.body.certificate as { principals: string[] }).principals).toEqual(['ec2-user@web-1']);
    expect(code((await userCert(token, 'web-1', 'ec2-user', signers[0]!.url, freshKey())).body)).toBe('Unauthenticated');
  });

  it('ok/lkp ssh cert: a target the token does not allow is refused and the token still works for its own target', async () => {
    const token = (await lkp(['signer', 'token', 'create', '--config', ca.config, '--for', 'user', '--principal', 'ec2-user@web-3'])).stdout.trim();
    const identity = path.join(dirs[1]!, 'id_cli');
    const env = { AWS_ENDPOINT_URL_LAMBDA: signers[1]!.url };
    const refused = await lkp(['ssh', 'cert', '--join-token', token, '--target', 'web-4', '--user', 'ec2-user', '--identity', identity], { env });
    expect(refused.code).toBe(4);
    const ok = await lkp(['ssh', 'cert', '--join-token', token, '--target', 'web-3', '--user', 'ec2-user', '--identity', identity], { env });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(readFileSync(`${identity}-cert.pub`, 'utf8')).toMatch(/^ssh-ed25519-cert-v01@openssh.com /);
  });

  it('fail/a token claiming an instance id, an IP address or an EC2 DNS name gets nothing under a wildcard rule', async () => {
    for (const name of [INSTANCE, '10.0.0.5', '2001:db8::5', 'ip-10-0-0-5', 'ip-10-0-0-5.ec2.internal', 'ip-10-0-0-5.eu-west-1.compute.internal', 'ec2-54-1-2-3.compute-1.amazonaws.com']) {
      expect(code((await hostCert(ca.mint({ principals: ['web-9', name] }), signers[0]!.url)).body), name).toBe('Forbidden');
    }
    expect(code((await userCert(ca.mint({ for: 'user', principals: [`ec2-user@${INSTANCE}`] }), INSTANCE)).body)).toBe('Forbidden');
    expect(code((await userCert(ca.mint({ for: 'user', principals: ['ec2-user@10.0.0.5'] }), '10.0.0.5')).body)).toBe('Forbidden');
  });

  it('fail/the token CLI refuses EC2-shaped names unless a rule lists that very name', async () => {
    for (const name of [INSTANCE, '10.0.0.5', 'ip-10-0-0-5.ec2.internal']) {
      const r = await lkp(['signer', 'token', 'create', '--config', ca.config, '--principal', name]);
      expect(r.code, name).toBe(4);
      expect(r.stdout).toBe('');
    }
    expect((await lkp(['signer', 'token', 'create', '--config', ca.config, '--for', 'user', '--principal', `ec2-user@${INSTANCE}`])).code).toBe(4);
    const explicit = path.join(ca.dir, 'explicit.json');
    const config = JSON.parse(readFileSync(ca.config, 'utf8')) as { rules: unknown[] };
    config.rules.unshift({ name: 'the lab box by address', for: 'host', method: 'join-token', principals: ['10.0.0.5'] });
    writeFileSync(explicit, JSON.stringify(config));
    const r = await lkp(['signer', 'token', 'create', '--config', explicit, '--principal', '10.0.0.5']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^lkpjt1\./);
  });

  it('fail/a join-token key readable by others is refused, like a CA key', async () => {
    const loose = await makeLocalCa();
    dirs.push(path.dirname(loose.dir));
    chmodSync(path.join(loose.dir, 'join_token.key'), 0o644);
    expect((await lkp(['signer', 'token', 'create', '--config', loose.config, '--principal', 'web-1'])).code).toBe(20);
    expect((await lkp(['signer', 'serve', '--config', loose.config, '--listen', '127.0.0.1:0'], { timeoutMs: 20_000 })).code).toBe(20);
  });
});
