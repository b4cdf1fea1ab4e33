import { describe, expect, it } from 'vitest';
import { LkpError } from '../../src/errors.js';
import { LKP_BEGIN_MARKER, LKP_END_MARKER } from '../../src/sshd/block.js';
import { diffSshdChanges } from '../../src/sshd/diff.js';
import {
  planSshdEdit,
  planSshdRemoval,
  type SshdConfigInput,
  type SshdEditPlan,
  type SshdFileChange,
} from '../../src/sshd/edit.js';
import type { LkpSshdSettings } from '../../src/sshd/settings.js';

const MAIN = '/etc/ssh/sshd_config';
const DROP_DIR = '/etc/ssh/sshd_config.d';
const DROP_IN = `${DROP_DIR}/00-lkp.conf`;

const SETTINGS: LkpSshdSettings = {
  trustedUserCaKeys: '/etc/ssh/lkp/user-ca.pub',
  authorizedPrincipalsFile: '/etc/ssh/lkp/principals/%u',
  hostCertificates: ['/etc/ssh/lkp/ssh_host_ed25519_key-cert.pub'],
};
const SETTINGS_2: LkpSshdSettings = {
  trustedUserCaKeys: '/etc/ssh/lkp/user-ca-2.pub',
  authorizedPrincipalsFile: '/etc/ssh/lkp/principals/%u',
  hostCertificates: ['/etc/ssh/lkp/ssh_host_ed25519_key-cert.pub', '/etc/ssh/lkp/ssh_host_ecdsa_key-cert.pub'],
};

const input = (mainText: string, files: Record<string, string> = {}): SshdConfigInput => ({
  mainPath: MAIN,
  mainText,
  includedFiles: Object.entries(files).map(([path, text]) => ({ path, text })),
});

/** Apply a plan's changes to an in-memory input, as apply.ts would on disk. */
const applyInMemory = (before: SshdConfigInput, changes: readonly SshdFileChange[]): SshdConfigInput => {
  const files = new Map((before.includedFiles ?? []).map((f) => [f.path, f.text]));
  let mainText = before.mainText;
  for (const change of changes) {
    if (change.path === MAIN) mainText = change.content ?? '';
    else if (change.content === null) files.delete(change.path);
    else files.set(change.path, change.content);
  }
  return { ...before, mainText, includedFiles: [...files].map(([path, text]) => ({ path, text })) };
};

const contentOf = (plan: SshdEditPlan, path: string): string | null | undefined =>
  plan.changes.find((c) => c.path === path)?.content;

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof LkpError ? error.code : `not LkpError: ${String(error)}`;
  }
  return undefined;
};

const UBUNTU = `# header\n\nInclude /etc/ssh/sshd_config.d/*.conf\n\nKbdInteractiveAuthentication no\nUsePAM yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n`;
const PLAIN = `Port 22\nPermitRootLogin no\nSubsystem sftp /usr/libexec/openssh/sftp-server\n`;

