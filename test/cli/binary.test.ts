// The single-binary build (Node SEA from pkg.config.json): it builds offline and the
// binary does the main job on its own: `lkp host --join-token` into a sandbox.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeLocalCa } from '../helpers/local-ca.js';
import { startLocalSigner } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';

const BIN = path.resolve('build/bin/lkp');

describe('single binary', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build-binary.js'], { stdio: 'ignore' });
  }, 120_000);

  it('ok/starts, and --help has examples', () => {
    expect(execFileSync(BIN, ['--version']).toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // On a host it runs from anywhere (cloud-init: cwd /), with no package.json around.
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(execFileSync(BIN, ['--version'], { cwd: '/' }).toString().trim()).toBe(version);
    expect(execFileSync(BIN, ['host', '--help']).toString()).toContain('Examples:');
  });

  it('ok/runs lkp host --join-token against a local signer', async () => {
    const ca = await makeLocalCa();
    const signer = await startLocalSigner(ca.config);
    try {
      const host = await makeSandboxHost();
      const token = ca.mint({ principals: ['bin-host'] });
      const r = spawnSync(BIN, ['host', '--join-token', token, '--ssh-dir', host.sshDir, '--users', currentUser(), '--no-reload'], { encoding: 'utf8', env: { ...process.env, AWS_ENDPOINT_URL_LAMBDA: signer.url } });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(readFileSync(host.sshdConfig, 'utf8')).toContain('# BEGIN lkp managed block');
    } finally {
      await signer.stop();
    }
  });

  it('ok/the CLI runs from its code cache (V8 accepts the one made at build time)', () => {
    const r = spawnSync(BIN, ['ssh', 'list', '--json'], { encoding: 'utf8', env: { ...process.env, LKP_DEBUG: '1', LKP_HOME: '/nonexistent-lkp-home' } });
    expect(r.stderr).not.toMatch(/code cache was rejected/);
    expect(r.status).toBe(0);
  });

  it('ok/lkp.gz is the binary compressed, and lkp.sha256 gives both checksums', () => {
    const raw = readFileSync(BIN);
    const gz = readFileSync(`${BIN}.gz`);
    expect(gz.length).toBeLessThan(raw.length / 2);
    expect(gunzipSync(gz).equals(raw)).toBe(true);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(readFileSync(`${BIN}.sha256`, 'utf8')).toBe(`${sha(raw)}  lkp\n${sha(gz)}  lkp.gz\n`);
  });
});
