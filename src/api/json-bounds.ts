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

const scalarSize = (value: unknown): number => {
  if (typeof value === 'string') return stringSize(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  return 4; // null, and anything JSON would not carry
};

const tooLarge = (limits: JsonLimits): LkpError => new LkpError('PayloadTooLarge', `request is larger than ${limits.maxBytes} bytes`);

/** Throws PayloadTooLarge past `maxBytes` (as JSON) or BadRequest past `maxDepth` levels. */
export const checkJsonBounds = (value: unknown, limits: JsonLimits): void => {
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
        if (size + 2 * item.length > limits.maxBytes) throw tooLarge(limits);
        size += 2 + Math.max(0, item.length - 1);
        for (const child of item as unknown[]) {
          pending.push(child);
          depths.push(depth + 1);
        }
      } else {
        const keys = Object.keys(item);
        size += 2 + Math.max(0, keys.length - 1);
        for (const key of keys) {
          size += stringSize(key) + 1;
          pending.push((item as Record<string, unknown>)[key]);
          depths.push(depth + 1);
        }
      }
    } else size += scalarSize(item);
    // Size grows with every node, so this also ends a walk over a cyclic value.
    if (size > limits.maxBytes) throw tooLarge(limits);
  }
};
