// How sshd resolves `Include`: relative paths are under the ssh directory, arguments are
// glob(3) patterns expanded in sorted order, and a leading dot is never matched by a wildcard.
// Pure: the candidate file list is passed in, so planning and apply agree on what is included.

const MAGIC = /[*?[]/;

/** True when an Include argument is a pattern (sshd expands it with glob(3)). */
export const hasGlobMagic = (pattern: string): boolean => MAGIC.test(pattern);

/** The absolute path sshd reads for an Include argument (relative ones live under SSHDIR). */
export const resolveIncludeArg = (arg: string, sshDir: string): string =>
  arg.startsWith('/') ? arg : `${sshDir.replace(/\/+$/, '')}/${arg}`;

const escapeRegex = (ch: string): string => ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

const componentRegex = (pattern: string): RegExp => {
  let out = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i] as string;
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '\\' && i + 1 < pattern.length) {
      i += 1;
      out += escapeRegex(pattern[i] as string);
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      const cls = [...body].map((c) => (c === '-' ? '-' : escapeRegex(c))).join('');
      out += `[${negate ? '^' : ''}${cls}]`;
      i = close;
    } else out += escapeRegex(ch);
  }
  return new RegExp(`^${out}$`, 's');
};

/** fnmatch for one path component, with glob(3)'s rule that a leading '.' must be literal. */
export const matchComponent = (pattern: string, name: string): boolean => {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  return hasGlobMagic(pattern) ? componentRegex(pattern).test(name) : pattern.replace(/\\(.)/g, '$1') === name;
};

const components = (path: string): string[] => path.split('/').filter((part) => part !== '');

/** True when sshd would read `path` for this (absolute) Include pattern. */
export const matchIncludePattern = (pattern: string, path: string): boolean => {
  const want = components(pattern);
  const have = components(path);
  if (!pattern.startsWith('/') || !path.startsWith('/') || want.length !== have.length) return false;
  return want.every((part, i) => matchComponent(part, have[i] as string));
};

/** The paths an Include pattern selects from a candidate list, in sshd's (byte-sorted) order. */
export const expandIncludePattern = (pattern: string, paths: readonly string[]): string[] =>
  [...new Set(paths.filter((path) => matchIncludePattern(pattern, path)))].sort(compareBytes);

/** Byte-order comparison (glob(3) in the C locale); ASCII names sort the same in any locale. */
export const compareBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Split an absolute pattern into its directory and last component. */
export const splitPattern = (pattern: string): { dir: string; base: string } => {
  const slash = pattern.lastIndexOf('/');
  return { dir: slash <= 0 ? '/' : pattern.slice(0, slash), base: pattern.slice(slash + 1) };
};
