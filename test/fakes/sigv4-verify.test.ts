import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CredentialRegistry, assumedRole, sdkCredentials } from './credentials.js';
import { startHttpServer, type FakeHttpServer, type RecordedRequest } from './http.js';
import { Sha256, parseAuthorization, signForTest, verifySigV4 } from './sigv4-verify.js';

// AWS's published SigV4 test-suite credentials and time (get-vanilla and friends).
const registry = new CredentialRegistry();
registry.add({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  arn: 'arn:aws:iam::111122223333:user/example',
  account: '111122223333',
  userId: 'AIDAEXAMPLE',
});
const VECTOR_NOW = new Date('2015-08-30T12:36:00Z');
const vector = (url: string, signature: string) => ({
  method: 'GET',
  url,
  headers: {
    Host: 'example.amazonaws.com',
    'X-Amz-Date': '20150830T123600Z',
    Authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
  },
});

const role = registry.add(assumedRole('lkp-signer', 'test'));
let sink: FakeHttpServer;
let captured: RecordedRequest;
const ARN = 'arn:aws:lambda:us-east-1:111122223333:function:lkp-authoriser';

beforeAll(async () => {
  // Capture a request signed by the real SDK (not by our own helper) to verify and tamper with.
  sink = await startHttpServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }));
  const client = new LambdaClient({ region: 'us-east-1', endpoint: sink.url, maxAttempts: 1, credentials: sdkCredentials(role) });
  await client.send(new InvokeCommand({ FunctionName: ARN, Payload: Buffer.from('{"user":"alice","target":"i-0123"}') }));
  captured = sink.requests[0] as RecordedRequest;
});
afterAll(async () => {
  await sink.close();
});

const check = (req: RecordedRequest, opts: { service?: string; now?: Date; regions?: string[] } = {}) =>
  verifySigV4(req, registry, { service: opts.service ?? 'lambda', ...(opts.now ? { now: opts.now } : {}), ...(opts.regions ? { regions: opts.regions } : {}) });

describe('verifySigV4', () => {
  it("accepts AWS's published test-suite vectors", async () => {
    for (const [url, sig] of [
      ['/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
      ['/?Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ] as const) {
      const res = await verifySigV4(vector(url, sig), registry, { service: 'service', now: VECTOR_NOW });
      expect(res).toMatchObject({ ok: true, region: 'us-east-1', service: 'service', signedHeaders: ['host', 'x-amz-date'] });
    }
    const wrong = vector('/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30');
    expect(await verifySigV4(wrong, registry, { service: 'service', now: VECTOR_NOW })).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('accepts a request the real SDK signed (URL-encoded ARN path, session token)', async () => {
    expect(captured.path).toContain('arn%3Aaws%3Alambda');
    const res = await check(captured);
    expect(res).toMatchObject({ ok: true, region: 'us-east-1', service: 'lambda' });
    if (res.ok) {
      expect(res.identity.arn).toBe(role.arn);
      expect(res.signedHeaders).toContain('x-amz-security-token');
    }
  });

  it('rejects any changed byte of the body', async () => {
    for (let i = 0; i < captured.body.length; i++) {
      const body = Buffer.from(captured.body);
      body[i] = (body[i] as number) ^ 0x01;
      expect(await check({ ...captured, body }), `byte ${i}`).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    }
  });

  it('rejects any changed byte of the path and a changed query', async () => {
    for (let i = 1; i < captured.url.length; i++) {
      const ch = captured.url[i] as string;
      const swapped = ch === 'a' ? 'b' : 'a';
      const url = captured.url.slice(0, i) + swapped + captured.url.slice(i + 1);
      expect((await check({ ...captured, url })).ok, `char ${i} of ${url}`).toBe(false);
    }
    expect((await check({ ...captured, url: `${captured.url}?Qualifier=prod` })).ok).toBe(false);
  });

  it('rejects a changed or missing signed header but ignores unsigned ones', async () => {
    const signed = (parseAuthorization(captured.headers.authorization ?? '') as { signedHeaders: string[] }).signedHeaders;
    expect(signed).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'content-type']));
    for (const name of signed) {
      const changed = { ...captured, headers: { ...captured.headers, [name]: `${captured.headers[name] ?? ''}x` } };
      expect((await check(changed)).ok, name).toBe(false);
      const { [name]: _gone, ...rest } = captured.headers;
      expect((await check({ ...captured, headers: rest })).ok, `without ${name}`).toBe(false);
    }
    const ua = { ...captured, headers: { ...captured.headers, 'user-agent': 'something-else', constructor: 'x' } };
    expect((await check(ua)).ok).toBe(true);
  });

  it('names the failure as AWS does', async () => {
    const auth = captured.headers.authorization ?? '';
    const withAuth = (a: string | undefined) => {
      const { authorization: _a, ...rest } = captured.headers;
      return { ...captured, headers: a === undefined ? rest : { ...rest, authorization: a } };
    };
    expect(await check(withAuth(undefined))).toMatchObject({ code: 'MissingAuthenticationToken' });
    for (const garbled of [
      'Bearer abc',
      'AWS4-HMAC-SHA256 Credential=X',
      auth.replace(/Signature=[0-9a-f]+/, 'Signature=zz'),
      auth.replace('/aws4_request', ''),
      auth.replace(/SignedHeaders=[^,]*/, 'SignedHeaders=x-amz-date'),
    ]) {
      expect(await check(withAuth(garbled)), garbled).toMatchObject({ ok: false, code: 'IncompleteSignature' });
    }
    expect(await check(withAuth('Bearer abc'))).toMatchObject({ code: 'IncompleteSignature' });
    expect(await check(withAuth(auth.replace(role.accessKeyId, 'AKIAUNKNOWNKEY000000')))).toMatchObject({ code: 'InvalidClientTokenId' });
    const badToken = { ...captured, headers: { ...captured.headers, 'x-amz-security-token': 'forged' } };
    expect(await check(badToken)).toMatchObject({ code: 'InvalidClientTokenId' });
    expect(await check(captured, { service: 'sts' })).toMatchObject({ code: 'SignatureDoesNotMatch', message: expect.stringMatching(/correct service/) });
    expect(await check(captured, { regions: ['eu-west-1'] })).toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('allows 15 minutes of clock skew and no more', async () => {
    const signedAt = captured.receivedAt.getTime();
    for (const [offset, ok] of [
      [14 * 60_000, true],
      [-14 * 60_000, true],
      [16 * 60_000, false],
      [-16 * 60_000, false],
    ] as const) {
      const res = await check(captured, { now: new Date(signedAt + offset) });
      expect(res.ok, String(offset)).toBe(ok);
      if (!res.ok) expect(res.code).toBe('RequestExpired');
    }
  });

  it('signForTest output verifies, and the Sha256 class follows the Checksum contract', async () => {
    const headers = await signForTest(
      { method: 'POST', url: '/a/b?x=1&y=%20z', headers: { Host: 'sts.amazonaws.com', 'X-Lkp-Audience': 'aud' }, body: 'hello' },
      role,
      { service: 'sts', region: 'us-east-1' },
    );
    const res = await verifySigV4({ method: 'POST', url: '/a/b?x=1&y=%20z', headers, body: 'hello' }, registry, { service: 'sts' });
    expect(res.ok).toBe(true);
    const h = new Sha256();
    h.update(new TextEncoder().encode('abc'));
    expect(Buffer.from(await h.digest()).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    h.reset();
    expect(Buffer.from(await h.digest()).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
