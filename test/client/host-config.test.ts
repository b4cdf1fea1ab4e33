// The per-instance ssh config that lets a cached certificate connect with no lkp process:
// read back by the real ssh (-G), it applies to exactly that instance id and login while
// its guard succeeds, and nothing from outside (address, login, paths) can smuggle a
// directive, a token or a shell word into it.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostConfigInclude, renderHostConfig, renderSshConfig } from '../../src/client/ssh-config.js';
import { LkpError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp.js';

const ID = 'i-0123456789abcdef0';

const sshG = (file: string, dest: string) => {
  const r = spawnSync('ssh', ['-G', '-F', file, dest], { encoding: 'utf8' });
  return { ...r, values: new Map(r.stdout.split('\n').map((l) => [l.split(' ')[0] as string, l.slice(l.indexOf(' ') + 1)])) };
};

const setup = (guardUntil: number, proxyCommand?: string) => {
  const home = tempDir('lkp-host conf-');
  const file = path.join(home, 'ec2-user.conf');
  writeFileSync(file, renderHostConfig({ instanceId: ID, login: 'ec2-user', address: '10.0.0.7', identity: path.join(home, 'id_ed25519'), certificate: path.join(home, 'ec2-user-cert.pub'), knownHosts: path.join(home, 'known_hosts'), revokedHostKeys: path.join(home, 'revoked_keys.lkp'), until: guardUntil, ...(proxyCommand ? { proxyCommand } : {}) }), { mode: 0o600 });
  return { file, home };
};

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof LkpError ? error.code : 'other';
  }
  return undefined;
};

describe('per-instance ssh config', () => {
  it('ok/while the guard holds: that instance and login connect to the address, verified as the instance id', () => {
    const { file, home } = setup(Math.floor(Date.now() / 1000) + 600);
    const g = sshG(file, `ec2-user@${ID}`);
    expect(g.status).toBe(0);
    expect(g.values.get('hostname')).toBe('10.0.0.7');
    expect(g.values.get('hostkeyalias')).toBe(ID);
    expect(g.values.get('stricthostkeychecking')).toBe('true');
    expect(g.values.get('revokedhostkeys')).toBe(path.join(home, 'revoked_keys.lkp'));
    expect(g.values.get('proxycommand')).toBeUndefined();
    // Another login, another instance: untouched.
    expect(sshG(file, `root@${ID}`).values.get('hostname')).toBe(ID);
    expect(sshG(file, 'ec2-user@i-0123456789abcdef1').values.get('hostname')).toBe('i-0123456789abcdef1');
  });

  it('ok/once the guard fails (expiring certificate) the file steps aside', () => {
    const { file } = setup(Math.floor(Date.now() / 1000) - 1);
    expect(sshG(file, `ec2-user@${ID}`).values.get('hostname')).toBe(ID);
  });

  it("ok/through a transport (--via eice): the tunnel's ProxyCommand, host verification unchanged", () => {
    const proxy = "'lkp' 'ssh' 'proxy' '--via' 'eice' '--host' 'i-0123456789abcdef0' --port %p";
    const { file, home } = setup(Math.floor(Date.now() / 1000) + 600, proxy);
    const g = sshG(file, `ec2-user@${ID}`);
    expect(g.status).toBe(0);
    expect(g.values.get('proxycommand')).toBe(proxy);
    expect(g.values.get('hostkeyalias')).toBe(ID);
    expect(g.values.get('stricthostkeychecking')).toBe('true');
    expect(g.values.get('userknownhostsfile')).toBe(path.join(home, 'known_hosts'));
    expect(g.values.get('revokedhostkeys')).toBe(path.join(home, 'revoked_keys.lkp'));
  });

  it('fail/an address, login or instance id that is not plain is refused', () => {
    const base = { instanceId: ID, login: 'ec2-user', address: '10.0.0.7', identity: '/h/id', certificate: '/h/c', knownHosts: '/h/k', revokedHostKeys: '/h/r', until: 2000000000 };
    for (const address of ['10.0.0.7 ProxyCommand=sh', '-oProxyCommand=x', '10.0.0.7\n    ProxyCommand sh', '%h', 'a b', '$(id)', '']) expect(code(() => renderHostConfig({ ...base, address }))).toBe('UsageError');
    for (const login of ['root user', 'a*', 'x,y', '%r', "o'k"]) expect(code(() => renderHostConfig({ ...base, login }))).toBe('UsageError');
    for (const instanceId of ['i-*', 'i-0123456789abcdef0 user root', 'web-1']) expect(code(() => renderHostConfig({ ...base, instanceId }))).toBe('UsageError');
    expect(code(() => renderHostConfig({ ...base, until: 1.5 }))).toBe('UsageError');
    expect(code(() => renderHostConfig({ ...base, revokedHostKeys: '/h/%r' }))).toBe('UsageError');
  });

  it('ok/a home ssh would read as a glob or tokens gets no Include (prepare + proxy only)', () => {
    for (const home of ['/h/a*b', '/h/a?', '/h/[x]', '/h/%d', '/h/${HOME}']) {
      expect(hostConfigInclude(home)).toBeUndefined();
      expect(renderSshConfig({ lkp: ['lkp'], home, knownHosts: '/k' })).not.toContain('Include');
    }
    expect(hostConfigInclude('/home/a b/.lkp')).toBe('Include "/home/a b/.lkp/hosts/*/*.conf"');
  });
});
