import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { sendRaw, sleep, startHttpServer } from './http.js';

describe('startHttpServer', () => {
  it('records method, raw url, joined headers and body', async () => {
    const s = await startHttpServer(() => ({ status: 201, headers: { 'x-a': '1' }, body: 'ok' }));
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${s.url}/p%3Aa/b?x=1&x=2`, { method: 'POST', headers: [['X-Dup', 'a'], ['x-dup', 'b'], ['Host', 'sts.amazonaws.com']] as unknown as http.OutgoingHttpHeaders }, (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end('payload');
      });
      expect(res).toEqual({ status: 201, body: 'ok' });
      const r = s.requests[0];
      expect(r).toMatchObject({ method: 'POST', url: '/p%3Aa/b?x=1&x=2', path: '/p%3Aa/b', query: 'x=1&x=2' });
      expect(r?.headers['x-dup']).toBe('a,b');
      expect(r?.headers.host).toBe('sts.amazonaws.com');
      expect(r?.body.toString()).toBe('payload');
    } finally {
      await s.close();
    }
  });

  it('refuses bodies over the limit with 413', async () => {
    const s = await startHttpServer(() => ({ status: 200 }), { bodyLimit: 10 });
    try {
      const res = await sendRaw(s.url, { method: 'POST', url: '/', body: 'x'.repeat(11) }).catch((e: unknown) => e);
      if (!(res instanceof Error)) expect((res as { status: number }).status).toBe(413);
      expect(s.requests).toHaveLength(0);
      expect((await sendRaw(s.url, { method: 'POST', url: '/', body: 'x'.repeat(10) })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('turns a handler error into 500 and "destroy" into a dropped connection', async () => {
    let mode: 'throw' | 'destroy' = 'throw';
    const s = await startHttpServer(() => {
      if (mode === 'throw') throw new Error('bug in fake');
      return 'destroy';
    });
    try {
      const res = await sendRaw(s.url, { method: 'GET', url: '/' });
      expect(res.status).toBe(500);
      expect(res.body).toContain('bug in fake');
      mode = 'destroy';
      await expect(sendRaw(s.url, { method: 'GET', url: '/' })).rejects.toThrow(/socket hang up|ECONNRESET/);
    } finally {
      await s.close();
    }
  });

  it('close() returns promptly with a slow handler and keep-alive clients pending', async () => {
    const s = await startHttpServer(async (_req, { signal }) => {
      await sleep(10_000, signal);
      return { status: 200 };
    });
    const pending = sendRaw(s.url, { method: 'GET', url: '/', headers: { connection: 'keep-alive' } }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
