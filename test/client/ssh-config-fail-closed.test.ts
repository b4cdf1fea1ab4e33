// The installed ssh config when `lkp ssh prepare` fails (no credentials, a refused login, a
// signer down) or the block skips the name: plain `ssh LOGIN@i-…` must not fall through to
// ordinary ssh (the name resolved by DNS, the host key trusted on first use, the default
// keys and known_hosts). Read back by the real ssh (-G), and tried for real.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LKP_BIN, lkp } from '../helpers/lkp.js';
import { tempDir } from '../helpers/temp.js';

const ID = 'i-0123456789abcdef0';

const values = (stdout: string) => new Map(stdout.split('\n').map((l) => [l.split(' ')[0] as string, l.slice(l.indexOf(' ') + 1)]));

describe('lkp ssh config --install, when prepare fails', () => {
  it('fail/plain ssh to an instance id gets lkp host checking and a ProxyCommand that fails with a message, not DNS and trust on first use', async () => {
    const home = tempDir('lkp-fail-closed-');
    const binDir = path.join(home, 'bin');
    mkdirSync(binDir);
    writeFileSync(path.join(binDir, 'lkp'), `#!/bin/sh\nexec '${process.execPath}' '${LKP_BIN}' "$@"\n`, { mode: 0o755 });
    const env = { HOME: home, LKP_HOME: '', LKP_CONFIG: '', PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
    const r = await lkp(['ssh', 'config', '--install'], { env });
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(home, '.ssh', 'config');
    const knownHosts = path.join(home, '.lkp', 'known_hosts.lkp-signer');
    // Now every prepare fails, as it does without credentials or with the signer down.
    rmSync(path.join(binDir, 'lkp'));
    writeFileSync(path.join(binDir, 'lkp'), '#!/bin/sh\necho "lkp: AwsCredentialsMissing: no credentials" >&2\nexit 33\n', { mode: 0o755 });
    const sshEnv = { ...process.env, ...env };
    for (const dest of [`ec2-user@${ID}`, `ec2-user@mi-0123456789abcdef0`, `we$ird@${ID}`]) {
      const g = spawnSync('ssh', ['-G', '-F', file, dest], { encoding: 'utf8', env: sshEnv });
      expect(g.status, g.stderr).toBe(0);
      const v = values(g.stdout);
      expect(v.get('stricthostkeychecking'), dest).toBe('true');
      expect(v.get('userknownhostsfile'), dest).toBe(knownHosts);
      expect(v.get('globalknownhostsfile'), dest).toBe('/dev/null');
      expect(v.get('proxycommand'), dest).toMatch(/lkp ssh prepare did not set up this instance/);
    }
    // Other hosts: untouched.
    expect(values(spawnSync('ssh', ['-G', '-F', file, 'ec2-user@example.com'], { encoding: 'utf8', env: sshEnv }).stdout).get('proxycommand')).toBeUndefined();
    // For real: ssh says why and stops, without resolving the name.
    const c = spawnSync('ssh', ['-F', file, '-o', 'BatchMode=yes', `ec2-user@${ID}`, 'true'], { encoding: 'utf8', env: sshEnv, timeout: 20_000 });
    expect(c.status).toBe(255);
    expect(c.stderr).toMatch(/lkp ssh prepare did not set up this instance/);
    expect(c.stderr).not.toMatch(/Could not resolve hostname/);
  });
});
