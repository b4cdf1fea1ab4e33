// The optional external authoriser: a Lambda called after the built-in policy allowed,
// for host and user requests alike. LastKeypair's contract, so existing authorisers work:
// request { Kind, From, RemoteInstanceArn | HostInstanceArn, SshUsername?, Principals },
// answer { Authorized, Message, Principals? } (field names matched case-insensitively).
// Its denial message reaches the user; an error or a timeout denies. It may narrow the
// principals, never widen them: certificate names still come only from verified facts.
import type { CertRequest } from '../api/request.js';
import { LkpError } from '../errors.js';
import type { Grant } from './policy/grant.js';
import type { VerifiedIdentity } from './identity/types.js';
import { parseCallerArn } from './identity/caller-arn.js';
import type { Principal } from '../ssh/names.js';

type Invoke = (payload: unknown) => Promise<unknown>;

const instanceArn = (id: VerifiedIdentity, grant: Grant): string => {
  if (id.method === 'aws' && id.instance) {
    const i = id.instance;
    return `arn:${id.caller.partition}:ec2:${i.region}:${i.account || id.caller.account}:instance/${i.instanceId}`;
  }
  return grant.hostId;
};

const lkpIdentity = (id: VerifiedIdentity): Record<string, string> => {
  if (id.method === 'join-token') return { Id: id.tokenId, Account: '', Type: 'JoinToken' };
  const arn = parseCallerArn(id.caller.arn);
  const type = arn.type === 'user' ? 'User' : arn.type === 'federated-user' ? 'FederatedUser' : arn.type === 'root' ? 'Root' : 'AssumedRole';
  return { ...(arn.type === 'user' ? { Name: arn.name } : {}), Id: id.caller.userId, Account: id.caller.account, Type: type, Arn: id.caller.arn };
};

/** The request an authoriser receives. */
export const authoriserRequest = (request: CertRequest, id: VerifiedIdentity, grant: Grant): Record<string, unknown> =>
  request.action === 'user-cert'
    ? { Kind: 'LkpUserCertAuthorizationRequest', From: lkpIdentity(id), RemoteInstanceArn: instanceArn(id, grant), SshUsername: request.login, Principals: grant.principals }
    : { Kind: 'LkpHostCertAuthorizationRequest', From: lkpIdentity(id), HostInstanceArn: instanceArn(id, grant), Principals: grant.principals };

const field = (answer: Record<string, unknown>, name: string): unknown => {
  const key = Object.keys(answer).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : answer[key];
};

/** Applies an authoriser's answer to a grant (pure). */
export const applyAuthoriserAnswer = (answer: unknown, grant: Grant): Grant => {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new LkpError('Forbidden', 'the authoriser gave no usable answer, so the request is denied');
  const a = answer as Record<string, unknown>;
  const message = field(a, 'Message');
  const text = typeof message === 'string' && message.length > 0 ? message.slice(0, 512) : undefined;
  if (field(a, 'Authorized') !== true) throw new LkpError('Forbidden', text ? `denied by the authoriser: ${text}` : 'denied by the authoriser');
  const principals = field(a, 'Principals');
  if (principals === undefined || principals === null) return grant;
  if (!Array.isArray(principals) || !principals.every((p) => typeof p === 'string')) throw new LkpError('Forbidden', 'the authoriser answered malformed Principals, so the request is denied');
  const narrowed = grant.principals.filter((p) => (principals as string[]).includes(p)) as Principal[];
  if (narrowed.length === 0) throw new LkpError('Forbidden', text ? `denied by the authoriser: ${text}` : 'the authoriser allowed none of the principals');
  return { ...grant, principals: narrowed };
};

/** Wraps an invoke function into the handler's Authoriser hook, with a deadline. */
export const externalAuthoriser =
  (invoke: Invoke, timeoutMs: number) =>
  async (request: CertRequest, identity: VerifiedIdentity, grant: Grant): Promise<Grant> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LkpError('Forbidden', `the authoriser did not answer within ${timeoutMs} ms, so the request is denied`)), timeoutMs);
    });
    try {
      const answer = await Promise.race([invoke(authoriserRequest(request, identity, grant)), deadline]);
      return applyAuthoriserAnswer(answer, grant);
    } catch (error) {
      if (error instanceof LkpError && error.code === 'Forbidden') throw error;
      throw new LkpError('Forbidden', 'the authoriser failed, so the request is denied', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
