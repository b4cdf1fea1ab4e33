// Shared core of the AWS JSON 1.1 fakes (Secrets Manager, SSM): `POST /` with X-Amz-Target,
// real SigV4 check, dispatch to an operation, errors as `{"__type": CODE, message}` with HTTP 400.
import type { CredentialRegistry, TestIdentity } from './credentials.js';
import { startHttpServer, type FakeResponse, type RecordedRequest } from './http.js';
import { JSON_PROTOCOL_ERRORS, verifySigV4 } from './sigv4-verify.js';

// Thrown by an operation to answer a modelled AWS error.
export class JsonServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

// What an operation gets besides its input.
export interface JsonCallContext {
  identity: TestIdentity;
  region: string;
}

// One operation: input JSON in, output JSON out, JsonServiceError for modelled failures.
export type JsonOperation = (input: Record<string, unknown>, ctx: JsonCallContext) => unknown;

// One call as judged, for assertions (operation, caller, input, error code).
export interface JsonCall {
  target: string;
  operation?: string;
  region?: string;
  arn?: string;
  input?: Record<string, unknown>;
  errorCode?: string;
}

// How one JSON 1.1 service is named, signed and dispatched.
export interface JsonServiceOptions {
  registry: CredentialRegistry;
  /** SigV4 signing name: 'secretsmanager', 'ssm'. */
  signingName: string;
  /** X-Amz-Target prefix: 'secretsmanager', 'AmazonSSM'. */
  targetPrefix: string;
  operations: Record<string, JsonOperation>;
  /** Secrets Manager spells it `Message`, SSM `message`. */
  messageField: 'message' | 'Message';
  now?: () => Date;
}

// A running JSON 1.1 fake.
export interface JsonService {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
  calls: JsonCall[];
  /** The next n calls fail with this error (default ThrottlingException, 400). */
  failNext(n: number, code?: string, status?: number): void;
}

// Starts one JSON 1.1 service fake on loopback.
export const startJsonService = async (options: JsonServiceOptions): Promise<JsonService> => {
  const calls: JsonCall[] = [];
  const injected: { code: string; status: number }[] = [];
  const now = options.now ?? (() => new Date());
  const error = (call: JsonCall, code: string, message: string, status = 400): FakeResponse => {
    call.errorCode = code;
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ __type: code, [options.messageField]: message }),
    };
  };

  const server = await startHttpServer(async (req) => {
    const target = req.headers['x-amz-target'] ?? '';
    const call: JsonCall = { target };
    calls.push(call);
    const fault = injected.shift();
    if (fault) return error(call, fault.code, 'Rate exceeded', fault.status);

    const verdict = await verifySigV4(req, options.registry, { service: options.signingName, now: now() });
    if (!verdict.ok) return error(call, JSON_PROTOCOL_ERRORS[verdict.code], verdict.message);
    call.region = verdict.region;
    call.arn = verdict.identity.arn;

    const [prefix, operation] = target.split('.');
    const op = prefix === options.targetPrefix && operation !== undefined ? options.operations[operation] : undefined;
    if (req.method !== 'POST' || req.path !== '/' || op === undefined) {
      return error(call, 'UnknownOperationException', `Unknown operation ${target}`);
    }
    call.operation = operation;
    if (!/^application\/x-amz-json-1\.[01]/.test(req.headers['content-type'] ?? '')) {
      return error(call, 'SerializationException', 'Expected application/x-amz-json-1.1');
    }
    let input: unknown;
    try {
      input = JSON.parse(req.body.length === 0 ? '{}' : req.body.toString('utf8'));
    } catch {
      return error(call, 'SerializationException', 'Start of structure or map found where not expected.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return error(call, 'SerializationException', 'Expected a JSON object');
    }
    call.input = input as Record<string, unknown>;
    try {
      const output = await op(call.input, { identity: verdict.identity, region: verdict.region });
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(output ?? {}) };
    } catch (err) {
      if (err instanceof JsonServiceError) return error(call, err.code, err.message, err.status);
      throw err;
    }
  });

  return {
    url: server.url,
    close: server.close,
    requests: server.requests,
    calls,
    failNext: (n, code = 'ThrottlingException', status = 400) => {
      for (let k = 0; k < n; k++) injected.push({ code, status });
    },
  };
};

// Reads a required string member or answers ValidationException as AWS does.
export const requireString = (input: Record<string, unknown>, member: string): string => {
  const v = input[member];
  if (typeof v !== 'string' || v === '') {
    throw new JsonServiceError('ValidationException', `1 validation error detected: Value null at '${member.charAt(0).toLowerCase()}${member.slice(1)}' failed to satisfy constraint: Member must not be null`);
  }
  return v;
};
