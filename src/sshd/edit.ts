// Decide, as a pure function of file contents, where lkp's sshd settings go and what every
// affected file will contain. No I/O: the caller reads the files and apply.ts writes them.
import { LkpError } from '../errors.js';
import { buildLkpBlock, findLkpBlock, LKP_BEGIN_MARKER } from './block.js';
import { findSshdConflicts, type SshdConflict } from './conflicts.js';
import { hasGlobMagic, matchIncludePattern, resolveIncludeArg, splitPattern } from './include.js';
import { detectEol, parseSshdLines, type SshdLine } from './parse.js';
import { renderSshdLines, type SshdRenderable } from './render.js';
import { validateLkpSshdSettings, type LkpSshdSettings } from './settings.js';
import { sshdReadOrder } from './stream.js';

/** Where sshd resolves relative Include paths (OpenSSH's SSHDIR). */
export const DEFAULT_SSH_DIR = '/etc/ssh';
/** lkp's drop-in file name: sorts before the usual 10-/50-/99- names so it is read first. */
export const DEFAULT_DROP_IN_NAME = '00-lkp.conf';
/** Suffix of the one backup apply keeps of each file it replaces. */
export const BACKUP_SUFFIX = '.lkp-backup';

/** A file's path and text, as read by the caller. */
export interface SshdSourceFile {
  readonly path: string;
  readonly text: string;
}

/** Everything the planner needs to know about the current configuration. */
export interface SshdConfigInput {
  /** Absolute path of the main sshd_config. */
  readonly mainPath: string;
  readonly mainText: string;
  /** Every existing file the main file's Include lines can reach (drop-ins), with its text. */
  readonly includedFiles?: readonly SshdSourceFile[];
  /** SSHDIR for relative Include paths; default /etc/ssh. */
  readonly sshDir?: string;
  /** Drop-in file name; default 00-lkp.conf. */
  readonly dropInName?: string;
}

/** One file to change: new content, or null to remove it. `before` is what the plan saw (null: absent). */
export interface SshdFileChange {
  readonly path: string;
  readonly before: string | null;
  readonly content: string | null;
}

/** What planSshdEdit decided. `changes` is empty when the configuration is already right. */
export interface SshdEditPlan {
  readonly placement: 'drop-in' | 'block';
  /** The file that holds lkp's directives after the change. */
  readonly target: string;
  readonly changes: readonly SshdFileChange[];
  readonly conflicts: readonly SshdConflict[];
}

/** What planSshdRemoval decided. */
export interface SshdRemovalPlan {
  readonly changes: readonly SshdFileChange[];
}

const WATCHED_BEFORE_LKP = new Set(['trustedusercakeys', 'authorizedprincipalsfile', 'authorizedprincipalscommand', 'revokedkeys']);
const SAFE_DIR = /^(?:\/[A-Za-z0-9._+@:-]+)+$/;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+@-]*$/;

interface Context {
  readonly mainPath: string;
  readonly mainText: string;
  readonly mainLines: readonly SshdLine[];
  readonly files: ReadonlyMap<string, string>;
  readonly sshDir: string;
  readonly dropInName: string;
}

const normalise = (input: SshdConfigInput): Context => {
  if (typeof input.mainPath !== 'string' || !input.mainPath.startsWith('/') || /[\0-\x1f\x7f]/.test(input.mainPath)) {
    throw new LkpError('UsageError', 'the sshd config path must be absolute');
  }
  const dropInName = input.dropInName ?? DEFAULT_DROP_IN_NAME;
  if (!SAFE_NAME.test(dropInName)) {
    throw new LkpError('UsageError', `drop-in name ${JSON.stringify(dropInName)} is not a plain file name`);
  }
  const sshDir = input.sshDir ?? DEFAULT_SSH_DIR;
  if (!sshDir.startsWith('/')) throw new LkpError('UsageError', 'the ssh directory must be absolute');
  const files = new Map((input.includedFiles ?? []).map((file) => [file.path, file.text] as const));
  return { mainPath: input.mainPath, mainText: input.mainText, mainLines: parseSshdLines(input.mainText), files, sshDir, dropInName };
};

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Existing lkp drop-ins among the included files; a file with lkp's name that lkp did not write is a conflict. */
const ownDropIns = (ctx: Context): string[] =>
  [...ctx.files.entries()]
    .filter(([path]) => baseName(path) === ctx.dropInName)
    .map(([path, text]) => {
      if (findLkpBlock(parseSshdLines(text), path) === undefined || !text.startsWith(LKP_BEGIN_MARKER)) {
        throw new LkpError('SshdConflict', `${path} exists but was not written by lkp; move it away or rename lkp's drop-in`);
      }
      return path;
    });

const firstMatchIndex = (lines: readonly SshdLine[]): number => {
  const index = lines.findIndex((line) => line.kind === 'directive' && line.key === 'match');
  return index === -1 ? lines.length : index;
};

