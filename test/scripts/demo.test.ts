// `npm run demo` as a person sees it when its output goes to a file or a pipe: plain text
// (no terminal escape codes), an audit summary without holes, and nothing left behind.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

describe('npm run demo', () => {
  it('ok/piped output is plain text; the audit summary has no undefined fields; its folder is removed', async () => {
    const tmp = tempDir('lkp-demo-tmp-');
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['scripts/demo.js'], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toContain('\x1b[');
    const summary = r.out.slice(r.out.indexOf('audit line per decision'));
    expect(summary).toMatch(/answered +ca-keys/);
    expect(summary).not.toContain('undefined');
    expect(readdirSync(tmp)).toEqual([]);
  });
});
