// `lkp signer serve`: the signer behind the Lambda Invoke HTTP API on loopback, so the
// real @aws-sdk/client-lambda (with AWS_ENDPOINT_URL_LAMBDA) reaches it unchanged.
// POST /2015-03-31/functions/{name}/invocations. A handler crash is answered as Lambda
// does: HTTP 200 with X-Amz-Function-Error: Unhandled.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { MAX_REQUEST_BYTES } from '../api/request.js';
import { LkpError } from '../errors.js';
import type { SignerHandler } from './handle.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** Function names (or ARNs) this server answers to; empty = any. */
  readonly functionNames?: readonly string[];
  readonly onError?: (error: unknown, requestId: string) => void;
}

const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

const lambdaError = (res: http.ServerResponse, status: number, type: string, message: string, requestId: string): void =>
  send(res, status, { Type: 'User', message }, { 'x-amzn-errortype': type, 'x-amzn-requestid': requestId });

/** Starts the server; resolves once listening. */
export const serveSigner = (handler: SignerHandler, opts: ServeOptions): Promise<http.Server> => {
  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    const match = INVOKE_PATH.exec((req.url ?? '').split('?')[0] as string);
    if (req.method !== 'POST' || !match) {
      lambdaError(res, 404, 'UnknownOperationException', 'only POST /2015-03-31/functions/{name}/invocations is served', requestId);
      req.resume();
      return;
    }
    const name = decodeURIComponent(match[1] as string);
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
    req.on('end', () => {
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
      handler(event, requestId, transportError).then(
        (answer) => send(res, 200, answer, { 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' }),
        (error: unknown) => {
          opts.onError?.(error, requestId);
          send(res, 200, { errorType: 'Error', errorMessage: `internal error (request ${requestId})` }, { 'x-amz-function-error': 'Unhandled', 'x-amzn-requestid': requestId });
        },
      );
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
};
