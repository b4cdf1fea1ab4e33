// Join tokens from the holder's side, through `lkp signer serve` and the token CLI: one
// certificate per token across every signer process on one config, a refused request
// does not spend the token, the token key must be private, and a token cannot claim a
// name EC2 owns unless a rule lists that very name.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';

const INSTANCE = 'i-0123456789abcdef0';

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

  const hostCert = (token: string, url: string) => invokeJson(lambdaClient(url), { version: 1, action: 'host-cert', identity: { method: 'join-token', token }, publicKeys: [key] });
  const userCert = (token: string, target: string, login = 'ec2-user', url = signers[0]!.url) =>
    invokeJson(lambdaClient(url), { version: 1, action: 'user-cert', identity: { method: 'join-token', token }, publicKey: key, login, target });
  const code = (body: Record<string, unknown>) => (body.error as { code?: string } | undefined)?.code;

  it('fail/25 parallel redemptions of one token across two signer processes on one config yield exactly one certificate', async () => {
    const token = ca.mint({ principals: ['web-7'] });
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => hostCert(token, signers[i % 2]!.url)));
    const issued = answers.filter((a) => Array.isArray(a.body.certificates));
    expect(issued).toHaveLength(1);
    const refused = answers.filter((a) => a.body.error !== undefined).map((a) => code(a.body));
    expect(refused).toEqual(Array.from({ length: 24 }, () => 'Unauthenticated'));
    expect(answers.every((a) => a.functionError === undefined)).toBe(true);
  });

  it('fail/a token spent on one signer is refused by another started later on the same config', async () => {
    const token = ca.mint({ principals: ['web-8'] });
    expect(code((await hostCert(token, signers[0]!.url)).body)).toBeUndefined();
    const late = await startLocalSigner(ca.config);
    signers.push(late);
    expect(code((await hostCert(token, late.url)).body)).toBe('Unauthenticated');
  });

  it('ok/a refused request does not spend the token: the same token then gets its certificate', async () => {
    const token = ca.mint({ for: 'user', principals: ['ec2-user@web-1'] });
    expect(code((await userCert(token, 'web-2')).body)).toBe('Forbidden');
    expect(code((await userCert(token, 'web-1', 'root')).body)).toBe('Forbidden');
    const ok = await userCert(token, 'web-1');
    expect(ok.body.error).toBeUndefined();
    expect((ok.body.certificate as { principals: string[] }).principals).toEqual(['ec2-user@web-1']);
    expect(code((await userCert(token, 'web-1')).body)).toBe('Unauthenticated');
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
