// Fuzz `lkp signer serve` (the real CLI process) with malformed HTTP over raw sockets:
// paths, percent-encoding, methods, header names and sizes, bodies, slow, half-closed and
// vanishing clients. Seeded, so a failure replays (LKP_FUZZ_SEED=N). The process must never
// exit, every request gets an answer or a closed connection, no request is a crash, and
// a valid request through the real Lambda client succeeds afterwards.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeJson, lambdaClient } from '../helpers/lambda-client.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { invokeRequest, rawHttp, type RawOptions } from '../helpers/raw-http.js';

const SEED = Number(process.env.LKP_FUZZ_SEED ?? 20261201);
const CASES = 600;
const CONCURRENCY = 12;

/** mulberry32: a small, fast, seedable PRNG. */
const prng = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

interface FuzzCase {
  readonly kind: string;
  readonly pieces: Array<string | Buffer>;
  readonly opts: RawOptions;
}

const makeCases = (seed: number, count: number): FuzzCase[] => {
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  const ascii = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(32 + int(95))).join('');

  const names = ['%', '%%', '%E0%A4%A', '%ZZ', 'a%2', '%ed%a0%80', '%00', '%C0%AF', 'lkp-signer', 'arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Alkp-signer', '..', '%2e%2e', 'x'.repeat(3000), '%25'.repeat(500), '\u00e9', 'a b'];
  const paths = () =>
    pick([
      `/2015-03-31/functions/${pick(names)}/invocations`,
      `/2015-03-31/functions/${pick(names)}/invocations?${ascii(int(40)).replace(/[ #]/g, '')}`,
      `/2015-03-31/functions//invocations`,
      `/2015-03-31/functions/${pick(names)}`,
      `/${ascii(int(60)).replace(/[ #?]/g, '%')}`,
      '*',
      `http://127.0.0.1/2015-03-31/functions/${pick(names)}/invocations`,
      `/${'a/'.repeat(int(2000))}`,
    ]);
  const methods = ['POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'POSTX', 'P0ST', 'post', '', 'G\u00c9T'];
  const jsonBodies = () =>
    pick([
      '',
      'null',
      '{',
      '{"version":1,"action":"ca-keys"',
      '{"version":1,"action":"ca-keys"}',
      '{"version":1,"action":"host-cert","identity":{"method":"join-token","token":"x"},"publicKeys":["ssh-ed25519 AAAA"]}',
      '{"version":"1","action":null}',
      `{"version":1,"action":"ca-keys","x":${'['.repeat(1 + int(8000))}${']'.repeat(0)}`,
      `{"version":1,"action":"ca-keys","x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      `{"version":1,"action":"ca-keys","x":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
      `"${'\\u0000'.repeat(int(2000))}"`,
      JSON.stringify({ version: 1, action: 'user-cert', identity: { method: 'aws', proof: { url: 'http://127.0.0.1:9/', method: 'POST', headers: { 'x-a': '\u0000' }, body: '' } } }),
      '1e999999',
      '[' + '1,'.repeat(20000) + '1]',
      bytes(int(2000)).toString('latin1'),
      'x'.repeat(40 * 1024),
      '\ufeff{"version":1,"action":"ca-keys"}',
    ]);

  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i += 1) {
    const kind = pick(['path', 'method', 'header-name', 'header-size', 'body', 'length', 'chunked', 'garbage', 'slow', 'abandon'] as const);
    const body = jsonBodies();
    const len = Buffer.byteLength(body, 'latin1');
    const head = (method: string, target: string, headers: string) => `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n`;
    // Half-close unless the request is complete, so nobody waits for the server's timeouts.
    const done: RawOptions = { halfClose: rand() < 0.5 };
    switch (kind) {
      case 'path':
        cases.push({ kind, pieces: [head('POST', paths(), `content-length: ${len}\r\n`), Buffer.from(body, 'latin1')], opts: done });
        break;
      case 'method':
        cases.push({ kind, pieces: [head(pick(methods), paths(), `content-length: ${len}\r\n`), Buffer.from(body, 'latin1')], opts: done });
        break;
      case 'header-name': {
        const bad = pick(['x y', 'x:y', '', '\u0000', 'x\u00ff', ascii(1 + int(30)), 'content-length', 'transfer-encoding', 'x-amz-invocation-type', 'x-amz-log-type']);
        cases.push({ kind, pieces: [head('POST', `/2015-03-31/functions/${pick(names)}/invocations`, `${bad}: ${ascii(int(50))}\r\ncontent-length: ${len}\r\n`), Buffer.from(body, 'latin1')], opts: { halfClose: true } });
        break;
      }
      case 'header-size': {
        const many = Array.from({ length: int(300) }, (_, k) => `x-h${k}: ${'v'.repeat(int(200))}\r\n`).join('');
        const huge = rand() < 0.5 ? `x-big: ${'b'.repeat(int(40_000))}\r\n` : '';
        cases.push({ kind, pieces: [head('POST', '/2015-03-31/functions/lkp-signer/invocations', `${many}${huge}content-length: ${len}\r\n`), Buffer.from(body, 'latin1')], opts: { halfClose: true } });
        break;
      }
      case 'body':
        cases.push({ kind, pieces: [invokeRequest(pick(names.slice(8, 10)), '').replace(/content-length: 0/, `content-length: ${len}`), Buffer.from(body, 'latin1')], opts: done });
        break;
      case 'length': {
        const claimed = pick([`${len + 1 + int(100)}`, `${Math.max(0, len - 1)}`, '-1', 'abc', `${len}, ${len + 1}`, '99999999999999999999', `${len}\r\ncontent-length: ${len + 5}`]);
        cases.push({ kind, pieces: [head('POST', '/2015-03-31/functions/lkp-signer/invocations', `content-length: ${claimed}\r\n`), Buffer.from(body, 'latin1')], opts: { halfClose: true } });
        break;
      }
      case 'chunked': {
        const chunks = pick([`${len.toString(16)}\r\n${body}\r\n0\r\n\r\n`, `zz\r\n${body}\r\n0\r\n\r\n`, `${(len + 10).toString(16)}\r\n${body}\r\n`, `ffffffffffffffff\r\nx\r\n`, `0\r\n\r\n`]);
        cases.push({ kind, pieces: [head('POST', '/2015-03-31/functions/lkp-signer/invocations', `transfer-encoding: ${pick(['chunked', 'gzip, chunked', 'chunked, chunked'])}\r\n`), Buffer.from(chunks, 'latin1')], opts: { halfClose: true } });
        break;
      }
      case 'garbage':
        cases.push({ kind, pieces: [bytes(1 + int(3000))], opts: { halfClose: true } });
        break;
      case 'slow': {
        // A valid-looking request dribbled out a few bytes at a time, then half-closed.
        const full = Buffer.from(invokeRequest('lkp-signer', body.slice(0, 200)), 'latin1');
        const pieces: Buffer[] = [];
        for (let at = 0; at < full.length; ) {
          const step = 1 + int(64);
          pieces.push(full.subarray(at, at + step));
          at += step;
        }
        cases.push({ kind, pieces: pieces.slice(0, 40), opts: { gapMs: 1 + int(3), halfClose: true } });
        break;
      }
      case 'abandon':
        cases.push({ kind, pieces: [head('POST', paths(), `content-length: ${len + 50}\r\n`), Buffer.from(body.slice(0, int(len + 1)), 'latin1')], opts: { abandon: true } });
        break;
    }
  }
  return cases;
};

