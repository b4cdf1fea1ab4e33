// The inverse of parse: lines carry their own bytes, so rendering is concatenation and
// render(parse(x)) === x for every input.
import { sshdDocLines, type SshdConfigDoc, type SshdEol } from './parse.js';

/** Anything with its text and line ending: parsed lines, or lines lkp builds. */
export interface SshdRenderable {
  readonly text: string;
  readonly eol: SshdEol;
}

/** Join lines back into file text exactly as they were read (or built). */
export const renderSshdLines = (lines: readonly SshdRenderable[]): string =>
  lines.map((line) => line.text + line.eol).join('');

/** Render a parsed document back to its exact bytes. */
export const renderSshdConfig = (doc: SshdConfigDoc): string => renderSshdLines(sshdDocLines(doc));
