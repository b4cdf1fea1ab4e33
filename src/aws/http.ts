// A small HTTP(S) client over node:http/https for the lean AWS calls: lighter to load
// than the SDK clients (their import alone costs hundreds of ms of cold start).
import type { ClientRequest } from 'node:http';
import { LkpError } from '../errors.js';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

const MAX_ANSWER = 1024 * 1024;

/** Sends one request and reads the whole answer (bounded in size and time). */
export const httpRequest = async (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<HttpAnswer> => {
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const body = init.body ?? '';
  const failed = (error: unknown): LkpError =>
    error instanceof LkpError ? error : new LkpError('AwsError', `request to ${target.host} failed: ${(error as Error)?.message ?? 'error'}`, { cause: error });
  return new Promise((resolve, reject) => {
    let req: ClientRequest;
    try {
      // content-length is computed here, never taken from a caller (no smuggling).
      const headers = { ...init.headers, 'content-length': String(Buffer.byteLength(body)) };
      // An explicit servername (SNI; none for an IP literal) keeps node from deriving it from
      // the Host header, whose first IPv6 check compiles a large regex (~10 ms cold).
      const servername = /^[\d.]+$|:/.test(target.hostname) ? '' : target.hostname;
      req = mod.request(target, { method: init.method, headers, servername, timeout: init.timeoutMs ?? 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER) req.destroy(new Error('answer too large'));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => reject(failed(error)));
      });
    } catch (error) {
      // Node refuses some header values synchronously: that is a bad request, not a crash.
      reject(new LkpError('BadRequest', `cannot send a request to ${target.host}: ${(error as NodeJS.ErrnoException).code ?? 'invalid request'}`, { cause: error }));
      return;
    }
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => reject(failed(error)));
    req.end(body);
  });
};
