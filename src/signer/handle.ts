// The signer: one function handles every request, used unchanged by the Lambda handler
// and the local server. Pipeline: parse -> verify identity -> authorise -> (authoriser
// hook) -> issue -> audit. One exit writes one audit line per decision. Refusals are
// ordinary answers; only a bug escapes as an exception (a Lambda function error).
import { randomUUID } from 'node:crypto';
import { parseSignerRequest, type CertRequest, type SignerRequest } from '../api/request.js';
import type { IssuedCertificate, SignerErrorCode, SignerResponse } from '../api/response.js';
import { causeChain, describeError, LkpError, type ErrorCode } from '../errors.js';
import { checkSignable } from '../ssh/signature.js';
import type { AuditRecord, AuditSink } from './audit.js';
import type { SignerConfig } from './config.js';
import type { CaKeys } from './ca-store/types.js';
import { describeCaller, type IdentityVerifier, type VerifiedIdentity } from './identity/types.js';
import { authorize } from './policy/authorize.js';
import type { Grant } from './policy/grant.js';
import type { IdentityMethodName } from './policy/rules.js';
import { isoSeconds, prepareCertificate, signPrepared, type IssueContext, type PreparedCertificate } from './issue.js';
import type { KrlAnswer } from './krl-source.js';

/** A second opinion after the built-in policy allowed (the external authoriser Lambda). */
export type Authoriser = (request: CertRequest, identity: VerifiedIdentity, grant: Grant) => Promise<Grant>;

