// `lkp ssh config --install` from a user's side: a home folder with a space in its name,
// lkp installed on PATH. ssh must parse the installed config, and the Match exec and
// ProxyCommand lines must run the installed lkp, quoted, not this checkout's node.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LKP_BIN, lkp } from '../helpers/lkp.js';
import { tempDir } from '../helpers/temp.js';

const install = async (withPath: boolean) => {
  const home = tempDir('lkp-user home-');
  const binDir = path.join(home, 'bin dir');
  mkdirSync(binDir);
  symlinkSync(LKP_BIN, path.join(binDir, 'lkp'));
  const env = { HOME: home, LKP_HOME: '', PATH: withPath ? `${binDir}${path.delimiter}${process.env.PATH ?? ''}` : (process.env.PATH ?? '') };
  const r = await lkp(['ssh', 'config', '--install'], { env });
  const file = path.join(home, '.ssh', 'config');
  return { home, binDir, r, file, text: r.code === 0 ? readFileSync(file, 'utf8') : '' };
};

const sshG = (file: string, host: string) => spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('lkp ssh config --install', () => {
  it('ok/a home with a space: ssh parses the installed block; Match exec and ProxyCommand run the installed lkp, quoted', async () => {
    const { home, binDir, r, file, text } = await install(true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lkpCmd = `'${path.join(binDir, 'lkp')}'`;
    expect(text).toContain(`exec "${lkpCmd} ssh prepare --host '%h' --user '%r'"`);
    expect(text).toMatch(new RegExp(`^    ProxyCommand ${lkpCmd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ssh proxy --host %h --port %p$`, 'm'));
    expect(text).not.toContain(process.execPath);
    const parsed = sshG(file, 'example.com');
    expect(parsed.stderr).not.toMatch(/line \d+/);
    expect(parsed.status).toBe(0);
    expect(text).toContain(`IdentityFile "${path.join(home, '.lkp', 'id_ed25519')}"`);
  });

  it('ok/without lkp on PATH it names node and the script, both quoted, and says to put lkp on PATH', async () => {
    const { r, file, text } = await install(false);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/not on PATH/);
    expect(text).toContain(`exec "'${process.execPath}' '${LKP_BIN}' ssh prepare`);
    expect(sshG(file, 'example.com').status).toBe(0);
  });

  it('ok/a symlinked ~/.ssh/config (a dotfile manager) stays a symlink; the block goes into its target', async () => {
    const home = tempDir('lkp-dotfiles-');
    mkdirSync(path.join(home, '.ssh'));
    mkdirSync(path.join(home, 'dotfiles'));
    const target = path.join(home, 'dotfiles', 'sshconfig');
    writeFileSync(target, 'Host bastion\n    User me\n');
    symlinkSync('../dotfiles/sshconfig', path.join(home, '.ssh', 'config'));
    const r = await lkp(['ssh', 'config', '--install'], { env: { HOME: home, LKP_HOME: '' } });
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(path.join(home, '.ssh', 'config')).isSymbolicLink()).toBe(true);
    const text = readFileSync(target, 'utf8');
    expect(text).toContain('Host bastion');
    expect(text).toMatch(/ssh prepare --host/);
  });
});
