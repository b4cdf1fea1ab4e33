import { describe, expect, it } from 'vitest';
import { detectEol, parseSshdConfig, parseSshdLines, sshdDocLines, splitSshdArgs } from '../../src/sshd/parse.js';
import { renderSshdConfig } from '../../src/sshd/render.js';

const roundTrip = (text: string): void => {
  expect(renderSshdConfig(parseSshdConfig(text))).toBe(text);
};

describe('parse/render round trip', () => {
  const cases: Record<string, string> = {
    'ok/empty': '',
    'ok/single newline': '\n',
    'ok/no final newline': 'Port 22\nPermitRootLogin no',
    'ok/crlf': 'Port 22\r\n# comment\r\n\r\nMatch User x\r\n  X11Forwarding no\r\n',
    'ok/crlf without final newline': 'Port 22\r\nUsePAM yes',
    'ok/mixed endings': 'A 1\r\nB 2\nC 3\r\n',
    'ok/lone carriage returns': 'A 1\r\r\nB\r2\n\r',
    'ok/tabs and equals': 'Subsystem\tsftp\t/usr/lib/openssh/sftp-server\nPort=22\nPort = 2222\n\tUsePAM\t yes \n',
    'ok/comments everywhere': '#Port 22\n   # indented\nPort 22 # trailing\n#\n',
    'ok/mixed case': 'hostcertificate /a\nHOSTKEY /b\nHostCertificate /c\n',
    'ok/unterminated quote kept': 'Banner "oops\n',
    'ok/whitespace only lines': '  \n\t\n \t \n',
    'ok/form feed and unicode': 'Banner /etc/issue\f\n# café ☕\n',
    'ok/only blank lines without final newline': '\n\n  ',
  };
  for (const [name, text] of Object.entries(cases)) it(name, () => roundTrip(text));

  it('ok/random bytes round-trip', () => {
    const alphabet = ['a', 'B', ' ', '\t', '\r', '\n', '#', '=', '"', "'", '\\', 'Match', 'Include', 'é'];
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let n = 0; n < 500; n += 1) {
      const len = next() % 60;
      let text = '';
      for (let i = 0; i < len; i += 1) text += alphabet[next() % alphabet.length];
      roundTrip(text);
    }
  });
});

describe('parse structure', () => {
  it('ok/keywords are case-insensitive and both separator forms parse', () => {
    const lines = parseSshdLines('hostCertificate=/a\nHostCertificate /b\nHOSTCERTIFICATE = /c\n  TrustedUserCAKeys\t/d\n');
    expect(lines.map((l) => (l.kind === 'directive' ? [l.key, l.args] : l.kind))).toEqual([
      ['hostcertificate', ['/a']],
      ['hostcertificate', ['/b']],
      ['hostcertificate', ['/c']],
      ['trustedusercakeys', ['/d']],
    ]);
  });

  it('ok/crlf is not part of the value', () => {
    const [line] = parseSshdLines('Port 22\r\n');
    expect(line).toMatchObject({ kind: 'directive', value: '22', args: ['22'], eol: '\r\n', text: 'Port 22' });
  });

  it('ok/comments, blanks and trailing comments', () => {
    const lines = parseSshdLines('# c\n\n   #x\nAcceptEnv LANG LC_* # trailing\n');
    expect(lines.map((l) => l.kind)).toEqual(['comment', 'blank', 'comment', 'directive']);
    expect(lines[3]).toMatchObject({ args: ['LANG', 'LC_*'] });
  });

  it('ok/quoted arguments follow argv_split', () => {
    expect(splitSshdArgs('"a b" c\\ d \'e"f\' g\\"h')).toEqual(['a b', 'c d', 'e"f', 'g"h']);
    expect(splitSshdArgs('"open')).toBeUndefined();
  });

  it('ok/match blocks run to the next Match', () => {
    const doc = parseSshdConfig('Port 22\nMatch User a\n  X11Forwarding no\n\n# note\nmatch Group b\nAllowTcpForwarding no\n');
    expect(doc.global).toHaveLength(1);
    expect(doc.matches.map((m) => [m.header.args, m.body.length])).toEqual([
      [['User', 'a'], 3],
      [['Group', 'b'], 1],
    ]);
    expect(sshdDocLines(doc).map((l) => l.lineNo)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('ok/include lines are directives with their patterns', () => {
    const [line] = parseSshdLines('Include /etc/ssh/sshd_config.d/*.conf extra.conf\n');
    expect(line).toMatchObject({ key: 'include', args: ['/etc/ssh/sshd_config.d/*.conf', 'extra.conf'] });
  });

  it('ok/eol style comes from the first line ending', () => {
    expect(detectEol(parseSshdLines('a 1\r\nb 2\n'))).toBe('\r\n');
    expect(detectEol(parseSshdLines('a 1'))).toBe('\n');
    expect(detectEol(parseSshdLines(''))).toBe('\n');
  });

  it('fail/garbage lines are kept as other, not dropped', () => {
    const lines = parseSshdLines('="x"\nPort"22"\n');
    expect(lines.map((l) => l.kind)).toEqual(['other', 'other']);
  });
});
