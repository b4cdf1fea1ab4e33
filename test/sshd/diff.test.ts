import { describe, expect, it } from 'vitest';
import { diffSshdChanges, diffSshdFile } from '../../src/sshd/diff.js';

describe('diffSshdFile', () => {
  it('ok/unchanged is empty', () => {
    expect(diffSshdFile({ path: '/a', before: 'x\n', content: 'x\n' })).toBe('');
  });

  it('ok/hunks keep three lines of context and separate far changes', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join('');
    const after = before.replace('line 1\n', 'line one\n').replace('line 18\n', 'line eighteen\n');
    expect(diffSshdFile({ path: '/etc/ssh/sshd_config', before, content: after })).toBe(
      [
        '--- a/etc/ssh/sshd_config',
        '+++ b/etc/ssh/sshd_config',
        '@@ -1,5 +1,5 @@',
        ' line 0',
        '-line 1',
        '+line one',
        ' line 2',
        ' line 3',
        ' line 4',
        '@@ -16,5 +16,5 @@',
        ' line 15',
        ' line 16',
        ' line 17',
        '-line 18',
        '+line eighteen',
        ' line 19',
        '',
      ].join('\n'),
    );
  });

  it('ok/line endings and a missing final newline are visible', () => {
    expect(diffSshdFile({ path: '/a', before: 'Port 22\r\n', content: 'Port 22\n' })).toBe('--- a/a\n+++ b/a\n@@ -1,1 +1,1 @@\n-Port 22\\r\n+Port 22\n');
    expect(diffSshdFile({ path: '/a', before: 'A\nB', content: 'A\nB\n' })).toBe(
      '--- a/a\n+++ b/a\n@@ -1,2 +1,2 @@\n A\n-B\n\\ No newline at end of file\n+B\n',
    );
  });

  it('ok/new and removed files', () => {
    expect(diffSshdChanges([{ path: '/n', before: null, content: 'a\n' }, { path: '/r', before: 'b\n', content: null }])).toBe(
      '--- /dev/null\n+++ b/n\n@@ -0,0 +1,1 @@\n+a\n--- a/r\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-b\n',
    );
  });
});
