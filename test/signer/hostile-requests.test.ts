// A corpus of malformed and hostile requests sent through the real Lambda SDK client to
// `lkp signer serve`: each gets its own error code, no certificate is issued, every one
// leaves an audit line, and the server keeps answering.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genKey, readPub, tempDir } from '../helpers/openssh.js';
import { invokeJson, invokeRaw, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { SshWriter } from '../../src/ssh/wire.js';

type Case = { name: string; payload: () => string | Buffer; code: string };

describe('hostile requests to lkp signer serve', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  let client: LambdaClient;
  let goodKey: string;
  let rsa1024: string;
  let otherKey: string;
  const cases: Case[] = [];

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
    client = lambdaClient(signer.url);
    const dir = tempDir();
    goodKey = readPub(await genKey(dir, 'host', 'ed25519'));
    rsa1024 = readPub(await genKey(dir, 'rsa1024', 'rsa-1024'));
    otherKey = readPub(await genKey(dir, 'other', 'ed25519'));
  });
  afterAll(async () => {
    await signer?.stop();
  });

  const hostReq = (over: Record<string, unknown> = {}) => ({ version: 1, action: 'host-cert', identity: { method: 'join-token', token: ca.mint({ principals: ['web-1'] }) }, publicKeys: [goodKey], ...over });
  const userReq = (over: Record<string, unknown> = {}) => ({
    version: 1,
    action: 'user-cert',
    identity: { method: 'join-token', token: ca.mint({ for: 'user', principals: ['ec2-user@web-1'] }) },
    publicKey: goodKey,
    login: 'ec2-user',
    target: 'web-1',
    ...over,
  });
  const j = (f: () => unknown) => () => JSON.stringify(f());
  const add = (name: string, code: string, payload: () => string | Buffer) => cases.push({ name, code, payload });

  // bad JSON and wrong shapes
  for (const raw of ['{', '{"version":1', 'nul', 'undefined', '{"a":}', "{'version':1}", '\u0000', '{"version":1,}', '[1,', '\uFEFF{}']) add(`bad JSON ${JSON.stringify(raw)}`, 'BadRequest', () => raw);
  for (const raw of ['null', '[]', '"text"', '42', 'true', '{}', '[{"version":1}]']) add(`not an object: ${raw}`, 'BadRequest', () => raw);
  // version and action
  for (const v of ['1', 2, 0, null, 1.5, true, [1]]) add(`version ${JSON.stringify(v)}`, 'BadRequest', j(() => ({ version: v, action: 'ca-keys' })));
  for (const a of ['', 'CA-KEYS', 'sign', 'host_cert', 5, null, ['ca-keys'], 'ca-keys\n']) add(`action ${JSON.stringify(a)}`, 'BadRequest', j(() => ({ version: 1, action: a })));
  // unknown fields at every level
  add('unknown top-level field', 'BadRequest', j(() => ({ ...hostReq(), principals: ['root'] })));
  add('unknown field on ca-keys', 'BadRequest', j(() => ({ version: 1, action: 'ca-keys', extra: 1 })));
  add('unknown identity field', 'BadRequest', j(() => hostReq({ identity: { method: 'join-token', token: 'x', principals: ['root'] } })));
  add('__proto__ field', 'BadRequest', () => `{"version":1,"action":"ca-keys","__proto__":{"x":1}}`);
  add('constructor field', 'BadRequest', j(() => ({ ...userReq(), constructor: 'x' })));
  // wrong types
  add('publicKeys is a string', 'BadRequest', j(() => hostReq({ publicKeys: goodKey })));
  add('publicKeys is empty', 'BadRequest', j(() => hostReq({ publicKeys: [] })));
  add('publicKeys holds a number', 'BadRequest', j(() => hostReq({ publicKeys: [1] })));
  add('too many publicKeys', 'BadRequest', j(() => hostReq({ publicKeys: Array(9).fill(goodKey) })));
  add('identity is a string', 'BadRequest', j(() => hostReq({ identity: 'token' })));
  add('identity missing', 'BadRequest', j(() => ({ version: 1, action: 'host-cert', publicKeys: [goodKey] })));
  add('identity method unknown', 'BadRequest', j(() => hostReq({ identity: { method: 'password', token: 'x' } })));
  add('token is a number', 'BadRequest', j(() => hostReq({ identity: { method: 'join-token', token: 5 } })));
  add('token is empty', 'BadRequest', j(() => hostReq({ identity: { method: 'join-token', token: '' } })));
  add('token is huge', 'BadRequest', j(() => hostReq({ identity: { method: 'join-token', token: 'a'.repeat(5000) } })));
  add('login is a number', 'BadRequest', j(() => userReq({ login: 5 })));
  add('login missing', 'BadRequest', j(() => {
    const r: Record<string, unknown> = userReq();
    delete r.login;
    return r;
  }));
  add('target is a list', 'BadRequest', j(() => userReq({ target: ['web-1'] })));
  add('publicKey missing on user-cert', 'BadRequest', j(() => userReq({ publicKey: undefined })));
  // absurd validity
  for (const v of ['3600', 1.5, -1, 0, 59, 1e12, 366 * 86400 + 1, Number.MAX_SAFE_INTEGER, null]) add(`validitySeconds ${JSON.stringify(v)}`, 'BadRequest', j(() => hostReq({ validitySeconds: v })));
  // oversized
  add('oversized body (40 KiB)', 'PayloadTooLarge', j(() => hostReq({ publicKeys: [goodKey], pad: 'x'.repeat(40 * 1024) })));
  add('oversized token field pushes past the limit', 'PayloadTooLarge', j(() => hostReq({ identity: { method: 'join-token', token: 'x'.repeat(33 * 1024) } })));
  // bad keys
  const blob = (w: SshWriter, type: string) => `${type} ${w.toBuffer().toString('base64')}`;
  const badKeys: Array<[string, () => string]> = [
    ['DSA key', () => blob(new SshWriter().string('ssh-dss').mpint(Buffer.from([1])).mpint(Buffer.from([1])).mpint(Buffer.from([1])).mpint(Buffer.from([1])), 'ssh-dss')],
    ['RSA 1024', () => rsa1024],
    ['RSA exponent 3', () => blob(new SshWriter().string('ssh-rsa').mpint(Buffer.from([3])).mpint(Buffer.alloc(256, 0xff)), 'ssh-rsa')],
    ['truncated key', () => goodKey.slice(0, 40)],
    ['trailing bytes', () => blob(new SshWriter().raw(Buffer.from(goodKey.split(' ')[1] as string, 'base64')).raw(Buffer.from([0, 0])), 'ssh-ed25519')],
    ['type mismatch', () => `ecdsa-sha2-nistp256 ${goodKey.split(' ')[1]}`],
    ['unknown type', () => blob(new SshWriter().string('ssh-xyz').string(Buffer.alloc(32)), 'ssh-xyz')],
    ['garbage', () => 'not a key at all'],
    ['newline inside', () => `${goodKey}\nssh-ed25519 AAAA`],
    ['certificate as key', () => blob(new SshWriter().string('ssh-ed25519-cert-v01@openssh.com').string(Buffer.alloc(32)), 'ssh-ed25519-cert-v01@openssh.com')],
    ['FIDO key for a host', () => 'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIGZ0dGd2hZYYB/7gUHDOPLDn0z7fkDaqDzhoj4Dx0zjTAAAABHNzaDo='],
    ['empty key', () => ''],
  ];
  for (const [name, key] of badKeys) add(`host key: ${name}`, 'BadRequest', j(() => hostReq({ publicKeys: [key()] })));
  for (const [name, key] of badKeys.slice(0, 10)) add(`user key: ${name}`, 'BadRequest', j(() => userReq({ publicKey: key() })));
  // hostile names
  const hostile = ['ec2-user\n', 'a,b', 'a b', 'a\u0000b', '*', 'ec2-?ser', 'root\tx', '-oProxyCommand=x', '../../etc/passwd', 'x'.repeat(40), '$(id)', 'a"b'];
  for (const login of hostile) add(`login ${JSON.stringify(login).slice(0, 30)}`, 'BadRequest', j(() => userReq({ login })));
  for (const target of ['web-1\n', 'web,1', 'web 1', 'web\u00001', '*', 'web-?', 'arn:aws:ec2:us-east-1:1:instance/i-x', 'i-xyz', 'i-0123', '-oProxy', 'a'.repeat(300)]) add(`target ${JSON.stringify(target).slice(0, 30)}`, 'BadRequest', j(() => userReq({ target })));
  // tokens: forged, tampered, foreign, expired, reused, wrong type
  add('garbage token', 'Unauthenticated', j(() => hostReq({ identity: { method: 'join-token', token: 'lkpjt1.abc.def' } })));
  add('token from another format', 'Unauthenticated', j(() => hostReq({ identity: { method: 'join-token', token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' } })));
  add('tampered token claims', 'Unauthenticated', j(() => {
    const [p, , s] = ca.mint({ principals: ['web-1'] }).split('.');
    const claims = Buffer.from(ca.mint({ principals: ['root-host'] }).split('.')[1] as string, 'base64url');
    return hostReq({ identity: { method: 'join-token', token: `${p}.${claims.toString('base64url')}.${s}` } });
  }));
  add('token for another signer', 'Unauthenticated', j(() => hostReq({ identity: { method: 'join-token', token: ca.mint({ principals: ['web-1'], aud: 'someone-else' }) } })));
  add('expired token', 'Unauthenticated', j(() => hostReq({ identity: { method: 'join-token', token: ca.mint({ principals: ['web-1'], iat: Math.floor(Date.now() / 1000) - 3600, ttl: 600 }) } })));
  add('token issued in the future', 'Unauthenticated', j(() => hostReq({ identity: { method: 'join-token', token: ca.mint({ principals: ['web-1'], iat: Math.floor(Date.now() / 1000) + 3600 }) } })));
  add('user token used for a host certificate', 'Unauthenticated', j(() => hostReq({ identity: { method: 'join-token', token: ca.mint({ for: 'user', principals: ['ec2-user@web-1'] }) } })));
  add('host token used for a user certificate', 'Unauthenticated', j(() => userReq({ identity: { method: 'join-token', token: ca.mint({ principals: ['ec2-user@web-1'] }) } })));
  add('aws identity on a signer without it', 'Unauthenticated', j(() => hostReq({ identity: { method: 'aws', proof: { url: 'https://sts.amazonaws.com/', method: 'POST', headers: {}, body: 'Action=GetCallerIdentity&Version=2011-06-15' } } })));
  // header smuggling inside an aws proof: refused at parsing, never a crash
  const proofWith = (headers: Record<string, string>) => hostReq({ identity: { method: 'aws', proof: { url: 'https://sts.us-east-1.amazonaws.com/', method: 'POST', headers, body: 'Action=GetCallerIdentity&Version=2011-06-15' } } });
  add('proof header with a newline', 'BadRequest', j(() => proofWith({ 'content-type': 'x\r\nX-Evil: 1' })));
  add('proof header with NUL', 'BadRequest', j(() => proofWith({ 'x-amz-date': '2026\u0000' })));
  add('proof header name with a colon', 'BadRequest', j(() => proofWith({ 'x-a:b': 'c' })));
  // policy
  add('user token for another login', 'Forbidden', j(() => userReq({ login: 'root' })));
  add('user token for another host', 'Forbidden', j(() => userReq({ target: 'web-2' })));

  it('ok/the corpus has at least 100 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it('fail/every hostile request gets its code, no certificate, an audit line, and the server keeps answering', async () => {
    for (const c of cases) {
      const before = signer.audit().length;
      const answer = await invokeRaw(client, c.payload());
      expect(answer.functionError, c.name).toBeUndefined();
      expect((answer.body.error as { code?: string } | undefined)?.code, c.name).toBe(c.code);
      expect(typeof (answer.body.error as { message?: string }).message).toBe('string');
      expect(JSON.stringify(answer.body), c.name).not.toMatch(/cert-v01|PRIVATE KEY|at .*\.js:\d+/);
      expect(answer.body.requestId, c.name).toBeTruthy();
      const after = await signer.waitForAudit(before + 1);
      expect(after.length, `${c.name}: audit line`).toBe(before + 1);
      expect(after.at(-1)?.outcome).toBe('denied');
      expect(after.at(-1)?.code).toBe(c.code);
    }
    const alive = await invokeJson(client, { version: 1, action: 'ca-keys' });
    expect((alive.body.hostCaKeys as string[]).length).toBe(1);
  });

  it('fail/a token works for one request: a replay with another key is refused', async () => {
    const token = ca.mint({ principals: ['web-1'] });
    const first = await invokeJson(client, hostReq({ identity: { method: 'join-token', token } }));
    expect(first.body.error).toBeUndefined();
    const second = await invokeJson(client, hostReq({ identity: { method: 'join-token', token }, publicKeys: [otherKey] }));
    expect((second.body.error as { code: string; message: string }).code).toBe('Unauthenticated');
    expect((second.body.error as { message: string }).message).toMatch(/already used/);
  });

  it('fail/audit lines never carry tokens or keys', () => {
    const all = JSON.stringify(signer.audit());
    expect(all).not.toMatch(/lkpjt1\./);
    expect(all).not.toMatch(/PRIVATE/);
  });
});