describe('placement', () => {
  it('ok/drop-in when the main file includes a .d glob first', () => {
    const plan = planSshdEdit(input(UBUNTU), SETTINGS);
    expect(plan.placement).toBe('drop-in');
    expect(plan.target).toBe(DROP_IN);
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({ path: DROP_IN, before: null });
    expect(contentOf(plan, DROP_IN)).toBe(
      [
        LKP_BEGIN_MARKER,
        '# sshd keeps the first value it reads for a keyword, so lkp puts these lines first.',
        'TrustedUserCAKeys /etc/ssh/lkp/user-ca.pub',
        'AuthorizedPrincipalsFile /etc/ssh/lkp/principals/%u',
        'HostCertificate /etc/ssh/lkp/ssh_host_ed25519_key-cert.pub',
        LKP_END_MARKER,
        '',
      ].join('\n'),
    );
    expect(plan.conflicts).toEqual([]);
  });

  it('ok/block at the top when there is no Include', () => {
    const plan = planSshdEdit(input(PLAIN), SETTINGS);
    expect(plan.placement).toBe('block');
    const text = contentOf(plan, MAIN) as string;
    expect(text.startsWith(`${LKP_BEGIN_MARKER}\n`)).toBe(true);
    expect(text.endsWith(`${LKP_END_MARKER}\n${PLAIN}`)).toBe(true);
  });

  it('ok/block when a relevant directive comes before the Include', () => {
    const main = `TrustedUserCAKeys /etc/ssh/other-ca.pub\nInclude /etc/ssh/sshd_config.d/*.conf\n`;
    const plan = planSshdEdit(input(main), SETTINGS);
    expect(plan.placement).toBe('block');
    expect(plan.conflicts).toMatchObject([{ keyword: 'TrustedUserCAKeys', line: 7, effect: 'lkp-wins', context: 'global' }]);
  });

  it('ok/block when the Include sits inside a Match block', () => {
    const main = `Port 22\nMatch User admin\n  Include /etc/ssh/sshd_config.d/*.conf\n`;
    expect(planSshdEdit(input(main), SETTINGS).placement).toBe('block');
  });

  it('ok/block when the glob would also read lkp backups', () => {
    const main = `Include /etc/ssh/sshd_config.d/*\n`;
    expect(planSshdEdit(input(main), SETTINGS).placement).toBe('block');
  });

  it('ok/block when an earlier drop-in sets a relevant keyword', () => {
    const files = { [`${DROP_DIR}/00-aaa.conf`]: 'AuthorizedPrincipalsFile /etc/ssh/p/%u\n' };
    const plan = planSshdEdit(input(UBUNTU, files), SETTINGS);
    expect(plan.placement).toBe('block');
    expect(plan.conflicts).toMatchObject([{ keyword: 'AuthorizedPrincipalsFile', file: `${DROP_DIR}/00-aaa.conf`, effect: 'lkp-wins' }]);
  });

  it('ok/later drop-ins setting the same keyword are reported, lkp wins', () => {
    const files = { [`${DROP_DIR}/50-cloud-init.conf`]: 'PasswordAuthentication no\nTrustedUserCAKeys /etc/ssh/ca.pub\n' };
    const plan = planSshdEdit(input(UBUNTU, files), SETTINGS);
    expect(plan.placement).toBe('drop-in');
    expect(plan.conflicts).toMatchObject([
      { keyword: 'TrustedUserCAKeys', file: `${DROP_DIR}/50-cloud-init.conf`, line: 2, effect: 'lkp-wins', value: '/etc/ssh/ca.pub' },
    ]);
  });

  it('ok/a Match in an earlier drop-in ends with that file (OpenSSH 9.2)', () => {
    const files = { [`${DROP_DIR}/00-a.conf`]: 'Match User x\n  X11Forwarding no\n' };
    expect(planSshdEdit(input(UBUNTU, files), SETTINGS).placement).toBe('drop-in');
  });

  it('ok/relative Include resolves under the ssh directory', () => {
    const plan = planSshdEdit({ ...input('Include sshd_config.d/*.conf\n'), sshDir: '/etc/ssh' }, SETTINGS);
    expect(plan.target).toBe(DROP_IN);
  });

  it('ok/a custom drop-in name is honoured', () => {
    const plan = planSshdEdit({ ...input(UBUNTU), dropInName: '01-lkp.conf' }, SETTINGS);
    expect(plan.target).toBe(`${DROP_DIR}/01-lkp.conf`);
  });
});