/** The first Include glob, in the global part of the main file, that would read lkp's drop-in. */
const dropInCandidate = (lines: readonly SshdLine[], ctx: Context): string | undefined => {
  for (const line of lines.slice(0, firstMatchIndex(lines))) {
    if (line.kind !== 'directive' || line.key !== 'include') continue;
    for (const arg of line.args) {
      const pattern = resolveIncludeArg(arg, ctx.sshDir);
      if (!hasGlobMagic(pattern)) continue;
      const { dir } = splitPattern(pattern);
      if (hasGlobMagic(dir) || !SAFE_DIR.test(dir)) continue;
      const path = `${dir}/${ctx.dropInName}`;
      // A pattern like `*` would also read the backup apply keeps next to the drop-in.
      if (matchIncludePattern(pattern, path) && !matchIncludePattern(pattern, path + BACKUP_SUFFIX)) return path;
    }
  }
  return undefined;
};

/** True when, with this overlay, lkp's directives are global and nothing relevant is read before them. */
const lkpReadFirst = (mainText: string, files: ReadonlyMap<string, string>, ctx: Context): boolean => {
  const entries = sshdReadOrder({ mainPath: ctx.mainPath, mainText, files, sshDir: ctx.sshDir });
  const first = entries.findIndex((entry) => entry.lkp);
  if (first === -1) return false;
  const before = entries.slice(0, first).some((entry) => WATCHED_BEFORE_LKP.has(entry.line.key));
  return !before && entries.every((entry) => !entry.lkp || entry.context === 'global');
};

const withoutRange = (lines: readonly SshdLine[], start: number, end: number): SshdLine[] => [
  ...lines.slice(0, start),
  ...lines.slice(end + 1),
];

const change = (path: string, before: string | null, content: string | null): SshdFileChange[] =>
  before === content ? [] : [{ path, before, content }];

/** Plan lkp's sshd settings: a drop-in read first when the main file allows it, else a block at the top. */
export const planSshdEdit = (input: SshdConfigInput, settings: LkpSshdSettings): SshdEditPlan => {
  const valid = validateLkpSshdSettings(settings);
  const ctx = normalise(input);
  const existingDropIns = ownDropIns(ctx);
  const eol = detectEol(ctx.mainLines);
  const block = findLkpBlock(ctx.mainLines, ctx.mainPath);

  let mainLines: SshdRenderable[];
  let dropIn: { path: string; text: string } | undefined;
  if (block !== undefined && block.start < firstMatchIndex(ctx.mainLines)) {
    // Update in place: the admin may have moved the block on purpose; keep its final newline state.
    const lines = buildLkpBlock(valid, eol);
    const endEol = ctx.mainLines[block.end]?.eol ?? eol;
    lines[lines.length - 1] = { text: (lines[lines.length - 1] as SshdRenderable).text, eol: endEol };
    mainLines = [...ctx.mainLines.slice(0, block.start), ...lines, ...ctx.mainLines.slice(block.end + 1)];
  } else {
    const rest = block === undefined ? [...ctx.mainLines] : withoutRange(ctx.mainLines, block.start, block.end);
    const candidate = dropInCandidate(rest, ctx);
    const restText = renderSshdLines(rest);
    if (candidate !== undefined) {
      const existing = ctx.files.get(candidate);
      const dropEol = existing === undefined ? '\n' : detectEol(parseSshdLines(existing));
      const text = renderSshdLines(buildLkpBlock(valid, dropEol));
      const overlay = new Map([...ctx.files].filter(([path]) => !existingDropIns.includes(path)));
      overlay.set(candidate, text);
      if (lkpReadFirst(restText, overlay, ctx)) dropIn = { path: candidate, text };
    }
    mainLines = dropIn === undefined ? [...buildLkpBlock(valid, eol), ...rest] : rest;
  }

  const mainText = renderSshdLines(mainLines);
  const files = new Map(ctx.files);
  const changes: SshdFileChange[] = [...change(ctx.mainPath, ctx.mainText, mainText)];
  if (dropIn !== undefined) {
    files.set(dropIn.path, dropIn.text);
    changes.push(...change(dropIn.path, ctx.files.get(dropIn.path) ?? null, dropIn.text));
  }
  for (const path of existingDropIns.filter((p) => p !== dropIn?.path)) {
    files.delete(path);
    changes.push(...change(path, ctx.files.get(path) ?? null, null));
  }
  const conflicts = findSshdConflicts(sshdReadOrder({ mainPath: ctx.mainPath, mainText, files, sshDir: ctx.sshDir }));
  return {
    placement: dropIn === undefined ? 'block' : 'drop-in',
    target: dropIn?.path ?? ctx.mainPath,
    changes,
    conflicts,
  };
};

/** Plan the removal of everything lkp added: its block (restoring the original bytes) and its drop-ins. */
export const planSshdRemoval = (input: SshdConfigInput): SshdRemovalPlan => {
  const ctx = normalise(input);
  const block = findLkpBlock(ctx.mainLines, ctx.mainPath);
  const changes: SshdFileChange[] = [];
  if (block !== undefined) {
    changes.push(...change(ctx.mainPath, ctx.mainText, renderSshdLines(withoutRange(ctx.mainLines, block.start, block.end))));
  }
  for (const path of ownDropIns(ctx)) changes.push(...change(path, ctx.files.get(path) ?? null, null));
  return { changes };
};
