// Loopback Lambda Invoke (REST-JSON) running test-provided async handlers, e.g. the external
// authoriser; verifies SigV4 and answers function errors, 404s and throttles as Lambda does.
import { randomUUID } from 'node:crypto';
import { TEST_ACCOUNT, type CredentialRegistry, type TestIdentity } from './credentials.js';
import { sleep, startHttpServer, type FakeResponse, type RecordedRequest } from './http.js';
import { JSON_PROTOCOL_ERRORS, verifySigV4 } from './sigv4-verify.js';

// What a handler learns about the call besides its payload.
export interface LambdaContext {
  caller: TestIdentity;
  requestId: string;
  qualifier?: string;
  /** X-Amz-Client-Context, base64-decoded. */
  clientContext?: string;
  signal: AbortSignal;
}

// A test's stand-in for a function: its return value is the payload, a throw is a function error.
export type LambdaHandler = (payload: unknown, functionName: string, context: LambdaContext) => unknown;

// One Invoke as the fake judged it.
export interface LambdaInvocation {
  /** Name as it appeared in the path (decoded): a name, partial ARN or ARN. */
  requested: string;
  functionName?: string;
  invocationType: string;
  region?: string;
  callerArn?: string;
  payload?: unknown;
  /** Error code answered, or 'Unhandled' for a function error. */
  error?: string;
}

// Functions, placement and IAM decision of the Lambda fake.
export interface StartFakeLambdaOptions {
  registry: CredentialRegistry;
  functions?: Record<string, LambdaHandler>;
  /** Region and account the functions live in; default us-east-1 / 111122223333. */
  region?: string;
  account?: string;
  /** Delay before the handler runs, for client timeout tests. */
  delayMs?: number;
  /** Return false to answer AccessDeniedException (IAM deny). Default: allow. */
  authorize?: (identity: TestIdentity, functionArn: string) => boolean;
  now?: () => Date;
}

// A running Lambda fake and its levers.
export interface FakeLambda {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
  invocations: LambdaInvocation[];
  functionArn(name: string): string;
  setFunction(name: string, handler: LambdaHandler): void;
  removeFunction(name: string): void;
  setDelay(ms: number): void;
  /** The next n invokes fail with this error (default TooManyRequestsException, 429). */
  failNext(n: number, code?: string, status?: number): void;
}

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const NAME = /^(?:arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:|(\d{12}):function:)?([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9$_-]{1,128}))?$/;
const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;

const jsonError = (status: number, code: string, message: string): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
  body: JSON.stringify({ Type: 'User', message }),
});

