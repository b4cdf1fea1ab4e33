// Bounds an already-parsed JSON value (its serialised size and nesting depth) without
// recursion, so a deeply nested body cannot overflow the stack of whoever walks it next.
// The Lambda runtime hands the handler a parsed event, so the bytes alone cannot be trusted.
import { LkpError } from '../errors.js';

export interface JsonLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
}

// Characters JSON.stringify escapes (quote, backslash, controls) or may (lone surrogates).
// A string without them serialises to its length plus two quotes: no need to build it.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const stringSize = (value: string): number => (NEEDS_ESCAPE.test(value) ? JSON.stringify(value).length : value.length + 2);

const tooLarge = (limits: JsonLimits): LkpError => new LkpError('PayloadTooLarge', `request is larger than ${limits.maxBytes} bytes`);

const scalarSize = (value: unknown, sizeOfString: (value: string) => number): number => {
  if (typeof value === 'string') return sizeOfString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  return 4; // null, and anything JSON would not carry
};

// The most a string can take as JSON: every UTF-16 unit escaped as \uXXXX. Counting with it
// needs no scan of the string; a request that fits even so is within bounds.
const stringSizeAtMost = (value: string): number => 6 * value.length + 2;

/**
 * Walks `value` adding up its JSON size with `sizeOfString`; false as soon as it passes
 * `maxBytes` (so a cyclic value ends too); throws BadRequest past `maxDepth` levels.
 */
const fitsWith = (value: unknown, limits: JsonLimits, sizeOfString: (value: string) => number): boolean => {
  let size = 0;
  // Two parallel stacks (value, depth): the signer walks every request twice, so no pair objects.
  const pending: unknown[] = [value];
  const depths: number[] = [0];
  while (pending.length > 0) {
    const item = pending.pop();
    const depth = depths.pop() as number;
    if (typeof item === 'object' && item !== null) {
      if (depth >= limits.maxDepth) throw new LkpError('BadRequest', `request is nested deeper than ${limits.maxDepth} levels`);
      if (Array.isArray(item)) {
        // Every element costs at least two bytes (value and comma): refuse huge lists unwalked.
        if (size + 2 * item.length > limits.maxBytes) return false;
        size += 2 + Math.max(0, item.length - 1);
        for (const child of item as unknown[]) {
          pending.push(child);
          depths.push(depth + 1);
        }
      } else {
        const keys = Object.keys(item);
        size += 2 + Math.max(0, keys.length - 1);
        for (const key of keys) {
          size += sizeOfString(key) + 1;
          pending.push((item as Record<string, unknown>)[key]);
          depths.push(depth + 1);
        }
      }
    } else size += scalarSize(item, sizeOfString);
    // Size grows with every node, so this also ends a walk over a cyclic value.
    if (size > limits.maxBytes) return false;
  }
  return true;
};

/** Throws PayloadTooLarge past `maxBytes` (as JSON) or BadRequest past `maxDepth` levels. */
export const checkJsonBounds = (value: unknown, limits: JsonLimits): void => {
  // Most requests are far below the limit even with every character escaped: one walk
  // without scanning strings. Only one that might be too large is measured exactly (the
  // same walk, in the same order, so it meets the same depth error first).
  if (fitsWith(value, limits, stringSizeAtMost)) return;
  if (!fitsWith(value, limits, stringSize)) throw tooLarge(limits);
};
