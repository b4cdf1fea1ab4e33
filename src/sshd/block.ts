// lkp's own region of an sshd file: begin/end marker comments around its directives, so a
// person can see what lkp wrote and lkp can find, replace or remove exactly those lines.
import { LkpError } from '../errors.js';
import type { SshdLine } from './parse.js';
import type { SshdRenderable } from './render.js';
import type { LkpSshdSettings } from './settings.js';

/** First line of lkp's block (and of its drop-in file). */
export const LKP_BEGIN_MARKER = '# BEGIN lkp managed block -- do not edit';
/** Last line of lkp's block. */
export const LKP_END_MARKER = '# END lkp managed block';

const WHY = '# sshd keeps the first value it reads for a keyword, so lkp puts these lines first.';

/** Line index range [start, end] (inclusive) of lkp's block. */
export interface LkpBlockRange {
  readonly start: number;
  readonly end: number;
}

const isMarker = (line: SshdLine, marker: string): boolean =>
  line.kind === 'comment' && line.text.trim() === marker;

/** Locate lkp's block; throws SshdConfigInvalid when markers are unbalanced (never guess). */
export const findLkpBlock = (lines: readonly SshdLine[], path: string): LkpBlockRange | undefined => {
  const begins = lines.flatMap((line, i) => (isMarker(line, LKP_BEGIN_MARKER) ? [i] : []));
  const ends = lines.flatMap((line, i) => (isMarker(line, LKP_END_MARKER) ? [i] : []));
  if (begins.length === 0 && ends.length === 0) return undefined;
  const start = begins[0];
  const end = ends[0];
  if (begins.length !== 1 || ends.length !== 1 || start === undefined || end === undefined || end < start) {
    throw new LkpError(
      'SshdConfigInvalid',
      `${path}: lkp's managed block markers are missing, repeated or out of order; fix the file by hand`,
    );
  }
  return { start, end };
};

/** True for a line index inside the block (markers included). */
export const inLkpBlock = (range: LkpBlockRange | undefined, index: number): boolean =>
  range !== undefined && index >= range.start && index <= range.end;

/** The block's lines with the given line ending; values must already be validated. */
export const buildLkpBlock = (settings: LkpSshdSettings, eol: '\n' | '\r\n'): SshdRenderable[] =>
  [
    LKP_BEGIN_MARKER,
    WHY,
    `TrustedUserCAKeys ${settings.trustedUserCaKeys}`,
    `AuthorizedPrincipalsFile ${settings.authorizedPrincipalsFile}`,
    ...(settings.revokedKeys === undefined ? [] : [`RevokedKeys ${settings.revokedKeys}`]),
    ...settings.hostCertificates.map((path) => `HostCertificate ${path}`),
    LKP_END_MARKER,
  ].map((text) => ({ text, eol }));
