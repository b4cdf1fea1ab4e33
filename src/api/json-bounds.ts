// Bounds an already-parsed JSON value (its serialised size and nesting depth) without
// recursion, so a deeply nested body cannot overflow the stack of whoever walks it next.
// The Lambda runtime hands the handler a parsed event, so the bytes alone cannot be trusted.
import { LkpError } from '../errors.js';

export interface JsonLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
}

const scalarSize = (value: unknown): number => {
  if (typeof value === 'string') return JSON.stringify(value).length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  return 4; // null, and anything JSON would not carry
};

const tooLarge = (limits: JsonLimits): LkpError => new LkpError('PayloadTooLarge', `request is larger than ${limits.maxBytes} bytes`);

/** Throws PayloadTooLarge past `maxBytes` (as JSON) or BadRequest past `maxDepth` levels. */
export const checkJsonBounds = (value: unknown, limits: JsonLimits): void => {
  let size = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop() as [unknown, number];
    if (typeof item === 'object' && item !== null) {
      if (depth >= limits.maxDepth) throw new LkpError('BadRequest', `request is nested deeper than ${limits.maxDepth} levels`);
      // Every element costs at least two bytes (value and comma): refuse huge lists unwalked.
      if (Array.isArray(item) && size + 2 * item.length > limits.maxBytes) throw tooLarge(limits);
      const entries = Array.isArray(item) ? item.map((v): [string, unknown] => ['', v]) : Object.entries(item);
      size += 2 + Math.max(0, entries.length - 1);
      for (const [key, child] of entries) {
        if (!Array.isArray(item)) size += JSON.stringify(key).length + 1;
        pending.push([child, depth + 1]);
      }
    } else size += scalarSize(item);
    // Size grows with every node, so this also ends a walk over a cyclic value.
    if (size > limits.maxBytes) throw tooLarge(limits);
  }
};
