// The signer's public request API, version 1 (documented in docs/api.md). One strict
// parser per action: unknown fields, wrong types and out-of-range values are BadRequest
// with the field's path, before any identity is checked or any key is touched.
import { LkpError } from '../errors.js';
import { checkJsonBounds } from './json-bounds.js';
import { readObject, type ObjectReader } from '../schema.js';
import { checkSubjectKey, type CertType } from '../ssh/key-policy.js';
import { parseLogin, type Login } from '../ssh/names.js';
import { parsePublicKey, type PublicKey } from '../ssh/public-key.js';
import { parseTarget, type Target } from './target.js';

/** Largest request body the signer reads. */
export const MAX_REQUEST_BYTES = 32 * 1024;
/** Deepest nesting a request may have (a real one has four levels). */
export const MAX_REQUEST_DEPTH = 16;
export const MAX_HOST_KEYS = 8;
/** Beyond this a requested validity is nonsense, not merely over policy. */
export const MAX_VALIDITY_SECONDS = 366 * 86400;

/** A SigV4-signed sts:GetCallerIdentity request, carried as data. */
export interface AwsProof {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type IdentityProof = { readonly method: 'join-token'; readonly token: string } | { readonly method: 'aws'; readonly proof: AwsProof };

export type CaKeysRequest = { readonly version: 1; readonly action: 'ca-keys' };
/** The signer's KRL: public, like ca-keys (the Invoke channel authenticates the signer). */
export type KrlRequest = { readonly version: 1; readonly action: 'krl' };
export interface HostCertRequest {
  readonly version: 1;
  readonly action: 'host-cert';
  readonly identity: IdentityProof;
  readonly publicKeys: readonly PublicKey[];
  readonly validitySeconds?: number;
}
export interface UserCertRequest {
  readonly version: 1;
  readonly action: 'user-cert';
  readonly identity: IdentityProof;
  readonly publicKey: PublicKey;
  readonly login: Login;
  readonly target: Target;
  readonly validitySeconds?: number;
}
export type SignerRequest = CaKeysRequest | KrlRequest | HostCertRequest | UserCertRequest;
export type CertRequest = HostCertRequest | UserCertRequest;

export const ACTIONS = ['ca-keys', 'host-cert', 'user-cert', 'krl'] as const;
export type Action = (typeof ACTIONS)[number];

const keyField = (r: ObjectReader, field: string, value: unknown, certType: CertType): PublicKey => {
  try {
    return checkSubjectKey(parsePublicKey(value as string), certType);
  } catch (error) {
    return r.fail(field, error instanceof LkpError ? error.message : 'is not a valid public key');
  }
};

const parseIdentity = (r: ObjectReader): IdentityProof => {
  const head = r.object('identity', ['method', 'token', 'proof']);
  const method = head.oneOf('method', ['join-token', 'aws'] as const);
  if (method === 'join-token') {
    const o = r.object('identity', ['method', 'token']);
    return { method, token: o.string('token', { max: 4096 }) };
  }
  const o = r.object('identity', ['method', 'proof']);
  const p = o.object('proof', ['url', 'method', 'headers', 'body']);
  const headersRaw = p.value.headers;
  if (typeof headersRaw !== 'object' || headersRaw === null || Array.isArray(headersRaw)) return p.fail('headers', 'must be an object');
  const entries = Object.entries(headersRaw as Record<string, unknown>);
  if (entries.length > 32) p.fail('headers', 'has too many entries');
  const headers = Object.create(null) as Record<string, string>;
  for (const [k, v] of entries) {
    // Printable ASCII only: a header value with a newline or NUL must never reach an HTTP stack.
    if (typeof v !== 'string' || v.length > 4096 || !/^[A-Za-z0-9-]{1,64}$/.test(k) || !/^[\x20-\x7e]*$/.test(v)) {
      p.fail(`headers.${k.slice(0, 32).replace(/[^A-Za-z0-9-]/g, '?')}`, 'must be a short printable-ASCII header');
    }
    headers[k.toLowerCase()] = v as string;
  }
  return { method, proof: { url: p.string('url', { max: 256 }), method: p.string('method', { max: 8 }), headers, body: p.string('body', { max: 1024 }) } };
};

const validity = (r: ObjectReader): { validitySeconds?: number } =>
  r.has('validitySeconds') ? { validitySeconds: r.integer('validitySeconds', { min: 60, max: MAX_VALIDITY_SECONDS }) } : {};

/** Parses a decoded JSON request into a typed, frozen SignerRequest. */
export const parseSignerRequest = (doc: unknown): SignerRequest => {
  checkJsonBounds(doc, { maxBytes: MAX_REQUEST_BYTES, maxDepth: MAX_REQUEST_DEPTH });
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new LkpError('BadRequest', 'request must be a JSON object');
  const head = doc as Record<string, unknown>;
  if (head.version !== 1) throw new LkpError('BadRequest', 'request.version: must be 1');
  if (typeof head.action !== 'string' || !(ACTIONS as readonly string[]).includes(head.action)) {
    throw new LkpError('BadRequest', `request.action: must be one of ${ACTIONS.join(', ')}`);
  }
  const action = head.action as Action;
  switch (action) {
    case 'ca-keys':
    case 'krl':
      readObject(doc, 'request', ['version', 'action'], 'BadRequest');
      return Object.freeze({ version: 1, action });
    case 'host-cert': {
      const r = readObject(doc, 'request', ['version', 'action', 'identity', 'publicKeys', 'validitySeconds'], 'BadRequest');
      const keys = r.array('publicKeys', { min: 1, max: MAX_HOST_KEYS }).map((k, i) => keyField(r, `publicKeys[${i}]`, k, 'host'));
      return Object.freeze({ version: 1, action, identity: parseIdentity(r), publicKeys: Object.freeze(keys), ...validity(r) });
    }
    case 'user-cert': {
      const r = readObject(doc, 'request', ['version', 'action', 'identity', 'publicKey', 'login', 'target', 'validitySeconds'], 'BadRequest');
      const wrap = <T>(field: string, fn: () => T): T => {
        try {
          return fn();
        } catch (error) {
          return r.fail(field, error instanceof LkpError ? error.message : 'is invalid');
        }
      };
      return Object.freeze({
        version: 1,
        action,
        identity: parseIdentity(r),
        publicKey: keyField(r, 'publicKey', r.value.publicKey, 'user'),
        login: wrap('login', () => parseLogin(r.value.login)),
        target: wrap('target', () => parseTarget(r.value.target)),
        ...validity(r),
      });
    }
  }
};
