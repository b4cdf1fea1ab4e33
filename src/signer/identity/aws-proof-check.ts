// Everything the signer checks about an `aws` identity proof BEFORE any network call:
// a real STS host, exactly GetCallerIdentity, its own audience, the digest of this very
// request, a fresh date, and the binding headers covered by the signature.
import type { AwsProof } from '../../api/request.js';
import { AUDIENCE_HEADER, DIGEST_HEADER, STS_BODY } from '../../aws/identity-proof.js';
import { LkpError } from '../../errors.js';

/** Real STS endpoints: global and regional, in the aws, aws-cn and aws-us-gov partitions. */
const STS_HOST_RE = /^sts(?:-fips)?(?:\.([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d))?\.amazonaws\.com(?:\.cn)?$/;
const ALLOWED_HEADERS = new Set(['host', 'content-type', 'content-length', 'x-amz-date', 'x-amz-security-token', 'authorization', AUDIENCE_HEADER, DIGEST_HEADER, 'x-amz-content-sha256']);
export const MAX_PROOF_AGE_SECONDS = 5 * 60;

export interface CheckedProof {
  readonly host: string;
  readonly region: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const reject = (why: string): never => {
  throw new LkpError('Unauthenticated', `aws identity proof rejected: ${why}`);
};

/** Parses `20261124T081000Z`. */
const parseAmzDate = (value: string): number | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000 : undefined;
};

/** Validates a proof for this signer and this request; returns what to forward to STS. */
export const checkAwsProof = (proof: AwsProof, expected: { audience: string; digest: string; now: number }): CheckedProof => {
  let url: URL;
  try {
    url = new URL(proof.url);
  } catch {
    return reject('url is not a URL');
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port || url.search || url.hash || url.pathname !== '/') reject('url must be https://STS-HOST/ with nothing else');
  const m = STS_HOST_RE.exec(url.hostname);
  if (!m) reject(`${JSON.stringify(url.hostname.slice(0, 100))} is not an AWS STS endpoint`);
  if (proof.method !== 'POST') reject('method must be POST');
  if (proof.body !== STS_BODY) reject('body must be exactly GetCallerIdentity');
  const h = proof.headers;
  for (const name of Object.keys(h)) if (!ALLOWED_HEADERS.has(name)) reject(`header ${JSON.stringify(name)} is not allowed`);
  if (h.host !== url.hostname) reject('host header does not match the url');
  const auth = h.authorization ?? '';
  const am = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/sts\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/.exec(auth);
  if (!am) return reject('authorization is not a SigV4 signature for sts');
  const scopeRegion = am[3] as string;
  // The global endpoint is its partition's home region: a free scope region there would
  // choose where the signer looks the instance up.
  const hostRegion = m![1] ?? (url.hostname.endsWith('.cn') ? 'cn-north-1' : 'us-east-1');
  if (scopeRegion !== hostRegion) reject('signature region does not match the STS endpoint');
  const signed = new Set((am[4] as string).split(';'));
  for (const required of ['host', 'x-amz-date', AUDIENCE_HEADER, DIGEST_HEADER]) if (!signed.has(required)) reject(`${required} is not covered by the signature`);
  if (h['x-amz-security-token'] !== undefined && !signed.has('x-amz-security-token')) reject('x-amz-security-token is not covered by the signature');
  if (h[AUDIENCE_HEADER] !== expected.audience) reject('it was made for another signer (audience)');
  if (h[DIGEST_HEADER] !== expected.digest) reject('it was made for another request (keys, login or target differ)');
  const date = parseAmzDate(h['x-amz-date'] ?? '');
  if (date === undefined) return reject('x-amz-date is missing or malformed');
  if (Math.abs(expected.now - date) > MAX_PROOF_AGE_SECONDS) reject('it is older than 5 minutes (or from the future: check the clock)');
  if ((am[2] as string) !== (h['x-amz-date'] as string).slice(0, 8)) reject('credential scope date does not match x-amz-date');
  // Forward exactly what was signed (plus the signature); lengths are ours to compute.
  const forwarded = Object.assign(Object.create(null) as Record<string, string>, { authorization: auth });
  for (const name of signed) {
    if (name === 'content-length') continue;
    // Own properties only: a signed header named `constructor` must not come from the prototype.
    const value = Object.hasOwn(h, name) ? h[name] : undefined;
    if (typeof value !== 'string') reject(`signed header ${name} is missing`);
    forwarded[name] = value as string;
  }
  return { host: url.hostname, region: scopeRegion, headers: forwarded, body: proof.body };
};
