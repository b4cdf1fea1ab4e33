import { describe, expect, it } from 'vitest';
import { checkJsonBounds } from '../../src/api/json-bounds.js';
import { LkpError } from '../../src/errors.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof LkpError ? error.code : String(error);
  }
  return undefined;
};

/** mulberry32: seeded, so a failing value can be replayed. */
const prng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

// Strings mixing plain ASCII with what JSON escapes: quotes, backslashes, controls, a lone
// surrogate, and non-ASCII that it does not.
const PIECES = ['abc', '"', '\\', '\n', '\u0001', '\u001f', 'é', '日本', '\ud83d\ude00', '\ud800', ' ', '\u2028'];

const randomJson = (rnd: () => number, depth: number): unknown => {
  const pick = Math.floor(rnd() * (depth > 3 ? 4 : 6));
  const text = (): string => Array.from({ length: Math.floor(rnd() * 6) }, () => PIECES[Math.floor(rnd() * PIECES.length)]).join('');
  switch (pick) {
    case 0:
      return text();
    case 1:
      return Math.floor(rnd() * 1e6) - 5e5 + (rnd() < 0.3 ? 0.25 : 0);
    case 2:
      return rnd() < 0.5 ? rnd() < 0.5 : null;
    case 3:
      return '';
    case 4:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomJson(rnd, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [text(), randomJson(rnd, depth + 1)]));
  }
};

describe('checkJsonBounds', () => {
  it('ok/the size it counts is exactly the JSON length: a bound at that length passes, one below is PayloadTooLarge', () => {
    const rnd = prng(11);
    for (let i = 0; i < 500; i += 1) {
      const value = randomJson(rnd, 0);
      const length = JSON.stringify(value).length;
      expect(codeOf(() => checkJsonBounds(value, { maxBytes: length, maxDepth: 64 })), JSON.stringify(value)).toBeUndefined();
      expect(codeOf(() => checkJsonBounds(value, { maxBytes: length - 1, maxDepth: 64 })), JSON.stringify(value)).toBe('PayloadTooLarge');
    }
  });

  it('ok/any bound at or above the exact JSON length passes, also far above it (counted without scanning strings) and in between', () => {
    const rnd = prng(12);
    for (let i = 0; i < 500; i += 1) {
      const value = randomJson(rnd, 0);
      const length = JSON.stringify(value).length;
      for (const maxBytes of [length, length + 1, length + Math.floor(rnd() * 5 * length), 6 * length + 64, 32 * 1024]) {
        if (maxBytes < length) continue;
        expect(codeOf(() => checkJsonBounds(value, { maxBytes, maxDepth: 64 })), JSON.stringify(value)).toBeUndefined();
      }
      expect(codeOf(() => checkJsonBounds(value, { maxBytes: length - 1, maxDepth: 64 })), JSON.stringify(value)).toBe('PayloadTooLarge');
    }
  });

  it('bad/nesting past the limit is BadRequest; a cycle ends as PayloadTooLarge', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i += 1) deep = [deep];
    expect(codeOf(() => checkJsonBounds(deep, { maxBytes: 1_000_000, maxDepth: 16 }))).toBe('BadRequest');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(codeOf(() => checkJsonBounds(cyclic, { maxBytes: 10_000, maxDepth: 100_000 }))).toBe('PayloadTooLarge');
  });
});
