// Loopback IAM (query protocol) answering GetRole with a role's trust policy, after a real
// SigV4 check (service iam, signed for us-east-1 as IAM's global endpoint requires).
import { randomUUID } from 'node:crypto';
import type { CredentialRegistry } from './credentials.js';
import { TEST_ACCOUNT } from './credentials.js';
import { parseForm, startHttpServer, xmlEscape, type FakeResponse, type RecordedRequest } from './http.js';
import { verifySigV4 } from './sigv4-verify.js';

const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

// A trust policy that admits only the EC2 service (what lkp requires of host roles).
export const EC2_ONLY_TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

// One GetRole call as judged.
export interface IamCall {
  action: string;
  roleName?: string;
  arn?: string;
  errorCode?: string;
}

// A running IAM fake: role name -> trust policy document.
export interface FakeIam {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
  calls: IamCall[];
  roles: Map<string, unknown>;
}

const error = (status: number, code: string, message: string): FakeResponse => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
});

// Starts the IAM fake; point AWS_ENDPOINT_URL_IAM at `url`.
export const startFakeIam = async (options: { registry: CredentialRegistry; roles?: Record<string, unknown>; account?: string }): Promise<FakeIam> => {
  const roles = new Map<string, unknown>(Object.entries(options.roles ?? {}));
  const calls: IamCall[] = [];
  const account = options.account ?? TEST_ACCOUNT;
  const server = await startHttpServer(async (req) => {
    const params = parseForm(req.body.toString('utf8'));
    const call: IamCall = { action: params.get('Action') ?? '' };
    calls.push(call);
    const verdict = await verifySigV4(req, options.registry, { service: 'iam', regions: ['us-east-1'] });
    if (!verdict.ok) {
      call.errorCode = verdict.code;
      return error(403, verdict.code, verdict.message);
    }
    call.arn = verdict.identity.arn;
    if (call.action !== 'GetRole' || params.get('Version') !== '2010-05-08') {
      call.errorCode = 'InvalidAction';
      return error(400, 'InvalidAction', `Could not find operation ${call.action}`);
    }
    const name = params.get('RoleName') ?? '';
    call.roleName = name;
    const doc = roles.get(name);
    if (doc === undefined) {
      call.errorCode = 'NoSuchEntity';
      return error(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
    }
    const encoded = encodeURIComponent(JSON.stringify(doc));
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body:
        `<GetRoleResponse xmlns="${XMLNS}"><GetRoleResult><Role><Path>/</Path>` +
        `<AssumeRolePolicyDocument>${encoded}</AssumeRolePolicyDocument><RoleId>AROA${name.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(17, 'X').slice(0, 17)}</RoleId>` +
        `<RoleName>${xmlEscape(name)}</RoleName><Arn>arn:aws:iam::${account}:role/${xmlEscape(name)}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>` +
        `</Role></GetRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetRoleResponse>`,
    };
  });
  return { url: server.url, close: server.close, requests: server.requests, calls, roles };
};