describe('lkp signer serve under fuzz', () => {
  let ca: LocalCa;
  let signer: LocalSigner;

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
  });
  afterAll(async () => {
    await signer?.stop();
    if (ca) rmSync(path.dirname(ca.dir), { recursive: true, force: true });
  });

  it(`fail/${CASES} malformed requests (seed ${SEED}) never end the process, each is answered or closed`, { timeout: 50_000 }, async () => {
    const port = Number(new URL(signer.url).port);
    const cases = makeCases(SEED, CASES);
    const unanswered: string[] = [];
    const statuses = new Map<string, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const index = next;
        next += 1;
        const c = cases[index] as FuzzCase;
        const result = await rawHttp(port, c.pieces, { timeoutMs: 4_000, ...c.opts });
        const key = result.status === undefined ? 'closed' : String(result.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (!result.closed && result.status === undefined) unanswered.push(`#${index} ${c.kind}`);
        if (result.status !== undefined && result.status >= 500) unanswered.push(`#${index} ${c.kind} answered ${result.status}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(unanswered, `seed ${SEED}`).toEqual([]);
    // The cases reach the signer's own logic, not just Node's HTTP parser.
    expect(statuses.get('200') ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(20);
    expect(statuses.get('404') ?? 0).toBeGreaterThan(20);
    expect((statuses.get('400') ?? 0) + (statuses.get('431') ?? 0)).toBeGreaterThan(20);
    expect(signer.process.exitCode, signer.stderr()).toBeNull();
    expect(signer.stderr()).not.toMatch(/internal error/);
    // No request was a crash: every audit line is an answer or a denial.
    expect(signer.audit().filter((a) => a.outcome === 'error')).toEqual([]);
    const { body, functionError } = await invokeJson(lambdaClient(signer.url), { version: 1, action: 'ca-keys' });
    expect(functionError).toBeUndefined();
    expect(body.hostCaKeys).toHaveLength(1);
  });
});
