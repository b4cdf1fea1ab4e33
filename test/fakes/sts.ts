// Loopback STS (query protocol) answering GetCallerIdentity (and AssumeRole) for registered keys after a real
// SigV4 check over the Host header as sent, so a request the lkp signer forwards still verifies.
import { randomUUID } from 'node:crypto';
import { assumedRole, type CredentialRegistry, type TestIdentity } from './credentials.js';
import { parseForm, startHttpServer, xmlEscape, type FakeResponse, type RecordedRequest } from './http.js';
import { verifySigV4, type SigV4FailureCode } from './sigv4-verify.js';

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

// Who is known to the STS fake, and its clock.
export interface StartFakeStsOptions {
  registry: CredentialRegistry;
  /** Server clock for the skew check; default the real clock. */
  now?: () => Date;
  /** Who may assume which role (AssumeRole); default anyone registered. */
  canAssume?: (caller: TestIdentity, roleArn: string) => boolean;
}

// One STS call as the fake judged it, for assertions on who called and how it was signed.
export interface StsCall {
  action: string;
  /** Host header as sent (the real STS host when the request was forwarded). */
  host: string;
  region?: string;
  arn?: string;
  signedHeaders?: string[];
  errorCode?: string;
}

// A running STS fake, its call log and its levers.
export interface FakeSts {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
  calls: StsCall[];
  /** Number of HTTP requests received so far. */
  count(): number;
  /** The next n requests fail with this error (default Throttling, 400) before any check. */
  failNext(n: number, code?: string, status?: number): void;
  setNow(now: () => Date): void;
}

const ERROR_STATUS: Record<SigV4FailureCode, number> = {
  MissingAuthenticationToken: 403,
  IncompleteSignature: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  ExpiredToken: 400,
  RequestExpired: 400,
};

// Regions a request naming this Host may be scoped to, as the real endpoints enforce;
// undefined (any region) for a host that is not an STS host, e.g. the loopback address.
export const stsRegionsForHost = (host: string): string[] | undefined => {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  if (name === 'sts.amazonaws.com') return ['us-east-1'];
  const m = /^sts(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(name);
  return m ? [m[1] as string] : undefined;
};

const wantsJson = (req: RecordedRequest): boolean => (req.headers.accept ?? '').includes('application/json');

const errorResponse = (req: RecordedRequest, status: number, code: string, message: string): FakeResponse => {
  const requestId = randomUUID();
  if (wantsJson(req)) {
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
      body: JSON.stringify({ Error: { Type: 'Sender', Code: code, Message: message }, RequestId: requestId }),
    };
  }
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="${XMLNS}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${xmlEscape(code)}</Code>\n` +
      `    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
  };
};

const callerIdentityResponse = (req: RecordedRequest, arn: string, userId: string, account: string): FakeResponse => {
  const requestId = randomUUID();
  if (wantsJson(req)) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
      body: JSON.stringify({
        GetCallerIdentityResponse: {
          GetCallerIdentityResult: { Arn: arn, UserId: userId, Account: account },
          ResponseMetadata: { RequestId: requestId },
        },
      }),
    };
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<GetCallerIdentityResponse xmlns="${XMLNS}">\n  <GetCallerIdentityResult>\n` +
      `    <Arn>${xmlEscape(arn)}</Arn>\n    <UserId>${xmlEscape(userId)}</UserId>\n` +
      `    <Account>${xmlEscape(account)}</Account>\n  </GetCallerIdentityResult>\n` +
      `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`,
  };
};

// Starts the STS fake; point AWS_ENDPOINT_URL_STS (or a forwarder) at `url`.
export const startFakeSts = async (options: StartFakeStsOptions): Promise<FakeSts> => {
  let now = options.now ?? (() => new Date());
  const injected: { code: string; status: number }[] = [];
  const calls: StsCall[] = [];

  const server = await startHttpServer(async (req) => {
    const host = req.headers.host ?? '';
    const params = new URLSearchParams(req.query);
    if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      for (const [k, v] of parseForm(req.body.toString('utf8'))) params.set(k, v);
    }
    const call: StsCall = { action: params.get('Action') ?? '', host };
    calls.push(call);

    const fault = injected.shift();
    if (fault !== undefined) {
      call.errorCode = fault.code;
      return errorResponse(req, fault.status, fault.code, 'Rate exceeded');
    }

    const regions = stsRegionsForHost(host);
    const verdict = await verifySigV4(req, options.registry, {
      service: 'sts',
      now: now(),
      ...(regions !== undefined ? { regions } : {}),
    });
    if (!verdict.ok) {
      call.errorCode = verdict.code;
      return errorResponse(req, ERROR_STATUS[verdict.code], verdict.code, verdict.message);
    }
    call.region = verdict.region;
    call.arn = verdict.identity.arn;
    call.signedHeaders = verdict.signedHeaders;

    if (call.action === 'AssumeRole' && params.get('Version') === '2011-06-15') {
      // Temporary credentials for the role, registered so every fake accepts them.
      const m = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(params.get('RoleArn') ?? '');
      const session = params.get('RoleSessionName') ?? '';
      if (!m || !/^[\w+=,.@-]{2,64}$/.test(session)) {
        call.errorCode = 'ValidationError';
        return errorResponse(req, 400, 'ValidationError', 'RoleArn or RoleSessionName is invalid');
      }
      if (options.canAssume && !options.canAssume(verdict.identity, params.get('RoleArn') as string)) {
        call.errorCode = 'AccessDenied';
        return errorResponse(req, 403, 'AccessDenied', `${verdict.identity.arn} is not authorized to perform: sts:AssumeRole`);
      }
      const role = options.registry.add(assumedRole(m[2] as string, session, { account: m[1] as string, ttlMs: 900_000 }));
      call.arn = verdict.identity.arn;
      return {
        status: 200,
        headers: { 'content-type': 'text/xml' },
        body:
          `<AssumeRoleResponse xmlns="${XMLNS}"><AssumeRoleResult><AssumedRoleUser><Arn>${xmlEscape(role.arn)}</Arn><AssumedRoleId>${xmlEscape(role.userId)}</AssumedRoleId></AssumedRoleUser>` +
          `<Credentials><AccessKeyId>${role.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(role.secretAccessKey)}</SecretAccessKey><SessionToken>${xmlEscape(role.sessionToken ?? '')}</SessionToken>` +
          `<Expiration>${(role.expiresAt ?? new Date()).toISOString()}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      };
    }
    if (call.action !== 'GetCallerIdentity' || params.get('Version') !== '2011-06-15') {
      call.errorCode = 'InvalidAction';
      return errorResponse(req, 400, 'InvalidAction', `Could not find operation ${call.action} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
    }
    const { arn, userId, account } = verdict.identity;
    return callerIdentityResponse(req, arn, userId, account);
  });

  return {
    url: server.url,
    close: server.close,
    requests: server.requests,
    calls,
    count: () => server.requests.length,
    failNext: (n, code = 'Throttling', status = 400) => {
      for (let i = 0; i < n; i++) injected.push({ code, status });
    },
    setNow: (fn) => {
      now = fn;
    },
  };
};
