// The boot-time pieces: scripts parse, systemd units verify, and every lkp flag they use
// exists in the CLI (a renamed flag would otherwise break hosts at boot, silently).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lkp } from '../helpers/lkp.js';

const dir = path.resolve('userdata');

describe('userdata', () => {
  for (const script of readdirSync(dir).filter((f) => f.endsWith('.sh'))) {
    it(`ok/${script} is valid sh`, () => {
      execFileSync('sh', ['-n', path.join(dir, script)]);
    });
  }

  it('ok/systemd units verify (apart from the binary not being installed here)', () => {
    const units = readdirSync(path.join(dir, 'systemd')).map((f) => path.join(dir, 'systemd', f));
    const r = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
    if (r.error) return; // no systemd-analyze on this machine: nothing to verify with
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/\/usr\/local\/bin\/lkp is not executable/.test(l));
    expect(problems).toEqual([]);
  });

  it('ok/every lkp host flag the scripts and units use exists', async () => {
    const help = (await lkp(['host', '--help'])).stdout;
    const text = [...readdirSync(dir).filter((f) => /\.(sh|yaml)$/.test(f)).map((f) => readFileSync(path.join(dir, f), 'utf8')), ...readdirSync(path.join(dir, 'systemd')).map((f) => readFileSync(path.join(dir, 'systemd', f), 'utf8'))].join('\n');
    const flags = new Set([...text.matchAll(/lkp host[^\n]*/g)].flatMap((m) => [...m[0].matchAll(/--([a-z-]+)/g)].map((f) => f[1] as string)));
    expect(flags.size).toBeGreaterThan(2);
    for (const flag of flags) expect(help, `--${flag}`).toContain(`--${flag}`);
  });

  it('ok/the revocation list has its own timer: every few minutes with jitter, apart from renewal, enabled by every boot path', async () => {
    const unit = (name: string) => readFileSync(path.join(dir, 'systemd', name), 'utf8');
    const timer = unit('lkp-host-krl.timer');
    const every = /^OnUnitActiveSec=(\d+)min$/m.exec(timer);
    expect(Number(every?.[1])).toBeGreaterThan(0);
    expect(Number(every?.[1])).toBeLessThanOrEqual(15);
    expect(timer).toMatch(/^RandomizedDelaySec=\d+/m);
    expect(unit('lkp-host-renew.timer')).not.toMatch(/krl/);
    const exec = /^ExecStart=(\S+) host refresh-krl(.*)$/m.exec(unit('lkp-host-krl.service'));
    expect(exec?.[1]).toBe('/usr/local/bin/lkp');
    for (const script of ['cloud-init.sh', 'bake-ami.sh', 'cloud-init.yaml']) expect(readFileSync(path.join(dir, script), 'utf8'), script).toMatch(/lkp-host-krl/);
    expect(readFileSync(path.join(dir, 'bake-ami.sh'), 'utf8')).toMatch(/systemctl enable [^\n]*lkp-host-krl\.timer/);
    // The command the unit runs exists, with its flags.
    const help = await lkp(['host', 'refresh-krl', '--help']);
    expect(help.code).toBe(0);
    for (const flag of [...(exec?.[2] ?? '').matchAll(/--([a-z-]+)/g)].map((f) => f[1] as string)) expect(help.stdout, `--${flag}`).toContain(`--${flag}`);
  });
});
