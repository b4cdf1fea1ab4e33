// sshd -t verdicts: stubbed outputs for each rule, and the real OpenSSH 9.2 strings.
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../src/sshd/runner.js';
import { assertSshdValid, interpretSshdTest, validateSshdConfig } from '../../src/sshd/validate.js';
import { makeTempDir, makeTestKeys, SSHD, type TestKeys } from './fixtures.js';

const result = (exitCode: number | null, stderr: string, notFound = false) => ({ exitCode, stdout: '', stderr, notFound });

describe('interpretSshdTest', () => {
  const failing: Record<string, ReturnType<typeof result>> = {
    'fail/missing host certificate (exit 0)': result(0, 'Could not load host certificate "/x/cert.pub": No such file or directory'),
    'fail/plain key as certificate (exit 0)': result(0, 'Certificate file is not a certificate: /x/key.pub'),
    'fail/certificate for another key (exit 0)': result(0, 'No matching private key for certificate: /x/cert.pub'),
    'fail/bad option': result(255, '/x/sshd_config: line 2: Bad configuration option: Bogus\n/x/sshd_config: terminating, 1 bad configuration options'),
    'fail/no host keys': result(1, 'Unable to load host key: /x/missing\nsshd: no hostkeys available -- exiting.'),
    'fail/non-zero exit without output': result(1, ''),
    'fail/killed': result(null, ''),
    'fail/sshd missing': result(null, '', true),
  };
  for (const [name, r] of Object.entries(failing)) {
    it(name, () => {
      const verdict = interpretSshdTest(r);
      expect(verdict.ok).toBe(false);
      expect(verdict.problems.length).toBeGreaterThan(0);
    });
  }

  it('ok/clean', () => {
    expect(interpretSshdTest(result(0, ''))).toEqual({ ok: true, exitCode: 0, output: '', problems: [], warnings: [] });
  });

  it('ok/warnings do not fail: one missing key of several, deprecated options', () => {
    const verdict = interpretSshdTest(result(0, 'Unable to load host key: /x/ssh_host_dsa_key\n/x/sshd_config line 5: Deprecated option UsePrivilegeSeparation'));
    expect(verdict.ok).toBe(true);
    expect(verdict.warnings).toHaveLength(2);
  });

  it('ok/the problem lines are sshd\'s own', () => {
    const verdict = interpretSshdTest(result(0, 'debug\nCould not load host certificate "/c": No such file or directory\n'));
    expect(verdict.problems).toEqual(['Could not load host certificate "/c": No such file or directory']);
    expect(() => assertSshdValid(verdict, 'the candidate')).toThrow(/Could not load host certificate/);
  });

  it('ok/runs sshd -t -f CONFIG with extra args as argv, no shell', async () => {
    const calls: (readonly string[])[] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      return result(0, '');
    };
    await validateSshdConfig({ configPath: '/etc/ssh/sshd config; rm -rf /', extraArgs: ['-o', 'StrictModes=no'], run, sshdPath: '/opt/sshd' });
    expect(calls).toEqual([['/opt/sshd', '-t', '-f', '/etc/ssh/sshd config; rm -rf /', '-o', 'StrictModes=no']]);
  });
});

describe('validateSshdConfig with the real sshd', () => {
  let dir = '';
  let keys: TestKeys;
  beforeAll(async () => {
    dir = await makeTempDir('lkp-sshd-validate-');
    keys = await makeTestKeys(join(dir, 'keys'));
  });
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const check = async (name: string, body: string) => {
    const path = join(dir, name);
    await writeFile(path, body);
    return validateSshdConfig({ configPath: path, sshdPath: SSHD });
  };

  it('ok/a certificate for the host key', async () => {
    const v = await check('ok', `HostKey ${keys.dir}/ssh_host_ed25519_key\nHostCertificate ${keys.dir}/ssh_host_ed25519_key-cert.pub\n`);
    expect(v).toMatchObject({ ok: true, exitCode: 0, problems: [] });
  });

  it('fail/missing certificate: exit 0 but refused', async () => {
    const v = await check('missing', `HostKey ${keys.dir}/ssh_host_ed25519_key\nHostCertificate ${dir}/nope-cert.pub\n`);
    expect(v.exitCode).toBe(0);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([`Could not load host certificate "${dir}/nope-cert.pub": No such file or directory`]);
  });

  it('fail/certificate of another key: exit 0 but refused', async () => {
    const v = await check('other', `HostKey ${keys.dir}/ssh_host_ecdsa_key\nHostCertificate ${keys.dir}/ssh_host_ed25519_key-cert.pub\n`);
    expect(v.exitCode).toBe(0);
    expect(v.problems).toEqual([`No matching private key for certificate: ${keys.dir}/ssh_host_ed25519_key-cert.pub`]);
  });

  it('fail/a public key given as certificate: exit 0 but refused', async () => {
    const v = await check('plain', `HostKey ${keys.dir}/ssh_host_ed25519_key\nHostCertificate ${keys.dir}/ssh_host_ed25519_key.pub\n`);
    expect(v.exitCode).toBe(0);
    expect(v.problems).toEqual([`Certificate file is not a certificate: ${keys.dir}/ssh_host_ed25519_key.pub`]);
  });

  it('fail/unknown keyword', async () => {
    const v = await check('bogus', `HostKey ${keys.dir}/ssh_host_ed25519_key\nBogus yes\n`);
    expect(v.ok).toBe(false);
    expect(v.exitCode).toBe(255);
    expect(v.problems[0]).toMatch(/line 2: Bad configuration option: Bogus/);
  });

  it('fail/directive after Match that is not allowed there', async () => {
    const v = await check('match', `HostKey ${keys.dir}/ssh_host_ed25519_key\nMatch User x\nHostCertificate ${keys.dir}/ssh_host_ed25519_key-cert.pub\n`);
    expect(v.ok).toBe(false);
    expect(v.output).toMatch(/not allowed within a Match block/);
  });

  it('ok/one unreadable host key among several is a warning', async () => {
    const v = await check('warn', `HostKey ${keys.dir}/ssh_host_ed25519_key\nHostKey ${dir}/no_such_key\n`);
    expect(v.ok).toBe(true);
    expect(v.warnings).toEqual([`Unable to load host key: ${dir}/no_such_key`]);
  });

  it('fail/sshd binary missing', async () => {
    const v = await validateSshdConfig({ configPath: join(dir, 'ok'), sshdPath: join(dir, 'no-sshd') });
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/not found/);
  });
});
