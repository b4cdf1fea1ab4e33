// Shared plumbing for the loopback AWS fakes: one node:http server on 127.0.0.1:0 that
// reads (bounded) bodies, records every request and closes without waiting for keep-alive.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

// One request as the fake saw it on the wire; the input of verifySigV4.
export interface RecordedRequest {
  method: string;
  /** Request target exactly as sent: raw path plus `?query` (no decoding). */
  url: string;
  /** Raw path, before `?`. */
  path: string;
  /** Raw query string without the `?` ('' when none). */
  query: string;
  /** Lower-case names; a header sent several times is joined with ',' (as SigV4 canonicalises). */
  headers: Record<string, string>;
  body: Buffer;
  receivedAt: Date;
}

// What a fake handler answers; 'destroy' drops the connection without a response.
export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

// Context handed to a handler: aborted when the client goes away or the fake closes.
export interface HandlerContext {
  signal: AbortSignal;
}

// A fake's request handler: answer, or drop the connection.
export type FakeHandler = (
  req: RecordedRequest,
  ctx: HandlerContext,
) => FakeResponse | 'destroy' | Promise<FakeResponse | 'destroy'>;

// A running loopback server: its base URL, the request log and a clean close.
export interface FakeHttpServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

// Limits and switches of startHttpServer.
export interface StartHttpServerOptions {
  /** Largest accepted body in bytes; larger bodies get 413 and the connection is closed. */
  bodyLimit?: number;
  /** Add a fresh x-amzn-requestid to every answer (AWS services do, IMDS does not). Default true. */
  requestIdHeader?: boolean;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

// Joins repeated headers with ',' and lower-cases names (node's own join uses ', ').
export const headersFromRaw = (raw: string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    out[name] = Object.hasOwn(out, name) ? `${out[name]},${value}` : value;
  }
  return out;
};

// Starts the server; the handler's answer is written as-is, a thrown error becomes a 500.
export const startHttpServer = async (
  handler: FakeHandler,
  options: StartHttpServerOptions = {},
): Promise<FakeHttpServer> => {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > bodyLimit) {
        tooLarge = true;
        res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
        res.end('request body too large');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      const rawUrl = req.url ?? '/';
      const q = rawUrl.indexOf('?');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url: rawUrl,
        path: q === -1 ? rawUrl : rawUrl.slice(0, q),
        query: q === -1 ? '' : rawUrl.slice(q + 1),
        headers: headersFromRaw(req.rawHeaders),
        body: Buffer.concat(chunks),
        receivedAt: new Date(),
      };
      requests.push(recorded);
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      Promise.resolve()
        .then(() => handler(recorded, { signal }))
        .then(
          (answer) => {
            if (res.destroyed) return;
            if (answer === 'destroy') {
              req.socket.destroy();
              return;
            }
            const body = answer.body ?? '';
            res.writeHead(answer.status, {
              ...(options.requestIdHeader === false ? {} : { 'x-amzn-requestid': randomUUID() }),
              ...answer.headers,
              'content-length': String(Buffer.byteLength(body)),
            });
            res.end(body);
          },
          (err: unknown) => {
            if (res.destroyed) return;
            const message = err instanceof Error ? err.message : String(err);
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`fake handler failed: ${message}`);
          },
        );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
};

// Waits ms, or rejects as soon as the signal aborts (so a slow fake never outlives close()).
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

// Escapes text for XML element content and attribute values.
export const xmlEscape = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

// Parses an x-www-form-urlencoded body (query protocol) into a map; last value wins.
export const parseForm = (text: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(text)) out.set(k, v);
  return out;
};

// A request for sendRaw, sent byte-for-byte as given.
export interface RawRequest {
  method: string;
  /** Path plus optional query, sent verbatim. */
  url: string;
  /** Sent as given, including a Host that names another server. */
  headers?: Record<string, string>;
  body?: string | Buffer;
}

// What sendRaw got back (headers lower-cased).
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// Sends one request with node:http to a fake, keeping every header (Host too) verbatim:
// how tests replay or forward a pre-signed request.
export const sendRaw = (baseUrl: string, request: RawRequest): Promise<RawResponse> =>
  new Promise<RawResponse>((resolve, reject) => {
    const target = new URL(baseUrl);
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: headersFromRaw(res.rawHeaders), body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
