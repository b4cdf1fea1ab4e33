import { describe, expect, it } from 'vitest';
import {
  expandIncludePattern,
  hasGlobMagic,
  matchComponent,
  matchIncludePattern,
  resolveIncludeArg,
  splitPattern,
} from '../../src/sshd/include.js';

describe('include globs', () => {
  it('ok/glob(3) component rules', () => {
    expect(matchComponent('*.conf', '00-lkp.conf')).toBe(true);
    expect(matchComponent('*.conf', '00-lkp.conf.lkp-backup')).toBe(false);
    expect(matchComponent('*', '.00-lkp.conf.lkp-tmp-1-ab')).toBe(false); // a leading dot is never matched by a wildcard
    expect(matchComponent('.*', '.hidden')).toBe(true);
    expect(matchComponent('[0-4]?-*.conf', '00-lkp.conf')).toBe(true);
    expect(matchComponent('[!0]*.conf', '00-lkp.conf')).toBe(false);
    expect(matchComponent('a\\*b', 'a*b')).toBe(true);
    expect(matchComponent('plain.conf', 'plain.conf')).toBe(true);
    expect(matchComponent('x[', 'x[')).toBe(true);
  });

  it('ok/whole paths, sorted like glob(3)', () => {
    expect(matchIncludePattern('/etc/ssh/sshd_config.d/*.conf', '/etc/ssh/sshd_config.d/a.conf')).toBe(true);
    expect(matchIncludePattern('/etc/ssh/sshd_config.d/*.conf', '/etc/ssh/sshd_config.d/sub/a.conf')).toBe(false);
    expect(matchIncludePattern('/etc/ssh/*/x.conf', '/etc/ssh/d/x.conf')).toBe(true);
    expect(
      expandIncludePattern('/d/*.conf', ['/d/50-cloud-init.conf', '/d/00-lkp.conf', '/d/README', '/d/10-a.conf', '/d/00-lkp.conf']),
    ).toEqual(['/d/00-lkp.conf', '/d/10-a.conf', '/d/50-cloud-init.conf']);
  });

  it('ok/relative Include is under SSHDIR', () => {
    expect(resolveIncludeArg('sshd_config.d/*.conf', '/etc/ssh/')).toBe('/etc/ssh/sshd_config.d/*.conf');
    expect(resolveIncludeArg('/abs/x', '/etc/ssh')).toBe('/abs/x');
    expect(hasGlobMagic('/a/b')).toBe(false);
    expect(splitPattern('/etc/ssh/sshd_config.d/*.conf')).toEqual({ dir: '/etc/ssh/sshd_config.d', base: '*.conf' });
  });
});
