// The order in which sshd reads directives across the main file and what it Includes, with
// each directive's scope (global or inside a Match). Placement and conflict checks are
// questions about this order, so both ask it here rather than re-deriving it.
import { findLkpBlock, inLkpBlock } from './block.js';
import { expandIncludePattern, resolveIncludeArg } from './include.js';
import { parseSshdLines, type SshdDirectiveLine, type SshdLine } from './parse.js';

/** sshd's own Include nesting limit (READCONF_MAX_DEPTH). */
const MAX_DEPTH = 16;

/** One directive as sshd meets it. */
export interface SshdReadEntry {
  readonly file: string;
  readonly line: SshdDirectiveLine;
  /** 'match' once a Match line was read in this file, or when the Include sat in a Match. */
  readonly context: 'global' | 'match';
  /** Inside lkp's managed block. */
  readonly lkp: boolean;
}

/** Inputs: the main file and every file its Include lines may reach, as text. */
export interface SshdReadInput {
  readonly mainPath: string;
  readonly mainText: string;
  readonly files: ReadonlyMap<string, string>;
  readonly sshDir: string;
}

/** Directives in sshd's read order; a Match inside an included file ends with that file (OpenSSH 9.2). */
export const sshdReadOrder = (input: SshdReadInput): SshdReadEntry[] => {
  const out: SshdReadEntry[] = [];
  const paths = [...input.files.keys()];
  const visit = (file: string, lines: readonly SshdLine[], inherited: 'global' | 'match', depth: number): void => {
    const block = findLkpBlock(lines, file);
    let context = inherited;
    lines.forEach((line, index) => {
      if (line.kind !== 'directive') return;
      if (line.key === 'match') {
        context = 'match';
        return;
      }
      if (line.key === 'include') {
        if (depth >= MAX_DEPTH) return;
        for (const arg of line.args) {
          for (const path of expandIncludePattern(resolveIncludeArg(arg, input.sshDir), paths)) {
            visit(path, parseSshdLines(input.files.get(path) ?? ''), context, depth + 1);
          }
        }
        return;
      }
      out.push({ file, line, context, lkp: inLkpBlock(block, index) });
    });
  };
  visit(input.mainPath, parseSshdLines(input.mainText), 'global', 0);
  return out;
};
