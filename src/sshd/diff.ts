// A small unified diff for --dry-run: what lkp would change in each sshd file, shown before
// anything is written. Line-based LCS with three lines of context; files here are small.

/** A planned change to show: null means the file is absent (before) or removed (after). */
export interface SshdDiffInput {
  readonly path: string;
  readonly before: string | null;
  readonly content: string | null;
}

interface Op {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
  readonly a: number;
  readonly b: number;
}

const CONTEXT = 3;
const MAX_CELLS = 4_000_000;

/** Split keeping each line's ending so a CRLF or final-newline change is a visible difference. */
const splitKeep = (text: string): string[] => (text === '' ? [] : (text.match(/[^\n]*\n|[^\n]+$/g) ?? []));

const editScript = (a: readonly string[], b: readonly string[]): Op[] => {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_CELLS) {
    return [...a.map((text, i) => ({ op: '-' as const, text, a: i, b: 0 })), ...b.map((text, j) => ({ op: '+' as const, text, a: n, b: j }))];
  }
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      const row = lcs[i] as Uint32Array;
      const below = lcs[i + 1] as Uint32Array;
      row[j] = a[i] === b[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ op: ' ', text: a[i] as string, a: i, b: j });
      i += 1;
      j += 1;
    } else if (i < n && (j >= m || ((lcs[i + 1] as Uint32Array)[j] as number) >= ((lcs[i] as Uint32Array)[j + 1] as number))) {
      ops.push({ op: '-', text: a[i] as string, a: i, b: j }); // removals first, as diff -u prints them
      i += 1;
    } else {
      ops.push({ op: '+', text: b[j] as string, a: i, b: j });
      j += 1;
    }
  }
  return ops;
};

const showLine = (op: Op): string => {
  const body = op.text.endsWith('\n') ? op.text.slice(0, -1) : op.text;
  const visible = body.endsWith('\r') ? `${body.slice(0, -1)}\\r` : body;
  return `${op.op}${visible}\n${op.text.endsWith('\n') ? '' : '\\ No newline at end of file\n'}`;
};

const range = (start: number, count: number): string => `${count === 0 ? start : start + 1},${count}`;

/** Unified diff of one file ('' when unchanged). */
export const diffSshdFile = ({ path, before, content }: SshdDiffInput): string => {
  if (before === content) return '';
  const ops = editScript(splitKeep(before ?? ''), splitKeep(content ?? ''));
  const changed = ops.flatMap((op, index) => (op.op === ' ' ? [] : [index]));
  let out = `--- ${before === null ? '/dev/null' : `a${path}`}\n+++ ${content === null ? '/dev/null' : `b${path}`}\n`;
  let k = 0;
  while (k < changed.length) {
    const first = changed[k] as number;
    let last = first;
    while (k + 1 < changed.length && (changed[k + 1] as number) - last <= 2 * CONTEXT) {
      k += 1;
      last = changed[k] as number;
    }
    k += 1;
    const hunk = ops.slice(Math.max(0, first - CONTEXT), Math.min(ops.length, last + CONTEXT + 1));
    const head = hunk[0] as Op;
    const aCount = hunk.filter((op) => op.op !== '+').length;
    const bCount = hunk.filter((op) => op.op !== '-').length;
    out += `@@ -${range(head.a, aCount)} +${range(head.b, bCount)} @@\n${hunk.map(showLine).join('')}`;
  }
  return out;
};

/** Unified diff of every planned change, in order. */
export const diffSshdChanges = (changes: readonly SshdDiffInput[]): string => changes.map(diffSshdFile).join('');