describe('conflicts', () => {
  it('ok/global, Match, command and extra host certificates are each typed', () => {
    const main = [
      'authorizedprincipalsfile /etc/ssh/auth_principals/%u',
      'AuthorizedPrincipalsCommand /usr/bin/principals %u',
      'AuthorizedPrincipalsCommandUser nobody',
      'HostCertificate /etc/ssh/ssh_host_rsa_key-cert.pub',
      'Match Group admins',
      '  TrustedUserCAKeys /etc/ssh/admin-ca.pub',
      '',
    ].join('\n');
    const plan = planSshdEdit(input(main), SETTINGS);
    expect(plan.placement).toBe('block');
    expect(plan.conflicts.map((c) => [c.keyword, c.line, c.context, c.effect])).toEqual([
      ['AuthorizedPrincipalsFile', 7, 'global', 'lkp-wins'],
      ['AuthorizedPrincipalsCommand', 8, 'global', 'combined'],
      ['HostCertificate', 10, 'global', 'combined'],
      ['TrustedUserCAKeys', 12, 'match', 'overrides-lkp'],
    ]);
    for (const c of plan.conflicts) expect(c.message.length).toBeGreaterThan(10);
  });

  it('ok/AuthorizedPrincipalsCommand none is not a conflict', () => {
    expect(planSshdEdit(input('AuthorizedPrincipalsCommand none\n'), SETTINGS).conflicts).toEqual([]);
  });

  it('ok/an admin-moved block after a directive reports that lkp loses', () => {
    const first = planSshdEdit(input(PLAIN), SETTINGS);
    const moved = `TrustedUserCAKeys /etc/ssh/x.pub\n${contentOf(first, MAIN) as string}`;
    const plan = planSshdEdit(input(moved), SETTINGS);
    expect(plan.changes).toEqual([]);
    expect(plan.conflicts).toMatchObject([{ keyword: 'TrustedUserCAKeys', line: 1, effect: 'overrides-lkp' }]);
  });

  it('ok/never duplicates or rewrites an admin directive', () => {
    const main = 'TrustedUserCAKeys /etc/ssh/x.pub\n';
    const text = contentOf(planSshdEdit(input(main), SETTINGS), MAIN) as string;
    expect(text.endsWith(main)).toBe(true);
    expect(text.match(/TrustedUserCAKeys/g)).toHaveLength(2);
  });
});

describe('idempotence, updates and removal', () => {
  const variants: Record<string, string> = {
    'ok/lf block': PLAIN,
    'ok/crlf block': PLAIN.replace(/\n/g, '\r\n'),
    'ok/no final newline block': PLAIN.trimEnd(),
    'ok/crlf no final newline block': PLAIN.trimEnd().replace(/\n/g, '\r\n'),
    'ok/empty file': '',
    'ok/match block first': 'Match all\n  PasswordAuthentication no\n',
    'ok/drop-in': UBUNTU,
    'ok/crlf drop-in': UBUNTU.replace(/\n/g, '\r\n'),
  };
  for (const [name, main] of Object.entries(variants)) {
    it(name, () => {
      const start = input(main);
      const plan = planSshdEdit(start, SETTINGS);
      expect(plan.changes.length).toBeGreaterThan(0);
      const after = applyInMemory(start, plan.changes);
      // Line-ending style and final-newline state are kept.
      if (plan.placement === 'block') {
        const text = after.mainText;
        expect(text.includes('\r\n')).toBe(main.includes('\r\n'));
        if (main.includes('\r\n')) expect(text.replace(/\r\n/g, '')).not.toContain('\n');
        expect(text.endsWith('\n')).toBe(main === '' || main.endsWith('\n'));
      }
      // Same settings again: nothing to do.
      expect(planSshdEdit(after, SETTINGS).changes).toEqual([]);
      // New settings replace lkp's lines in place, then settle.
      const updated = applyInMemory(after, planSshdEdit(after, SETTINGS_2).changes);
      const updatedTarget = plan.placement === 'block' ? updated.mainText : (updated.includedFiles ?? []).find((f) => f.path === DROP_IN)?.text;
      expect(updatedTarget).toContain('user-ca-2.pub');
      expect(updatedTarget).not.toContain('user-ca.pub\n');
      expect(updatedTarget?.match(/BEGIN lkp/g)).toHaveLength(1);
      expect(planSshdEdit(updated, SETTINGS_2).changes).toEqual([]);
      // Removal restores the original bytes.
      const removed = applyInMemory(updated, planSshdRemoval(updated).changes);
      expect(removed.mainText).toBe(main);
      expect(removed.includedFiles).toEqual([]);
      expect(planSshdRemoval(removed).changes).toEqual([]);
    });
  }

  it('ok/update keeps an admin-moved block where it is', () => {
    const main = `Port 22\n${LKP_BEGIN_MARKER}\nTrustedUserCAKeys /old\n${LKP_END_MARKER}\nUsePAM yes\n`;
    const plan = planSshdEdit(input(main), SETTINGS);
    const text = contentOf(plan, MAIN) as string;
    expect(text.startsWith(`Port 22\n${LKP_BEGIN_MARKER}\n`)).toBe(true);
    expect(text.endsWith(`${LKP_END_MARKER}\nUsePAM yes\n`)).toBe(true);
  });

  it('ok/a block found inside a Match is moved before it', () => {
    const main = `Port 22\nMatch User a\n${LKP_BEGIN_MARKER}\nTrustedUserCAKeys /old\n${LKP_END_MARKER}\n`;
    const text = contentOf(planSshdEdit(input(main), SETTINGS), MAIN) as string;
    expect(text.indexOf(LKP_BEGIN_MARKER)).toBe(0);
    expect(text.endsWith('Port 22\nMatch User a\n')).toBe(true);
  });

  it('ok/a block left from before an Include existed stays (no churn), stale drop-in removed', () => {
    const block = contentOf(planSshdEdit(input(PLAIN), SETTINGS), MAIN) as string;
    const main = `${block}Include /etc/ssh/sshd_config.d/*.conf\n`;
    const staleDropIn = contentOf(planSshdEdit(input(UBUNTU), SETTINGS), DROP_IN) as string;
    const plan = planSshdEdit(input(main, { [DROP_IN]: staleDropIn }), SETTINGS);
    expect(plan.placement).toBe('block');
    expect(plan.changes).toEqual([{ path: DROP_IN, before: staleDropIn, content: null }]);
  });

  it('ok/diff shows the planned block', () => {
    const plan = planSshdEdit(input(PLAIN), SETTINGS);
    const diff = diffSshdChanges(plan.changes);
    expect(diff).toContain(`--- a${MAIN}\n+++ b${MAIN}\n@@ -1,3 +1,9 @@\n+${LKP_BEGIN_MARKER}\n`);
    expect(diff).toContain('\n Port 22\n');
    expect(diffSshdChanges(planSshdEdit(input(UBUNTU), SETTINGS).changes)).toContain(`--- /dev/null\n+++ b${DROP_IN}\n@@ -0,0 +1,6 @@\n`);
  });
});

