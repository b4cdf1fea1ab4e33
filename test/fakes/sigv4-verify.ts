// Server-side SigV4 verification for the fakes: recomputes the signature with the SDK's own
// SignatureV4 over exactly what the client signed, so a fake accepts only what AWS would.
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, HttpRequest, SourceData } from '@smithy/types';
import type { CredentialRegistry, TestIdentity } from './credentials.js';

// node:crypto SHA-256 / HMAC-SHA-256 in the smithy Checksum shape SignatureV4 wants.
export class Sha256 implements Checksum {
  private readonly secret: Buffer | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : toBuffer(secret);
    this.hash = this.fresh();
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

const toBuffer = (data: SourceData): Buffer => {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
};

// The request as received; RecordedRequest from ./http.js fits.
export interface SigV4Request {
  method: string;
  /** Raw request target: path plus optional `?query`, as sent on the wire. */
  url: string;
  /** Header names in any case; arrays are joined with ','. */
  headers: Record<string, string | string[] | undefined>;
  body?: Uint8Array | string;
}

// What the verifying service is and what it tolerates.
export interface VerifySigV4Options {
  /** Signing name the fake answers for (sts, ec2, lambda, ssm, secretsmanager). */
  service: string;
  /** Server clock; default new Date(). */
  now?: Date;
  /** When set, the credential scope's region must be one of these. */
  regions?: readonly string[];
  /** Allowed clock difference; default 15 minutes, as AWS. */
  maxSkewMs?: number;
}

// Failure codes as the query protocol (STS) names them; fakes of other protocols map them.
export type SigV4FailureCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'InvalidClientTokenId'
  | 'ExpiredToken'
  | 'SignatureDoesNotMatch'
  | 'RequestExpired';

// A verified request: who signed it, for which region/service, over which headers.
export interface SigV4Success {
  ok: true;
  identity: TestIdentity;
  region: string;
  service: string;
  /** Lower-case names from SignedHeaders, in the order sent. */
  signedHeaders: string[];
  signingDate: Date;
}

// A refused request, with the code AWS's query protocol would answer.
export interface SigV4Failure {
  ok: false;
  code: SigV4FailureCode;
  message: string;
}

// Outcome of verifySigV4.
export type SigV4Result = SigV4Success | SigV4Failure;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const FIFTEEN_MINUTES = 15 * 60 * 1000;

const fail = (code: SigV4FailureCode, message: string): SigV4Failure => ({ ok: false, code, message });

const normaliseHeaders = (headers: SigV4Request['headers']): Record<string, string> => {
  // Null prototype: a header named `constructor` must not find Object's.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
};

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

// Parses `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`.
export const parseAuthorization = (header: string): ParsedAuthorization | string => {
  if (!header.startsWith(`${ALGORITHM} `)) return `Unsupported AWS 'algorithm': expected ${ALGORITHM}`;
  const params = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) return `Authorization header parameter is malformed: '${part.trim()}'`;
    params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !params.get(k));
  if (missing.length > 0) {
    return missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ');
  }
  const scope = (params.get('Credential') as string).split('/');
  const [accessKeyId, date, region, service, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    return "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request";
  }
  const signature = params.get('Signature') as string;
  if (!/^[0-9a-f]{64}$/.test(signature)) return 'Signature must be 64 lower-case hex characters.';
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: (params.get('SignedHeaders') as string).split(';'),
    signature,
  };
};

const parseAmzDate = (value: string): Date | undefined => {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
};

