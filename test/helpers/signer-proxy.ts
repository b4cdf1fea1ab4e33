// A loopback stand-in in front of `lkp signer serve` (or in front of nothing): it answers
// chosen requests itself, as a throttled or refusing signer would (an ordinary v1 answer
// with an error code), and forwards the rest. It counts what it saw, by action.
import http from 'node:http';
import type net from 'node:net';
import { onCleanup } from './temp.js';

export type ProxyAnswer =
  /** Answer with this signer error code instead of forwarding. */
  | { readonly code: string }
  /** Answer with this body (a v1 answer of the proxy's making) instead of forwarding. */
  | { readonly body: Record<string, unknown> };

export interface SignerProxy {
  readonly url: string;
  readonly port: number;
  /** Actions seen, in order (`ca-keys`, `host-cert`, ...). */
  readonly actions: string[];
  close(): Promise<void>;
}

/**
 * Starts the proxy on 127.0.0.1:`port` (0 = any). `decide(action, n)` (n counts requests
 * from 1) returns an answer to give, or undefined to forward to `upstream`.
 */
export const startSignerProxy = async (opts: { upstream: string; port?: number; decide: (action: string, n: number) => ProxyAnswer | undefined }): Promise<SignerProxy> => {
  const actions: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let action = 'unknown';
      try {
        action = String((JSON.parse(body.toString('utf8')) as { action?: unknown }).action);
      } catch {
        // not JSON: forwarded as is
      }
      actions.push(action);
      const answer = opts.decide(action, actions.length);
      if (answer) {
        const requestId = `proxy-${actions.length}`;
        const text = JSON.stringify('body' in answer ? { version: 1, requestId, ...answer.body } : { version: 1, requestId, error: { code: answer.code, message: `the proxy answers ${answer.code}` } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      const up = new URL(opts.upstream);
      const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (answer2) => {
        res.writeHead(answer2.statusCode ?? 502, answer2.headers);
        answer2.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  onCleanup(close);
  return { url: `http://127.0.0.1:${port}`, port, actions, close };
};