describe('hostile values and broken files', () => {
  const bad: Record<string, Partial<LkpSshdSettings>> = {
    'fail/newline in path': { trustedUserCaKeys: '/etc/ssh/ca.pub\nPermitRootLogin yes' },
    'fail/space in path': { trustedUserCaKeys: '/etc/ssh/my ca.pub' },
    'fail/double quote': { trustedUserCaKeys: '/etc/ssh/"ca.pub' },
    'fail/single quote': { authorizedPrincipalsFile: "/etc/ssh/p/'%u" },
    'fail/hash': { authorizedPrincipalsFile: '/etc/ssh/p/#%u' },
    'fail/relative': { trustedUserCaKeys: 'etc/ssh/ca.pub' },
    'fail/dot dot': { trustedUserCaKeys: '/etc/ssh/../shadow' },
    'fail/tab': { hostCertificates: ['/etc/ssh/a\tb'] },
    'fail/nul': { hostCertificates: ['/etc/ssh/a\0b'] },
    'fail/empty host certificates': { hostCertificates: [] },
    'fail/duplicate host certificates': { hostCertificates: ['/a/b', '/a/b'] },
    'fail/percent in host certificate': { hostCertificates: ['/etc/ssh/%u'] },
    'fail/unknown token': { authorizedPrincipalsFile: '/etc/ssh/p/%d' },
    'fail/glob': { trustedUserCaKeys: '/etc/ssh/*.pub' },
    'fail/backslash': { trustedUserCaKeys: '/etc/ssh/a\\b' },
    'fail/equals and comma': { trustedUserCaKeys: '/etc/ssh/a=b,c' },
    'fail/not a string': { trustedUserCaKeys: 42 as unknown as string },
  };
  for (const [name, override] of Object.entries(bad)) {
    it(name, () => {
      expect(codeOf(() => planSshdEdit(input(PLAIN), { ...SETTINGS, ...override }))).toBe('UsageError');
    });
  }

  it('ok/%% and %h are allowed tokens', () => {
    const plan = planSshdEdit(input(PLAIN), { ...SETTINGS, authorizedPrincipalsFile: '/etc/ssh/p/%h-%%-%U' });
    expect(contentOf(plan, MAIN)).toContain('AuthorizedPrincipalsFile /etc/ssh/p/%h-%%-%U\n');
  });

  it('fail/relative main path', () => {
    expect(codeOf(() => planSshdEdit({ mainPath: 'sshd_config', mainText: '' }, SETTINGS))).toBe('UsageError');
  });

  it('fail/drop-in name with a slash', () => {
    expect(codeOf(() => planSshdEdit({ ...input(UBUNTU), dropInName: '../x.conf' }, SETTINGS))).toBe('UsageError');
  });

  it('fail/unbalanced markers', () => {
    expect(codeOf(() => planSshdEdit(input(`${LKP_BEGIN_MARKER}\nPort 22\n`), SETTINGS))).toBe('SshdConfigInvalid');
    expect(codeOf(() => planSshdEdit(input(`${LKP_END_MARKER}\n${LKP_BEGIN_MARKER}\n`), SETTINGS))).toBe('SshdConfigInvalid');
    expect(codeOf(() => planSshdRemoval(input(`${LKP_BEGIN_MARKER}\n${LKP_BEGIN_MARKER}\n${LKP_END_MARKER}\n`)))).toBe('SshdConfigInvalid');
  });

  it('fail/a 00-lkp.conf lkp did not write', () => {
    expect(codeOf(() => planSshdEdit(input(UBUNTU, { [DROP_IN]: 'PermitRootLogin yes\n' }), SETTINGS))).toBe('SshdConflict');
  });
});

