// The single-binary build (Node SEA from pkg.config.json): it builds offline and the
// binary does the main job on its own: `lkp host --join-token` into a sandbox.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
});