export interface SignerDeps {
  readonly config: SignerConfig;
  /** Loads CA keys; called per request, expected to cache (loaded once per process). */
  readonly caKeys: () => Promise<CaKeys>;
  readonly verifiers: Partial<Record<IdentityMethodName, IdentityVerifier>>;
  readonly authoriser?: Authoriser;
  readonly audit: AuditSink;
  /** Unix seconds. */
  readonly now: () => number;
  readonly random?: (size: number) => Buffer;
  /** The current KRL (cached by its source); absent, the `krl` action answers Internal. */
  readonly krl?: () => Promise<KrlAnswer>;
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

const ignore = (): undefined => undefined;

/**
 * Handles one decoded request. `transportError` is set by a transport that could not
 * decode the body (bad JSON, too large): the handler then only records and answers it.
 */
export type SignerHandler = (event: unknown, requestId?: string, transportError?: LkpError) => Promise<SignerResponse>;

/**
 * What each internal code answers as. Exhaustive, so the compiler makes whoever adds a code
 * decide: infrastructure failures are Internal (details stay in the audit line); a
 * malformed key or name in the request is BadRequest.
 */
export const SIGNER_CODE_FOR: Readonly<Record<ErrorCode, SignerErrorCode>> = {
  BadRequest: 'BadRequest',
  Unauthenticated: 'Unauthenticated',
  Forbidden: 'Forbidden',
  PayloadTooLarge: 'PayloadTooLarge',
  NotFound: 'NotFound',
  Throttled: 'Throttled',
  Internal: 'Internal',
  ConfigInvalid: 'Internal',
  UsageError: 'BadRequest',
  KeyInvalid: 'BadRequest',
  CaKeyUnavailable: 'Internal',
  SignerUnreachable: 'Internal',
  SignerError: 'Internal',
  ImdsUnavailable: 'Internal',
  AwsCredentialsMissing: 'Internal',
  AwsError: 'Internal',
  InstanceNotUsable: 'Forbidden',
  SshdConfigInvalid: 'Internal',
  SshdReloadFailed: 'Internal',
  SshdConflict: 'Internal',
  LoginUnknown: 'BadRequest',
  FileSystem: 'Internal',
  SshFailed: 'Internal',
  ListenFailed: 'Internal',
  EiceNotFound: 'Internal',
  TunnelRefused: 'Internal',
  TunnelLimit: 'Internal',
  ToolMissing: 'Internal',
  RotationTooEarly: 'Internal',
  RotationNotLive: 'Internal',
  HomeUnsafe: 'Internal',
  RevocationListStale: 'Internal',
};

/** Builds the request handler around its dependencies. */
export const createSignerHandler = (deps: SignerDeps): SignerHandler => {
  const answer = async (request: SignerRequest, requestId: string, audit: Mutable<AuditRecord>): Promise<SignerResponse> => {
    // CA keys load (once per process) while the identity is being verified.
    const keysLoading = deps.caKeys();
    keysLoading.catch(ignore);
    if (request.action === 'krl') {
      if (!deps.krl) throw new LkpError('Internal', 'this signer was built without a KRL source');
      const k = await deps.krl();
      audit.revocations = k.count;
      return { version: 1, requestId, serverId: deps.config.serverId, krl: k.krl.toString('base64'), generatedAt: new Date(k.generatedAt * 1000).toISOString(), count: k.count };
    }
    if (request.action === 'ca-keys') {
      const keys = await keysLoading;
      // serverTime: a host whose clock is off at boot dates its identity proof by this one.
      return { version: 1, requestId, serverId: deps.config.serverId, hostCaKeys: keys.host.publicLines, userCaKeys: keys.user.publicLines, serverTime: new Date(deps.now() * 1000).toISOString() };
    }
    const verifier = deps.verifiers[request.identity.method];
    if (!verifier) throw new LkpError('Unauthenticated', `identity method ${request.identity.method} is not enabled on this signer`);
    audit.method = request.identity.method;
    // A verifier that checked everything in this process answers at once: no await.
    const verifying = verifier.verify(request);
    const identity = verifying instanceof Promise ? await verifying : verifying;
    audit.caller = describeCaller(identity);
    let grant = authorize(request, identity, deps.config);
    if (deps.authoriser) grant = await deps.authoriser(request, identity, grant);
    audit.rule = grant.ruleName;
    audit.hostId = grant.hostId;
    audit.principals = grant.principals;
    const keys = await keysLoading;
    const ctx: IssueContext = deps.random ? { requestId, caller: audit.caller, now: deps.now(), random: deps.random } : { requestId, caller: audit.caller, now: deps.now() };
    const ca = request.action === 'host-cert' ? keys.host : keys.user;
    const subjects = request.action === 'host-cert' ? request.publicKeys : [request.publicKey];
    // Every certificate is built, and checked against what the CA can sign, before a
    // single-use identity is spent: a request that cannot be signed leaves the token usable.
    const prepared: PreparedCertificate[] = [];
    for (const key of subjects) {
      const p = prepareCertificate(grant, key, ca.signer.publicKey, ctx);
      checkSignable(ca.signer, p.body);
      prepared.push(p);
    }
    // Spent only now, allowed and with keys at hand (if signing then fails, the token stays
    // spent for this request, and a retry of the same request is issued again).
    if (verifier.commit) {
      const committing = verifier.commit(identity);
      const commitment = committing instanceof Promise ? await committing : committing;
      if (commitment.reissue) audit.reissue = true;
    }
    // One key (the usual request) is signed without a Promise.all round; several are
    // signed concurrently (a KMS CA answers each over the network).
    let issued: IssuedCertificate[];
    if (prepared.length === 1) {
      const signing = signPrepared(prepared[0] as PreparedCertificate, ca.signer);
      issued = [signing instanceof Promise ? await signing : signing];
    } else issued = await Promise.all(prepared.map((p) => signPrepared(p, ca.signer)));
    const serials: string[] = [];
    const keyFingerprints: string[] = [];
    for (const c of issued) {
      serials.push(c.serial);
      keyFingerprints.push(c.keyFingerprint);
    }
    audit.outcome = 'issued';
    audit.serials = serials;
    audit.keyFingerprints = keyFingerprints;
    audit.validAfter = issued[0]?.validAfter;
    audit.validBefore = issued[0]?.validBefore;
    if (request.action === 'host-cert') {
      return { version: 1, requestId, hostId: grant.hostId, certificates: issued, userCaKeys: keys.user.publicLines, hostCaKeys: keys.host.publicLines };
    }
    return { version: 1, requestId, certificate: issued[0] as (typeof issued)[0], hostCaKeys: keys.host.publicLines };
  };

  return async (event, givenId, transportError) => {
    const requestId = givenId ?? randomUUID();
    // `ts` first (as the line shows it), set when the decision is recorded.
    const audit: Mutable<AuditRecord> = { ts: '', requestId, action: 'unknown', outcome: 'answered' };
    try {
      if (transportError) throw transportError;
      // Reading one field walks nothing; parseSignerRequest bounds the event (size, depth)
      // before it walks it, so a deeply nested event cannot overflow a stack.
      const head = event as { action?: unknown } | null;
      if (head && typeof head.action === 'string' && head.action.length <= 32) audit.action = head.action.replace(/[^a-z-]/g, '?');
      const request = parseSignerRequest(event);
      return await answer(request, requestId, audit);
    } catch (error) {
      if (!(error instanceof LkpError)) {
        audit.outcome = 'error';
        audit.code = 'Internal';
        audit.reason = describeError(error);
        const causes = causeChain(error);
        if (causes.length > 0) audit.causes = causes;
        throw error; // a bug: let Lambda count it
      }
      const code = SIGNER_CODE_FOR[error.code];
      audit.outcome = 'denied';
      audit.code = code;
      audit.reason = error.message;
      if (code === 'Internal') {
        const causes = causeChain(error);
        if (causes.length > 0) audit.causes = causes;
      }
      // Infrastructure details (key stores, paths, AWS errors) stay in the audit line.
      const message = code === 'Internal' ? `the signer could not complete this request; its operators can look up request ${requestId}` : error.message;
      return { version: 1, requestId, error: { code, message } };
    } finally {
      audit.ts = isoSeconds(deps.now());
      deps.audit(audit as AuditRecord);
    }
  };
};
