// A small HTTP(S) client over node:http/https for the one call no SDK client can make: the
// signer forwarding a caller's presigned STS request (sts-forward.ts). Also the time limit
// and the progress notices every AWS call shares. Every request is bounded in time
// (LKP_HTTP_TIMEOUT_MS, default 10 s, for the whole exchange, not only idle gaps).
import type { ClientRequest } from 'node:http';
import { LkpError } from '../errors.js';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

const MAX_ANSWER = 1024 * 1024;
const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
const MAX_HTTP_TIMEOUT_MS = 600_000;

/** The per-request time limit: LKP_HTTP_TIMEOUT_MS (milliseconds) or 10 s. */
export const httpTimeoutMs = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env.LKP_HTTP_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_HTTP_TIMEOUT_MS;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_HTTP_TIMEOUT_MS) {
    throw new LkpError('ConfigInvalid', `LKP_HTTP_TIMEOUT_MS=${JSON.stringify(raw.slice(0, 20))} must be milliseconds, 1..${MAX_HTTP_TIMEOUT_MS}`);
  }
  return Number(raw);
};

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** Where progress lines go; stderr unless replaced (tests, quiet callers). */
let notice: (line: string) => void = (line) => void process.stderr.write(`lkp: ${line}\n`);
/** Says on stderr (or where setWaitNotice points) what lkp is waiting for. */
export const waitNotice = (line: string): void => notice(line);
export const setWaitNotice = (fn: (line: string) => void): void => {
  notice = fn;
};

/** Sends one request and reads the whole answer (bounded in size and time). */
export const httpRequest = async (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<HttpAnswer> => {
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const body = init.body ?? '';
  const timeoutMs = init.timeoutMs ?? httpTimeoutMs();
  let timedOut = false;
  const failed = (error: unknown): LkpError => {
    if (error instanceof LkpError) return error;
    if (timedOut) return new LkpError('AwsError', `request to ${target.host} did not answer in ${seconds(timeoutMs)}`, { cause: error });
    return new LkpError('AwsError', `request to ${target.host} failed: ${(error as Error)?.message ?? 'error'}`, { cause: error });
  };
  return new Promise((resolve, reject) => {
    let req: ClientRequest;
    const timers: NodeJS.Timeout[] = [];
    const done = (): void => timers.forEach((t) => clearTimeout(t));
    try {
      // content-length is computed here, never taken from a caller (no smuggling).
      const headers = { ...init.headers, 'content-length': String(Buffer.byteLength(body)) };
      // An explicit servername (SNI; none for an IP literal) keeps node from deriving it from
      // the Host header, whose first IPv6 check compiles a large regex (~10 ms cold).
      const servername = /^[\d.]+$|:/.test(target.hostname) ? '' : target.hostname;
      req = mod.request(target, { method: init.method, headers, servername }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER) req.destroy(new Error('answer too large'));
          else chunks.push(c);
        });
        res.on('end', () => {
          done();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => {
          done();
          reject(failed(error));
        });
      });
    } catch (error) {
      // Node refuses some header values synchronously: that is a bad request, not a crash.
      reject(new LkpError('BadRequest', `cannot send a request to ${target.host}: ${(error as NodeJS.ErrnoException).code ?? 'invalid request'}`, { cause: error }));
      return;
    }
    // One deadline for the whole exchange: a peer that trickles bytes cannot stretch it.
    timers.push(
      setTimeout(() => {
        timedOut = true;
        req.destroy(new Error('timed out'));
      }, timeoutMs),
    );
    req.on('error', (error) => {
      done();
      reject(failed(error));
    });
    req.end(body);
  });
};