// Starts the Lambda fake; point AWS_ENDPOINT_URL_LAMBDA at `url`.
export const startFakeLambda = async (options: StartFakeLambdaOptions): Promise<FakeLambda> => {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? TEST_ACCOUNT;
  const functions = new Map(Object.entries(options.functions ?? {}));
  const invocations: LambdaInvocation[] = [];
  const injected: { code: string; status: number }[] = [];
  let delayMs = options.delayMs ?? 0;
  const now = options.now ?? (() => new Date());
  const arnOf = (name: string): string => `arn:aws:lambda:${region}:${account}:function:${name}`;

  const handle = async (req: RecordedRequest, inv: LambdaInvocation, signal: AbortSignal): Promise<FakeResponse> => {
    const m = PATH.exec(req.path);
    if (req.method !== 'POST' || !m) return jsonError(404, 'UnknownOperationException', 'Unknown operation');
    try {
      inv.requested = decodeURIComponent(m[1] as string);
    } catch {
      return jsonError(400, 'InvalidParameterValueException', 'Function name is not valid percent-encoding');
    }
    const fault = injected.shift();
    if (fault) return jsonError(fault.status, fault.code, 'Rate Exceeded.');

    const verdict = await verifySigV4(req, options.registry, { service: 'lambda', now: now() });
    if (!verdict.ok) return jsonError(403, JSON_PROTOCOL_ERRORS[verdict.code], verdict.message);
    inv.region = verdict.region;
    inv.callerArn = verdict.identity.arn;

    const n = NAME.exec(inv.requested);
    if (!n) {
      return jsonError(400, 'ValidationException', `1 validation error detected: Value '${inv.requested}' at 'functionName' failed to satisfy constraint`);
    }
    const [, arnRegion, arnAccount, partialAccount, name, nameQualifier] = n as unknown as (string | undefined)[];
    const qualifier = new URLSearchParams(req.query).get('Qualifier') ?? nameQualifier;
    if (arnRegion !== undefined && arnRegion !== verdict.region) {
      return jsonError(404, 'ResourceNotFoundException', `Functions from '${arnRegion}' are not reachable in this region ('${verdict.region}')`);
    }
    const handler = functions.get(name as string);
    const arn = `arn:aws:lambda:${verdict.region}:${arnAccount ?? partialAccount ?? account}:function:${name as string}`;
    if (handler === undefined || verdict.region !== region || (arnAccount ?? partialAccount ?? account) !== account) {
      return jsonError(404, 'ResourceNotFoundException', `Function not found: ${arn}${qualifier ? `:${qualifier}` : ''}`);
    }
    inv.functionName = name as string;
    if (options.authorize && !options.authorize(verdict.identity, arn)) {
      return jsonError(
        403,
        'AccessDeniedException',
        `User: ${verdict.identity.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${arn} because no identity-based policy allows the lambda:InvokeFunction action`,
      );
    }
    if (req.body.length > MAX_SYNC_PAYLOAD) {
      return jsonError(413, 'RequestEntityTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation`);
    }
    let payload: unknown = {};
    if (req.body.length > 0) {
      try {
        payload = JSON.parse(req.body.toString('utf8')) as unknown;
      } catch (err) {
        return jsonError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${(err as Error).message}`);
      }
    }
    inv.payload = payload;
    inv.invocationType = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    const version = qualifier ?? '$LATEST';
    if (inv.invocationType === 'DryRun') return { status: 204, headers: { 'x-amz-executed-version': version } };

    const requestId = randomUUID();
    const clientContextB64 = req.headers['x-amz-client-context'];
    const context: LambdaContext = {
      caller: verdict.identity,
      requestId,
      // An Event invoke outlives its 202; only a synchronous caller can go away.
      signal: inv.invocationType === 'Event' ? new AbortController().signal : signal,
      ...(qualifier !== undefined ? { qualifier } : {}),
      ...(clientContextB64 !== undefined ? { clientContext: Buffer.from(clientContextB64, 'base64').toString('utf8') } : {}),
    };
    const run = async (): Promise<FakeResponse> => {
      if (delayMs > 0 && inv.invocationType !== 'Event') await sleep(delayMs, signal);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-amz-executed-version': version,
        'x-amzn-requestid': requestId,
      };
      if (req.headers['x-amz-log-type'] === 'Tail') {
        headers['x-amz-log-result'] = Buffer.from(`START RequestId: ${requestId} Version: ${version}\nEND RequestId: ${requestId}\n`).toString('base64');
      }
      try {
        const result: unknown = await handler(payload, name as string, context);
        return { status: 200, headers, body: JSON.stringify(result === undefined ? null : result) };
      } catch (err) {
        inv.error = 'Unhandled';
        const e = err instanceof Error ? err : undefined;
        const body = {
          errorType: e ? e.name : typeof err,
          errorMessage: e ? e.message : String(err),
          trace: e?.stack?.split('\n') ?? [],
        };
        return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body: JSON.stringify(body) };
      }
    };
    if (inv.invocationType === 'Event') {
      void run().catch(() => undefined);
      return { status: 202, headers: { 'x-amzn-requestid': requestId } };
    }
    return run();
  };

  const server = await startHttpServer(
    async (req, { signal }) => {
      const inv: LambdaInvocation = { requested: '', invocationType: req.headers['x-amz-invocation-type'] ?? 'RequestResponse' };
      invocations.push(inv);
      const res = await handle(req, inv, signal);
      if (res.status >= 400) inv.error = res.headers?.['x-amzn-errortype'];
      return res;
    },
    { bodyLimit: MAX_SYNC_PAYLOAD + 1024 * 1024 },
  );

  return {
    url: server.url,
    close: server.close,
    requests: server.requests,
    invocations,
    functionArn: arnOf,
    setFunction: (name, handler) => {
      functions.set(name, handler);
    },
    removeFunction: (name) => {
      functions.delete(name);
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    failNext: (n, code = 'TooManyRequestsException', status = 429) => {
      for (let k = 0; k < n; k++) injected.push({ code, status });
    },
  };
};