describe('RevokedKeys (issue 11)', () => {
  const WITH_KRL: LkpSshdSettings = { ...SETTINGS, revokedKeys: '/etc/ssh/lkp/revoked_keys' };

  it('ok/the block names the KRL once, in the global part, and removal takes it out', () => {
    const plan = planSshdEdit(input(PLAIN), WITH_KRL);
    const text = contentOf(plan, MAIN) ?? '';
    expect(text.match(/^RevokedKeys \/etc\/ssh\/lkp\/revoked_keys$/gm)).toHaveLength(1);
    expect(text.indexOf('RevokedKeys')).toBeLessThan(text.indexOf(LKP_END_MARKER));
    const applied = applyInMemory(input(PLAIN), plan.changes);
    expect(planSshdEdit(applied, WITH_KRL).changes).toEqual([]);
    expect(planSshdRemoval(applied).changes.find((c) => c.path === MAIN)?.content).toBe(PLAIN);
  });

  it('ok/an admin RevokedKeys read after lkp\'s is reported: sshd reads one file, so its revocations stop counting', () => {
    const plan = planSshdEdit(input(`${PLAIN}RevokedKeys /etc/ssh/revoked\n`), WITH_KRL);
    expect(plan.conflicts).toMatchObject([{ keyword: 'RevokedKeys', effect: 'lkp-wins', value: '/etc/ssh/revoked' }]);
  });

  it('ok/an earlier drop-in with RevokedKeys moves lkp into a block read before it', () => {
    const plan = planSshdEdit(input(UBUNTU, { [`${DROP_DIR}/00-aaa.conf`]: 'RevokedKeys /etc/ssh/revoked\n' }), WITH_KRL);
    expect(plan.placement).toBe('block');
    expect(plan.conflicts).toMatchObject([{ keyword: 'RevokedKeys', effect: 'lkp-wins' }]);
  });

  it('fail/a KRL path sshd would misread is refused before anything is planned', () => {
    for (const bad of ['relative/revoked_keys', '/etc/ssh/lkp/revoked keys', '/etc/ssh/lkp/%u', '/etc/ssh/../revoked']) {
      expect(codeOf(() => planSshdEdit(input(PLAIN), { ...SETTINGS, revokedKeys: bad })), bad).toBe('UsageError');
    }
  });
});
