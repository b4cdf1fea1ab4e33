// `lkp signer serve`: the signer behind the Lambda Invoke HTTP API on loopback, so the
// real @aws-sdk/client-lambda (with AWS_ENDPOINT_URL_LAMBDA) reaches it unchanged.
// POST /2015-03-31/functions/{name}/invocations. A handler crash is answered as Lambda
// does: HTTP 200 with X-Amz-Function-Error: Unhandled.
//
// No request may end the process: if it did, any local user could bind the port next and
// pose as the signer. Every step of the listener is guarded; what escapes is answered 500.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { MAX_REQUEST_BYTES } from '../api/request.js';
import { LkpError } from '../errors.js';
import { rethrowSystemError } from '../system-error.js';
import type { SignerHandler } from './handle.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** Longest function name or ARN Lambda accepts is 170; leave room for percent-encoding. */
const MAX_NAME_CHARS = 1024;

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** Function names (or ARNs) this server answers to; empty = any. */
  readonly functionNames?: readonly string[];
  /** Called for a handler crash, and for a failure of the server itself (`requestId` then names the answer). */
  readonly onError?: (error: unknown, requestId: string, where: 'handler' | 'server') => void;
}

const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

const lambdaError = (res: http.ServerResponse, status: number, type: string, message: string, requestId: string): void =>
  send(res, status, { Type: 'User', message }, { 'x-amzn-errortype': type, 'x-amzn-requestid': requestId });

/** A crash answer, as Lambda reports an unhandled function error. */
const functionError = (res: http.ServerResponse, status: number, requestId: string): void =>
  send(res, status, { errorType: 'Error', errorMessage: `internal error (request ${requestId})` }, { 'x-amz-function-error': 'Unhandled', 'x-amzn-requestid': requestId });

/** The decoded function name, or undefined when its percent-encoding is broken. */
const decodeName = (raw: string): string | undefined => {
  if (raw.length > MAX_NAME_CHARS) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
};

/** Starts the server; resolves once listening. */
export const serveSigner = (handler: SignerHandler, opts: ServeOptions): Promise<http.Server> => {
  const reportError = (error: unknown, requestId: string, where: 'handler' | 'server'): void => {
    try {
      opts.onError?.(error, requestId, where);
    } catch {
      // A failing reporter must not take the server down with it.
    }
  };

  const route = (req: http.IncomingMessage, res: http.ServerResponse, requestId: string): void => {
    const match = INVOKE_PATH.exec((req.url ?? '').split('?')[0] as string);
    if (req.method !== 'POST' || !match) {
      lambdaError(res, 404, 'UnknownOperationException', 'only POST /2015-03-31/functions/{name}/invocations is served', requestId);
      req.resume();
      return;
    }
    const name = decodeName(match[1] as string);
    if (name === undefined) {
      lambdaError(res, 400, 'InvalidParameterValueException', 'the function name in the path is not valid percent-encoding', requestId);
      req.resume();
      return;
    }
    if (opts.functionNames && opts.functionNames.length > 0 && !opts.functionNames.some((f) => f === name || name.endsWith(`:function:${f}`))) {
      lambdaError(res, 404, 'ResourceNotFoundException', `Function not found: ${name.slice(0, 200)}`, requestId);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => guarded(req, res, requestId, () => answer(res, requestId, chunks, tooLarge)));
  };

  const answer = (res: http.ServerResponse, requestId: string, chunks: Buffer[], tooLarge: boolean): void => {
    let event: unknown = null;
    let transportError: LkpError | undefined;
    if (tooLarge) transportError = new LkpError('PayloadTooLarge', `request is larger than ${MAX_REQUEST_BYTES} bytes`);
    else {
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      } catch {
        transportError = new LkpError('BadRequest', 'request is not valid JSON');
      }
    }
    handler(event, requestId, transportError)
      .then(
        (result) => send(res, 200, result, { 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' }),
        (error: unknown) => {
          reportError(error, requestId, 'handler');
          functionError(res, 200, requestId);
        },
      )
      .catch((error: unknown) => serverFailure(res, requestId, error));
  };

  const serverFailure = (res: http.ServerResponse, requestId: string, error: unknown): void => {
    reportError(error, requestId, 'server');
    try {
      functionError(res, 500, requestId);
    } catch {
      res.destroy();
    }
  };

  const guarded = (req: http.IncomingMessage, res: http.ServerResponse, requestId: string, step: () => void): void => {
    try {
      step();
    } catch (error) {
      serverFailure(res, requestId, error);
      req.resume();
    }
  };

  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    guarded(req, res, requestId, () => route(req, res, requestId));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  // Malformed HTTP (bad request line, oversized headers) is answered by Node itself.
  return new Promise((resolve, reject) => {
    const failed = (error: unknown): void => {
      try {
        rethrowSystemError(error);
      } catch (typed) {
        reject(typed);
      }
    };
    server.once('error', failed);
    server.listen(opts.port, opts.host, () => {
      server.off('error', failed);
      // After listening, a server error (e.g. too many open files on accept) is reported, never fatal.
      server.on('error', (error) => reportError(error, randomUUID(), 'server'));
      resolve(server);
    });
  });
};
