// The lkp home from another local user's side: when they can write it (a group-writable
// home, a folder they own, a symlink they planted), lkp refuses to run rather than let ssh
// trust what they put there (known_hosts, cached certificates, per-host configs). And the
// per-host config ssh Includes runs no program from the home: its expiry test is inline.
import { existsSync, chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { ARN, ID, cacheCertificate, offlineEnv } from '../helpers/cached-cert.js';
import { lkp } from '../helpers/lkp.js';
import { currentUser } from '../helpers/openssh.js';
import { tempDir } from '../helpers/temp.js';

const HOME_UNSAFE = ERROR_CODES.HomeUnsafe;
const OTHER_UID = 65534; // nobody
const login = currentUser();

describe('an lkp home another user can write', () => {
  let dir: string;
  let home: string;
  let bin: string;
  let ran: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    dir = tempDir('lkp-home-perm-');
    home = path.join(dir, 'home');
    bin = path.join(dir, 'bin');
    ran = path.join(dir, 'ssh-ran');
    mkdirSync(bin);
    // A stand-in ssh: records that it ran.
    writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\ntouch '${ran}'\nexit 7\n`, { mode: 0o755 });
    await cacheCertificate(dir, home, login, { addressMode: 'fixed:127.0.0.1' });
    env = { ...offlineEnv(dir, home), PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  });

  const exec = () => lkp(['ssh', 'exec', '--instance-arn', ARN, '--user', login, '--address', '127.0.0.1', '--', 'true'], { env });

  it('ok/a private home: the cached certificate is used (ssh runs)', async () => {
    const r = await exec();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(7);
    expect(existsSync(ran)).toBe(true);
  });

  it('fail/a group-writable home, or a cache folder another user owns or swapped for a symlink: lkp ssh exec refuses before ssh runs', async () => {
    chmodSync(home, 0o775);
    const groupWritable = await exec();
    expect(groupWritable.stderr).toMatch(/^lkp: HomeUnsafe: /);
    expect(groupWritable.code).toBe(HOME_UNSAFE);
    chmodSync(home, 0o700);

    const cache = path.join(home, 'cache');
    chownSync(cache, OTHER_UID, OTHER_UID);
    const theirs = await exec();
    expect(theirs.code).toBe(HOME_UNSAFE);
    chownSync(cache, process.getuid?.() ?? 0, process.getgid?.() ?? 0);

    // Their own folder (with entries they wrote) put in place of the cache.
    renameSync(cache, path.join(dir, 'their-cache'));
    symlinkSync(path.join(dir, 'their-cache'), cache);
    const swapped = await exec();
    expect(swapped.code).toBe(HOME_UNSAFE);
    expect(existsSync(ran)).toBe(false);
  });

  it('fail/lkp ssh config --install refuses to make ssh Include files from a world-writable home', async () => {
    chmodSync(home, 0o777);
    const sshConfig = path.join(dir, 'ssh_config');
    const r = await lkp(['ssh', 'config', '--install', '--ssh-config', sshConfig], { env: { ...env, HOME: dir } });
    expect(r.stderr).toMatch(/^lkp: HomeUnsafe: /m);
    expect(r.code).toBe(HOME_UNSAFE);
    expect(existsSync(sshConfig)).toBe(false);
  });

  it("fail/lkp ssh prepare writes nothing into an instance's folder another user planted (a symlink to theirs)", async () => {
    const theirs = path.join(dir, 'theirs');
    mkdirSync(theirs);
    mkdirSync(path.join(home, 'hosts'), { mode: 0o700 });
    symlinkSync(theirs, path.join(home, 'hosts', ID));
    const r = await lkp(['ssh', 'prepare', '--host', ID, '--user', login], { env });
    expect(r.stderr).toMatch(/^lkp: HomeUnsafe: /);
    expect(r.code).toBe(HOME_UNSAFE);
    expect(readdirSync(theirs)).toEqual([]);
    // Nor does the ProxyCommand dial the address (or route) they wrote there.
    writeFileSync(path.join(theirs, 'address'), '127.0.0.1\n');
    const proxy = await lkp(['ssh', 'proxy', '--host', ID, '--port', '22'], { env, input: '' });
    expect(proxy.code).toBe(HOME_UNSAFE);
  });
});

describe('the per-instance config ssh Includes', () => {
  it('ok/runs no program from the home: an executable planted beside it is never run, and the config applies while the certificate is good', async () => {
    const dir = tempDir('lkp-home-guard-');
    const home = path.join(dir, 'home');
    await cacheCertificate(dir, home, login, { addressMode: 'private' });
    const env = offlineEnv(dir, home);
    // A cache hit (address and KRL copy cached): prepare needs no signer.
    const r = await lkp(['ssh', 'prepare', '--host', ID, '--user', login], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const hostDir = path.join(home, 'hosts', ID);
    const conf = path.join(hostDir, `${login}.conf`);
    // Nothing in the folder is executable.
    for (const f of readdirSync(hostDir)) expect(statSync(path.join(hostDir, f)).mode & 0o111).toBe(0);
    // Someone who can write there plants the program earlier versions ran as the guard.
    const marker = path.join(dir, 'ran-as-victim');
    writeFileSync(path.join(hostDir, `${login}.valid`), `#!/bin/sh\ntouch '${marker}'\nexit 0\n`, { mode: 0o755 });
    const sshConfig = path.join(dir, 'ssh_config');
    writeFileSync(sshConfig, `Include "${conf}"\n`);
    const g = spawnSync('ssh', ['-G', '-F', sshConfig, `${login}@${ID}`], { encoding: 'utf8' });
    expect(g.status).toBe(0);
    expect(g.stdout).toMatch(/^hostname 127\.0\.0\.1$/m);
    expect(g.stdout).toMatch(new RegExp(`^hostkeyalias ${ID}$`, 'm'));
    expect(existsSync(marker)).toBe(false);
    const guard = /^Match .* exec "([^"]*)"$/m.exec(readFileSync(conf, 'utf8'))?.[1];
    expect(guard).toMatch(/^test /);
    expect(guard).not.toContain(home);
  });
});
