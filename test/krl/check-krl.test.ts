// The KRL gate every install goes through: what ssh-keygen itself loads passes, anything else
// (garbage, a truncated KRL, no ssh-keygen to ask) is refused and leaves the installed file alone.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { checkKrl, emptyKrl, installKrl } from '../../src/krl/check-krl.js';
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

describe('checkKrl / installKrl', () => {
  it('ok/a KRL ssh-keygen made, and lkp\'s empty one, pass; the header is read', async () => {
    const dir = tempDir('lkp-krl-');
    const made = await sshKeygenKrl(dir);
    expect((await checkKrl(made)).generatedAt).toBeGreaterThan(0);
    const empty = emptyKrl(new Date(1_800_000_000_000));
    expect((await checkKrl(empty)).generatedAt).toBe(1_800_000_000);
    writeFileSync(path.join(dir, 'empty.krl'), empty);
    await run('ssh-keygen', ['-Q', '-l', '-f', path.join(dir, 'empty.krl')]);
  });

  it('fail/garbage, a truncated KRL and one with trailing bytes are KeyInvalid', async () => {
    const made = await sshKeygenKrl(tempDir('lkp-krl-'));
    expect(await codeOf(checkKrl(Buffer.from('not a KRL')))).toBe('KeyInvalid');
    expect(await codeOf(checkKrl(made.subarray(0, made.length - 3)))).toBe('KeyInvalid');
    expect(await codeOf(checkKrl(Buffer.concat([made, Buffer.from([1, 2, 3])])))).toBe('KeyInvalid');
  });

  it('fail/without ssh-keygen to ask, nothing passes (FileSystem), and a bad candidate never replaces the installed file', async () => {
    const dir = tempDir('lkp-krl-');
    const made = await sshKeygenKrl(dir);
    expect(await codeOf(checkKrl(made, { sshKeygen: path.join(dir, 'no-such-ssh-keygen') }))).toBe('FileSystem');
    const target = path.join(dir, 'revoked_keys');
    await installKrl(target, made);
    expect(await codeOf(installKrl(target, Buffer.from('SSHKRL\n\0 broken')))).toBe('KeyInvalid');
    expect(readFileSync(target).equals(made)).toBe(true);
  });
});
