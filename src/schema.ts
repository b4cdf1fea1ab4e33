// Small strict readers for untrusted JSON: every object's keys are checked against an
// allowlist and every field's type is checked, so an unknown or mistyped field is a clear
// error naming its path instead of being silently ignored (BLESS's lesson).
import { LkpError, type ErrorCode } from './errors.js';

/** Reads fields of one JSON object; `code` is what a violation throws. */
export class ObjectReader {
  constructor(
    readonly value: Record<string, unknown>,
    readonly path: string,
    private readonly code: ErrorCode,
  ) {}

  fail(field: string, message: string): never {
    throw new LkpError(this.code, `${this.path}${field ? `.${field}` : ''}: ${message}`);
  }

  has(field: string): boolean {
    return this.get(field) !== undefined;
  }

  /** Own properties only: `constructor` or `toString` must never be read from the prototype. */
  get(field: string): unknown {
    return Object.hasOwn(this.value, field) ? this.value[field] : undefined;
  }

  string(field: string, opts: { max?: number; min?: number } = {}): string {
    const v = this.get(field);
    if (typeof v !== 'string') return this.fail(field, v === undefined ? 'is required' : 'must be a string');
    if (v.length < (opts.min ?? 1)) this.fail(field, 'must not be empty');
    if (opts.max !== undefined && v.length > opts.max) this.fail(field, `must be at most ${opts.max} characters`);
    return v;
  }

  optionalString(field: string, opts: { max?: number } = {}): string | undefined {
    return this.has(field) ? this.string(field, opts) : undefined;
  }

  integer(field: string, opts: { min?: number; max?: number } = {}): number {
    const v = this.get(field);
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return this.fail(field, v === undefined ? 'is required' : 'must be an integer');
    if (opts.min !== undefined && v < opts.min) this.fail(field, `must be at least ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) this.fail(field, `must be at most ${opts.max}`);
    return v;
  }

  optionalInteger(field: string, opts: { min?: number; max?: number } = {}): number | undefined {
    return this.has(field) ? this.integer(field, opts) : undefined;
  }

  boolean(field: string, fallback: boolean): boolean {
    const v = this.get(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') return this.fail(field, 'must be true or false');
    return v;
  }

  array(field: string, opts: { min?: number; max?: number } = {}): unknown[] {
    const v = this.get(field);
    if (!Array.isArray(v)) return this.fail(field, v === undefined ? 'is required' : 'must be a list');
    if (v.length < (opts.min ?? 0)) this.fail(field, `must have at least ${opts.min} entries`);
    if (opts.max !== undefined && v.length > opts.max) this.fail(field, `must have at most ${opts.max} entries`);
    return v;
  }

  stringArray(field: string, opts: { min?: number; max?: number; maxLength?: number } = {}): string[] {
    return this.array(field, opts).map((item, i) => {
      if (typeof item !== 'string' || item.length === 0) return this.fail(`${field}[${i}]`, 'must be a non-empty string');
      if (opts.maxLength !== undefined && item.length > opts.maxLength) this.fail(`${field}[${i}]`, `must be at most ${opts.maxLength} characters`);
      return item;
    });
  }

  optionalStringArray(field: string, opts: { min?: number; max?: number; maxLength?: number } = {}): string[] | undefined {
    return this.has(field) ? this.stringArray(field, opts) : undefined;
  }

  object(field: string, allowed: readonly string[]): ObjectReader {
    return readObject(this.get(field), `${this.path}.${field}`, allowed, this.code);
  }

  optionalObject(field: string, allowed: readonly string[]): ObjectReader | undefined {
    return this.has(field) ? this.object(field, allowed) : undefined;
  }

  oneOf<T extends string>(field: string, choices: readonly T[], fallback?: T): T {
    const v = this.get(field);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      return this.fail(field, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
    }
    return v as T;
  }
}

/** Checks `value` is a plain object with only `allowed` keys. */
export const readObject = (value: unknown, path: string, allowed: readonly string[], code: ErrorCode): ObjectReader => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LkpError(code, `${path}: must be an object`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new LkpError(code, `${path}: unknown field ${JSON.stringify(key.slice(0, 64))}`);
  }
  return new ObjectReader(value as Record<string, unknown>, path, code);
};
