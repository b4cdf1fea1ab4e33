import { describe, expect, it } from 'vitest';
import { createAwsProof } from '../../src/aws/identity-proof.js';
import { checkAwsProof } from '../../src/signer/identity/aws-proof-check.js';
import type { AwsProof } from '../../src/api/request.js';

const creds = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };
const now = Math.floor(Date.now() / 1000);
const make = (region = 'us-east-1', audience = 'srv', digest = 'd'.repeat(64)) => createAwsProof({ credentials: creds, region, audience, digest });
const expectFor = { audience: 'srv', digest: 'd'.repeat(64), now };
const mutate = async (fn: (p: { url: string; method: string; headers: Record<string, string>; body: string }) => void): Promise<AwsProof> => {
  const p = await make();
  const copy = { ...p, headers: { ...p.headers } };
  fn(copy);
  return copy;
};

describe('checkAwsProof', () => {
  it('ok/a fresh proof for this signer and request passes, for each partition', async () => {
    expect(checkAwsProof(await make(), expectFor).region).toBe('us-east-1');
    expect(checkAwsProof(await make('cn-north-1'), expectFor).host).toBe('sts.cn-north-1.amazonaws.com.cn');
    expect(checkAwsProof(await make('us-gov-west-1'), expectFor).host).toBe('sts.us-gov-west-1.amazonaws.com');
  });

  const cases: Array<[string, (p: { url: string; method: string; headers: Record<string, string>; body: string }) => void, RegExp]> = [
    ['attacker host', (p) => { p.url = 'https://sts.attacker.example/'; p.headers.host = 'sts.attacker.example'; }, /not an AWS STS endpoint/],
    ['suffix trick', (p) => { p.url = 'https://sts.amazonaws.com.evil.example/'; p.headers.host = 'sts.amazonaws.com.evil.example'; }, /not an AWS STS endpoint/],
    ['plain http', (p) => { p.url = 'http://sts.us-east-1.amazonaws.com/'; }, /https/],
    ['a port', (p) => { p.url = 'https://sts.us-east-1.amazonaws.com:8443/'; }, /nothing else/],
    ['userinfo', (p) => { p.url = 'https://x@sts.us-east-1.amazonaws.com/'; }, /nothing else/],
    ['a query', (p) => { p.url = 'https://sts.us-east-1.amazonaws.com/?Action=AssumeRole'; }, /nothing else/],
    ['another path', (p) => { p.url = 'https://sts.us-east-1.amazonaws.com/x'; }, /nothing else/],
    ['host header differs', (p) => { p.headers.host = 'sts.eu-west-1.amazonaws.com'; }, /does not match/],
    ['GET', (p) => { p.method = 'GET'; }, /POST/],
    ['another action', (p) => { p.body = 'Action=GetSessionToken&Version=2011-06-15'; }, /GetCallerIdentity/],
    ['an extra header', (p) => { p.headers['x-forwarded-for'] = '1.2.3.4'; }, /not allowed/],
    ['no signature', (p) => { delete p.headers.authorization; }, /not a SigV4 signature/],
    ['audience not signed', (p) => { p.headers.authorization = (p.headers.authorization as string).replace(';x-lkp-audience', ''); }, /x-lkp-audience is not covered/],
    ['digest not signed', (p) => { p.headers.authorization = (p.headers.authorization as string).replace(';x-lkp-request-digest', ''); }, /x-lkp-request-digest is not covered/],
    ['region of signature differs from host', (p) => { p.headers.authorization = (p.headers.authorization as string).replace('/us-east-1/', '/eu-west-1/'); }, /region does not match/],
    ['missing date', (p) => { delete p.headers['x-amz-date']; }, /x-amz-date/],
    // The global endpoint is us-east-1: another scope region would choose where instances are looked up.
    ['global endpoint scoped to another region', (p) => {
      p.url = 'https://sts.amazonaws.com/';
      p.headers.host = 'sts.amazonaws.com';
      p.headers.authorization = (p.headers.authorization as string).replace('/us-east-1/', '/eu-west-1/');
    }, /region does not match/],
    // Read as own properties only: `constructor` must not come from Object.prototype.
    ['a signed header absent but named like a prototype member', (p) => {
      p.headers.authorization = (p.headers.authorization as string).replace('SignedHeaders=', 'SignedHeaders=constructor;');
    }, /signed header constructor is missing/],
  ];
  for (const [name, fn, why] of cases) {
    it(`fail/${name}`, async () => {
      const proof = await mutate(fn);
      expect(() => checkAwsProof(proof, expectFor)).toThrow(why);
    });
  }

  it('ok/the global endpoint signed for us-east-1', async () => {
    const proof = await mutate((p) => {
      p.url = 'https://sts.amazonaws.com/';
      p.headers.host = 'sts.amazonaws.com';
    });
    expect(checkAwsProof(proof, expectFor).region).toBe('us-east-1');
  });

  it('fail/another audience, another digest, too old, from the future', async () => {
    const other = await make('us-east-1', 'other');
    const otherDigest = await make('us-east-1', 'srv', 'e'.repeat(64));
    const fresh = await make();
    expect(() => checkAwsProof(other, expectFor)).toThrow(/another signer/);
    expect(() => checkAwsProof(otherDigest, expectFor)).toThrow(/another request/);
    // Relative to the proof's own X-Amz-Date (the test may start seconds after `now`).
    const signedAt = Date.parse((fresh.headers['x-amz-date'] as string).replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) / 1000;
    expect(() => checkAwsProof(fresh, { ...expectFor, now: signedAt + 300 })).not.toThrow();
    expect(() => checkAwsProof(fresh, { ...expectFor, now: signedAt + 301 })).toThrow(/older than 5 minutes/);
    expect(() => checkAwsProof(fresh, { ...expectFor, now: signedAt - 301 })).toThrow(/older than 5 minutes|future/);
  });
});