const parseQuery = (raw: string): Record<string, string | string[]> | undefined => {
  const query = Object.create(null) as Record<string, string | string[]>;
  if (raw === '') return query;
  try {
    for (const pair of raw.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = decodeURIComponent(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? '' : decodeURIComponent(pair.slice(eq + 1));
      const prev = query[key];
      query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
  } catch {
    return undefined;
  }
  return query;
};

const sha256Hex = (body: Uint8Array | string): string => createHash('sha256').update(body).digest('hex');

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

// Verifies a header-signed SigV4 request against the registry; never throws for bad input.
export const verifySigV4 = async (
  request: SigV4Request,
  registry: CredentialRegistry,
  options: VerifySigV4Options,
): Promise<SigV4Result> => {
  const headers = normaliseHeaders(request.headers);
  const authorization = headers.authorization;
  if (authorization === undefined || authorization === '') {
    return fail('MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);
  if (typeof auth === 'string') return fail('IncompleteSignature', auth);

  const amzDate = headers['x-amz-date'];
  const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (signingDate === undefined) {
    return fail('IncompleteSignature', "Authorization header requires existence of a valid 'X-Amz-Date' header.");
  }
  for (const required of ['host', 'x-amz-date']) {
    if (!auth.signedHeaders.includes(required)) {
      return fail('IncompleteSignature', `'${required}' must be a 'SignedHeader' in the AWS Authorization.`);
    }
  }

  const identity = registry.get(auth.accessKeyId);
  if (identity === undefined) {
    return fail('InvalidClientTokenId', 'The security token included in the request is invalid.');
  }
  const token = headers['x-amz-security-token'];
  if (identity.sessionToken !== undefined || token !== undefined) {
    if (token !== identity.sessionToken) {
      return fail('InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
  }

  if (auth.service !== options.service) {
    return fail('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${options.service}'.`);
  }
  if (auth.date !== amzDate?.slice(0, 8)) {
    return fail(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate?.slice(0, 8)}'`,
    );
  }
  if (options.regions !== undefined && !options.regions.includes(auth.region)) {
    return fail(
      'SignatureDoesNotMatch',
      `Credential should be scoped to a valid region, not '${auth.region}'. Expected one of: ${options.regions.join(', ')}.`,
    );
  }

  const now = options.now ?? new Date();
  const maxSkew = options.maxSkewMs ?? FIFTEEN_MINUTES;
  if (signingDate.getTime() < now.getTime() - maxSkew) {
    return fail(
      'RequestExpired',
      `Signature expired: ${amzDate} is now earlier than ${stamp(new Date(now.getTime() - maxSkew))} (${stamp(now)} - 15 min.)`,
    );
  }
  if (signingDate.getTime() > now.getTime() + maxSkew) {
    return fail(
      'RequestExpired',
      `Signature not yet current: ${amzDate} is still later than ${stamp(new Date(now.getTime() + maxSkew))} (${stamp(now)} + 15 min.)`,
    );
  }
  if (identity.expiresAt !== undefined && identity.expiresAt.getTime() <= now.getTime()) {
    return fail('ExpiredToken', 'The security token included in the request is expired');
  }

  const body = request.body ?? '';
  const contentSha = headers['x-amz-content-sha256'];
  if (contentSha !== undefined && contentSha !== sha256Hex(body)) {
    return fail('SignatureDoesNotMatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }

  const signed: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of auth.signedHeaders) {
    const value = headers[name];
    if (value === undefined) {
      return fail('SignatureDoesNotMatch', `Signed header '${name}' is missing from the request.`);
    }
    signed[name] = value;
  }

  const q = request.url.indexOf('?');
  const path = q === -1 ? request.url : request.url.slice(0, q);
  const query = parseQuery(q === -1 ? '' : request.url.slice(q + 1));
  if (query === undefined) return fail('SignatureDoesNotMatch', 'The query string is not valid percent-encoding.');

  const toSign: HttpRequest = {
    method: request.method,
    protocol: 'https:',
    hostname: signed.host ?? '',
    path,
    query,
    headers: signed,
    body,
  };
  const signer = new SignatureV4({
    service: auth.service,
    region: auth.region,
    // No session token here: when the client signed it, it is one of the signed headers.
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  const resigned = await signer.sign(toSign, {
    signingDate,
    signingRegion: auth.region,
    signingService: auth.service,
    signableHeaders: new Set(auth.signedHeaders),
  });
  const expectedHeader = String(resigned.headers.authorization ?? '');
  const expected = /Signature=([0-9a-f]{64})$/.exec(expectedHeader)?.[1] ?? '';
  const expectedSignedHeaders = /SignedHeaders=([^,]*),/.exec(expectedHeader)?.[1];
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(auth.signature, 'utf8');
  if (
    expectedSignedHeaders !== auth.signedHeaders.join(';') ||
    a.length !== b.length ||
    !timingSafeEqual(a, b)
  ) {
    return fail(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { ok: true, identity, region: auth.region, service: auth.service, signedHeaders: auth.signedHeaders, signingDate };
};

// Scope and time of a signForTest signature.
export interface SignForTestOptions {
  service: string;
  region: string;
  signingDate?: Date;
}

// Signs a hand-built request (as an lkp client would) so tests can forward or tamper with it.
export const signForTest = async (
  request: { method: string; url: string; headers: Record<string, string>; body?: string | Uint8Array },
  identity: TestIdentity,
  options: SignForTestOptions,
): Promise<Record<string, string>> => {
  const q = request.url.indexOf('?');
  const query = parseQuery(q === -1 ? '' : request.url.slice(q + 1)) ?? {};
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    credentials: {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      ...(identity.sessionToken !== undefined ? { sessionToken: identity.sessionToken } : {}),
    },
    sha256: Sha256,
    applyChecksum: false,
  });
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) lower[k.toLowerCase()] = v;
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: lower.host ?? '',
      path: q === -1 ? request.url : request.url.slice(0, q),
      query,
      headers: lower,
      body: request.body ?? '',
    },
    { signingDate: options.signingDate ?? new Date() },
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) out[k] = String(v);
  return out;
};

// How the JSON and REST-JSON services (Lambda, SSM, Secrets Manager) name each failure; Lambda
// answers 403, the JSON 1.1 services 400; the SDK reads x-amzn-errortype or the body's __type.
export const JSON_PROTOCOL_ERRORS: Record<SigV4FailureCode, string> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  IncompleteSignature: 'IncompleteSignatureException',
  InvalidClientTokenId: 'UnrecognizedClientException',
  ExpiredToken: 'ExpiredTokenException',
  SignatureDoesNotMatch: 'InvalidSignatureException',
  RequestExpired: 'InvalidSignatureException',
};

// A verified presigned URL (query-string SigV4, as the EICE openTunnel WebSocket uses).
export interface PresignedSuccess extends SigV4Success {
  /** The query without the X-Amz-* signing parameters. */
  params: Record<string, string>;
  expiresSeconds: number;
}

// Verifies a presigned (query-string) SigV4 request: recomputes the signature with the SDK's
// own presign over the same path, query, host and date, and refuses expired URLs (AWS answers
// 403 for both). Never throws for bad input.
export const verifyPresignedSigV4 = async (
  request: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
  registry: CredentialRegistry,
  options: VerifySigV4Options,
): Promise<PresignedSuccess | SigV4Failure> => {
  const headers = normaliseHeaders(request.headers);
  const q = request.url.indexOf('?');
  const path = q === -1 ? request.url : request.url.slice(0, q);
  const query = parseQuery(q === -1 ? '' : request.url.slice(q + 1));
  if (query === undefined) return fail('SignatureDoesNotMatch', 'The query string is not valid percent-encoding.');
  const one = (k: string): string | undefined => (typeof query[k] === 'string' ? (query[k] as string) : undefined);
  const signature = one('X-Amz-Signature');
  if (signature === undefined) return fail('MissingAuthenticationToken', 'Request is missing Authentication Token');
  if (one('X-Amz-Algorithm') !== ALGORITHM) return fail('IncompleteSignature', `X-Amz-Algorithm must be ${ALGORITHM}`);
  const scope = (one('X-Amz-Credential') ?? '').split('/');
  const [accessKeyId, date, region, service, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !date || !region || !service || terminator !== 'aws4_request') return fail('IncompleteSignature', 'X-Amz-Credential is malformed');
  const amzDate = one('X-Amz-Date') ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (signingDate === undefined || date !== amzDate.slice(0, 8)) return fail('IncompleteSignature', 'X-Amz-Date is missing, malformed or outside the credential scope');
  const expires = Number(one('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) return fail('IncompleteSignature', 'X-Amz-Expires must be 1..604800 seconds');
  const signedHeaders = (one('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signedHeaders.includes('host')) return fail('IncompleteSignature', "'host' must be a signed header");
  const identity = registry.get(accessKeyId);
  if (identity === undefined) return fail('InvalidClientTokenId', 'The security token included in the request is invalid.');
  const token = one('X-Amz-Security-Token');
  if ((identity.sessionToken !== undefined || token !== undefined) && token !== identity.sessionToken) return fail('InvalidClientTokenId', 'The security token included in the request is invalid.');
  if (service !== options.service) return fail('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${options.service}'.`);
  if (options.regions !== undefined && !options.regions.includes(region)) return fail('SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${region}'.`);
  const now = options.now ?? new Date();
  if (now.getTime() > signingDate.getTime() + expires * 1000) return fail('RequestExpired', `Request has expired (signed ${amzDate}, valid ${expires} s)`);
  if (signingDate.getTime() > now.getTime() + (options.maxSkewMs ?? FIFTEEN_MINUTES)) return fail('RequestExpired', `Signature not yet current: ${amzDate}`);
  if (identity.expiresAt !== undefined && identity.expiresAt.getTime() <= now.getTime()) return fail('ExpiredToken', 'The security token included in the request is expired');
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(query)) if (!k.startsWith('X-Amz-') && typeof v === 'string') params[k] = v;
  const signed: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of signedHeaders) {
    const value = headers[name];
    if (value === undefined) return fail('SignatureDoesNotMatch', `Signed header '${name}' is missing from the request.`);
    signed[name] = value;
  }
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey, ...(token !== undefined ? { sessionToken: token } : {}) },
    sha256: Sha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  const again = await signer.presign(
    { method: request.method, protocol: 'https:', hostname: signed.host ?? '', path, query: { ...params }, headers: signed },
    { signingDate, expiresIn: expires, signableHeaders: new Set(signedHeaders) },
  );
  const expected = Buffer.from(String(again.query?.['X-Amz-Signature'] ?? ''), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (String(again.query?.['X-Amz-SignedHeaders'] ?? '') !== signedHeaders.join(';') || expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return fail('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  return { ok: true, identity, region, service, signedHeaders, signingDate, params, expiresSeconds: expires };
};
