// The KRL gate every install goes through: what ssh-keygen itself loads passes, anything else
// (garbage, a truncated KRL, no ssh-keygen to ask) is refused and leaves the installed file
// alone. ssh-keygen checks the candidate file itself (the temp file then renamed into place),
// run directly: no shell, no cat.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { TEMP_NAME } from '../../src/fs/write-atomic.js';
import { checkKrlFile, emptyKrl, installKrl } from '../../src/krl/check-krl.js';
import { encodeKrl } from '../../src/ssh/krl.js';
import { processRunner, type CommandRunner } from '../../src/sshd/runner.js';
import { genKey, tempDir } from '../helpers/openssh.js';

const run = promisify(execFile);

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (error: unknown) => (error instanceof LkpError ? error.code : `not LkpError: ${String(error)}`),
  );

/** A KRL made by ssh-keygen -k: serial 42 of a CA. */
const sshKeygenKrl = async (dir: string): Promise<Buffer> => {
  const ca = await genKey(dir, 'ca');
  writeFileSync(path.join(dir, 'spec'), 'serial: 42\n');
  await run('ssh-keygen', ['-k', '-f', path.join(dir, 'k.krl'), '-s', `${ca}.pub`, path.join(dir, 'spec')]);
  return readFileSync(path.join(dir, 'k.krl'));
};

/** Where ssh-keygen lives (an absolute path, so a test can take PATH away). */
const sshKeygenPath = async (): Promise<string> => (await run('sh', ['-c', 'command -v ssh-keygen'])).stdout.trim();

describe('checkKrlFile / installKrl', () => {
  it('ok/a KRL ssh-keygen made, and lkp\'s empty one, install; the header is read', async () => {
    const dir = tempDir('lkp-krl-');
    const made = await sshKeygenKrl(dir);
    const target = path.join(dir, 'revoked_keys');
    expect((await installKrl(target, made)).generatedAt).toBeGreaterThan(0);
    await checkKrlFile(target);
    const empty = emptyKrl(new Date(1_800_000_000_000));
    expect((await installKrl(target, empty)).generatedAt).toBe(1_800_000_000);
    expect(readFileSync(target).equals(empty)).toBe(true);
    await run('ssh-keygen', ['-Q', '-l', '-f', target]);
  });

  it('fail/garbage, a truncated KRL and one with trailing bytes are KeyInvalid, and leave the installed file and no temp file', async () => {
    const dir = tempDir('lkp-krl-');
    const made = await sshKeygenKrl(dir);
    const target = path.join(dir, 'revoked_keys');
    await installKrl(target, made);
    for (const bad of [Buffer.from('not a KRL'), made.subarray(0, made.length - 3), Buffer.concat([made, Buffer.from([1, 2, 3])])]) {
      expect(await codeOf(installKrl(target, bad))).toBe('KeyInvalid');
      expect(readFileSync(target).equals(made)).toBe(true);
    }
    const garbage = path.join(dir, 'garbage');
    writeFileSync(garbage, 'SSHKRL\n\0 broken');
    expect(await codeOf(checkKrlFile(garbage))).toBe('KeyInvalid');
    expect(readdirSync(dir).filter((n) => TEMP_NAME.test(n))).toEqual([]);
  });

  it('fail/without ssh-keygen to ask, nothing passes (FileSystem), and a bad candidate never replaces the installed file', async () => {
    const dir = tempDir('lkp-krl-');
    const made = await sshKeygenKrl(dir);
    const target = path.join(dir, 'revoked_keys');
    expect(await codeOf(installKrl(target, made, { sshKeygen: path.join(dir, 'no-such-ssh-keygen') }))).toBe('FileSystem');
    expect(readdirSync(dir)).not.toContain('revoked_keys');
    await installKrl(target, made);
    expect(await codeOf(installKrl(target, Buffer.from('SSHKRL\n\0 broken')))).toBe('KeyInvalid');
    expect(readFileSync(target).equals(made)).toBe(true);
  });

  it('ok/ssh-keygen -Q -l -f reads the candidate itself: the complete temp file beside the target, which is then renamed into place', async () => {
    const dir = tempDir('lkp-krl-');
    const made = await sshKeygenKrl(dir);
    const target = path.join(dir, 'lkp', 'revoked_keys');
    mkdirSync(path.dirname(target));
    const seen: Array<{ file: string; args: readonly string[]; bytes: Buffer }> = [];
    const recording: CommandRunner = async (file, args) => {
      const candidate = args[args.length - 1] as string;
      seen.push({ file, args, bytes: readFileSync(candidate) });
      return processRunner(file, args);
    };
    await installKrl(target, made, { run: recording });
    expect(seen).toHaveLength(1);
    const [call] = seen;
    expect(call?.file).toBe('ssh-keygen');
    expect(call?.args.slice(0, 3)).toEqual(['-Q', '-l', '-f']);
    const candidate = call?.args[3] as string;
    expect(path.dirname(candidate)).toBe(path.dirname(target));
    expect(TEMP_NAME.test(path.basename(candidate))).toBe(true);
    expect(call?.bytes.equals(made)).toBe(true);
    expect(readdirSync(path.dirname(target))).toEqual(['revoked_keys']); // renamed, not copied
  });

  it('ok/the check needs neither a shell nor cat: it passes with an empty PATH', async () => {
    const dir = tempDir('lkp-krl-');
    const made = await sshKeygenKrl(dir);
    const sshKeygen = await sshKeygenPath();
    const target = path.join(dir, 'revoked_keys');
    const saved = process.env.PATH;
    process.env.PATH = path.join(dir, 'empty-path');
    try {
      await installKrl(target, made, { sshKeygen });
      expect(await codeOf(installKrl(target, Buffer.from('not a KRL'), { sshKeygen }))).toBe('KeyInvalid');
    } finally {
      process.env.PATH = saved;
    }
    expect(readFileSync(target).equals(made)).toBe(true);
  });

  it('ok/a large KRL whose ssh-keygen -Q -l listing is tens of MB installs: the listing is discarded, only the exit code counts', async () => {
    const dir = tempDir('lkp-krl-');
    // 600,000 sparse serials: a serial list (8 bytes each) that ssh-keygen lists one line a serial (>8 MB).
    const serials: bigint[] = [];
    for (let s = 100_000_000n; serials.length < 600_000; s += 100n) serials.push(s);
    const big = encodeKrl({ version: 1n, generatedAt: 1_800_000_000, certificates: [{ caKey: null, serials, keyIds: [] }], sha256Fingerprints: [] });
    expect(big.length).toBeLessThan(6 * 1024 * 1024);
    const target = path.join(dir, 'revoked_keys');
    await installKrl(target, big);
    expect(readFileSync(target).equals(big)).toBe(true);
  }, 60_000);
});
