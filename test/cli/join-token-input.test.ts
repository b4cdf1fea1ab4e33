// A join token need not pass through the command line (readable by every local user in
// /proc/PID/cmdline while lkp runs): standard input, a 0600 file or LKP_JOIN_TOKEN, and
// exactly one source at a time. Through the real CLI against a real `lkp signer serve`.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveJoinToken } from '../../src/cli/join-token-input.js';
import { makeLocalCa, type LocalCa } from '../helpers/local-ca.js';
import { lkp, startLocalSigner, type LocalSigner } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';
import { makeSandboxHost } from '../helpers/sandbox-host.js';
import { tempDir } from '../helpers/temp.js';

const none = { readStdin: async () => '', readFile: async () => ({ text: '', mode: 0o600 }) };

describe('join token input', () => {
  let ca: LocalCa;
  let signer: LocalSigner;
  const dir = tempDir('lkp-token-input-');
  const login = currentUser();

  beforeAll(async () => {
    ca = await makeLocalCa();
    signer = await startLocalSigner(ca.config);
  });
  afterAll(async () => signer?.stop());

  const host = async (args: string[], env: Record<string, string> = {}, input?: string) => {
    const sandbox = await makeSandboxHost();
    return lkp(['host', ...args, '--ssh-dir', sandbox.sshDir, '--users', login, '--no-reload', '--retry-for', '0'], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url, ...env }, ...(input !== undefined ? { input } : {}) });
  };

  it('ok/from standard input (--join-token -)', async () => {
    const r = await host(['--join-token', '-'], {}, `${ca.mint({ principals: ['stdin-box'] })}\n`);
    expect(r.code, r.stderr).toBe(0);
  });

  it('ok/from a 0600 file; fail/the same file readable by others', async () => {
    const file = path.join(dir, 'token');
    writeFileSync(file, ca.mint({ principals: ['file-box'] }));
    chmodSync(file, 0o644);
    const open = await host(['--join-token-file', file]);
    expect(open.code).toBe(20);
    expect(open.stderr).toContain(file);
    chmodSync(file, 0o600);
    const ok = await host(['--join-token-file', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toBe('');
  });

  it('ok/from LKP_JOIN_TOKEN; fail/two sources at once is a UsageError', async () => {
    const token = ca.mint({ principals: ['env-box'] });
    const both = await host(['--join-token', token], { LKP_JOIN_TOKEN: token });
    expect(both.code).toBe(21);
    const ok = await host([], { LKP_JOIN_TOKEN: token });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('fail/lkp ssh cert without any token source is a UsageError naming the safe ways', async () => {
    const r = await lkp(['ssh', 'cert', '--target', 'web-1', '--user', login], { env: { AWS_ENDPOINT_URL_LAMBDA: signer.url, LKP_HOME: tempDir('lkp-home-') } });
    expect(r.code).toBe(21);
    expect(r.stderr).toMatch(/--join-token-file/);
  });

  it.each([
    ['empty standard input', { flag: '-', ...none }],
    ['two words on standard input', { flag: '-', ...none, readStdin: async () => 'a b' }],
    ['an empty LKP_JOIN_TOKEN with no flag', { env: '', ...none }],
  ])('pure: %s', async (name, sources) => {
    if (name.startsWith('an empty')) await expect(resolveJoinToken(sources)).resolves.toBeUndefined();
    else await expect(resolveJoinToken(sources)).rejects.toMatchObject({ code: 'UsageError' });
  });
});
