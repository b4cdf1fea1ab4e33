// sshd_config as data: every byte is kept (comments, blank lines, order, CRLF, a missing
// final newline) so that lkp can edit one region and leave the rest of an admin's file alone.
// Tokenising follows OpenSSH 9.2 servconf.c (strdelim for the keyword, argv_split for values).

/** How a line ended: '' only for the last line of a file without a final newline. */
export type SshdEol = '' | '\n' | '\r\n';

interface SshdLineBase {
  /** The line's bytes without its line ending. */
  readonly text: string;
  readonly eol: SshdEol;
  /** 1-based line number in the parsed text. */
  readonly lineNo: number;
}

/** An empty or whitespace-only line. */
export interface SshdBlankLine extends SshdLineBase {
  readonly kind: 'blank';
}

/** A line whose first token starts with '#'. */
export interface SshdCommentLine extends SshdLineBase {
  readonly kind: 'comment';
}

/** `Keyword value...`, `Keyword=value` or `Keyword = value`. */
export interface SshdDirectiveLine extends SshdLineBase {
  readonly kind: 'directive';
  /** The keyword as written (`hostcertificate`, `HostCertificate`). */
  readonly keyword: string;
  /** Lower-cased keyword: sshd compares keywords case-insensitively. */
  readonly key: string;
  /** Everything after the keyword and its separator (` `, `=`, ` = `), trailing space removed. */
  readonly value: string;
  /** Arguments as sshd's argv_split sees them (quotes and escapes removed, `#` ends the list). */
  readonly args: readonly string[];
}

/** A line sshd itself would reject or read oddly (e.g. an unterminated quote); kept verbatim. */
export interface SshdOtherLine extends SshdLineBase {
  readonly kind: 'other';
}

/** Any line; each kind keeps its exact text and line ending. */
export type SshdLine = SshdBlankLine | SshdCommentLine | SshdDirectiveLine | SshdOtherLine;

/** A `Match` line and every line after it up to the next `Match` (sshd has no block end). */
export interface SshdMatchBlock {
  readonly header: SshdDirectiveLine;
  readonly body: readonly SshdLine[];
}

/** A parsed file: the global part, then the Match blocks, in file order. */
export interface SshdConfigDoc {
  /** Lines before the first `Match`: the only place global directives take effect. */
  readonly global: readonly SshdLine[];
  readonly matches: readonly SshdMatchBlock[];
}

const TRAILING_SPACE = /[ \t\r\n\f]+$/;
const KEYWORD = /^[ \t]*([^ \t\r\n"=]+)/;

/** Port of OpenSSH's argv_split(..., terminate_on_comment=1); undefined on an unterminated quote. */
export const splitSshdArgs = (input: string): string[] | undefined => {
  const args: string[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t') {
      i += 1;
      continue;
    }
    if (c === '#') break;
    let quote = '';
    let arg = '';
    for (; i < input.length; i += 1) {
      const ch = input[i] as string;
      const next = input[i + 1];
      if (ch === '\\') {
        if (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' ')) {
          i += 1;
          arg += next;
        } else {
          arg += ch;
        }
      } else if (quote === '' && (ch === ' ' || ch === '\t')) {
        break;
      } else if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch;
      } else if (quote !== '' && ch === quote) {
        quote = '';
      } else {
        arg += ch;
      }
    }
    if (quote !== '') return undefined;
    args.push(arg);
  }
  return args;
};

const classify = (text: string, eol: SshdEol, lineNo: number): SshdLine => {
  const trimmed = text.replace(TRAILING_SPACE, '');
  if (trimmed.replace(/^[ \t]+/, '') === '') return { kind: 'blank', text, eol, lineNo };
  const match = KEYWORD.exec(trimmed);
  if (match === null) return { kind: 'other', text, eol, lineNo };
  const keyword = match[1] as string;
  if (keyword.startsWith('#')) return { kind: 'comment', text, eol, lineNo };
  // strdelim: one delimiter (space or '='), then spaces, then at most one '=' and spaces.
  const rest = trimmed.slice(match[0].length);
  const sep = /^(?:[ \t]*=[ \t]*|[ \t]+)/.exec(rest);
  if (rest !== '' && sep === null) return { kind: 'other', text, eol, lineNo };
  const value = sep === null ? rest : rest.slice(sep[0].length);
  const args = splitSshdArgs(value);
  if (args === undefined) return { kind: 'other', text, eol, lineNo };
  return { kind: 'directive', text, eol, lineNo, keyword, key: keyword.toLowerCase(), value, args };
};

/** Split text into lines, keeping each line's own ending; no line is invented or lost. */
export const parseSshdLines = (text: string): SshdLine[] => {
  const lines: SshdLine[] = [];
  let start = 0;
  let lineNo = 1;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      lines.push(classify(text.slice(start), '', lineNo));
      break;
    }
    const crlf = nl > start && text[nl - 1] === '\r';
    lines.push(classify(text.slice(start, crlf ? nl - 1 : nl), crlf ? '\r\n' : '\n', lineNo));
    start = nl + 1;
    lineNo += 1;
  }
  return lines;
};

/** Group parsed lines the way sshd scopes them: global lines, then one block per `Match`. */
export const groupSshdLines = (lines: readonly SshdLine[]): SshdConfigDoc => {
  const global: SshdLine[] = [];
  const matches: { header: SshdDirectiveLine; body: SshdLine[] }[] = [];
  for (const line of lines) {
    if (line.kind === 'directive' && line.key === 'match') matches.push({ header: line, body: [] });
    else if (matches.length === 0) global.push(line);
    else (matches[matches.length - 1] as { body: SshdLine[] }).body.push(line);
  }
  return { global, matches };
};

/** Parse sshd_config text into a document that renders back to the same bytes. */
export const parseSshdConfig = (text: string): SshdConfigDoc => groupSshdLines(parseSshdLines(text));

/** Every line of a document in file order, Match headers included. */
export const sshdDocLines = (doc: SshdConfigDoc): SshdLine[] => [
  ...doc.global,
  ...doc.matches.flatMap((block) => [block.header, ...block.body]),
];

/** The file's line-ending style (from its first line ending; LF when it has none), for lines lkp adds. */
export const detectEol = (lines: readonly SshdLine[]): '\n' | '\r\n' => {
  const first = lines.find((line) => line.eol !== '');
  return first?.eol === '\r\n' ? '\r\n' : '\n';
};
