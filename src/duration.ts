// Durations as operators write them ("90s", "10m", "12h", "30d"), parsed into seconds.
import { LkpError, type ErrorCode } from './errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses `N[s|m|h|d|w]` (or a bare number of seconds) into seconds. */
export const parseDuration = (value: unknown, what: string, code: ErrorCode = 'UsageError'): number => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  const match = typeof value === 'string' ? /^([1-9][0-9]{0,8})([smhdw]?)$/.exec(value.trim()) : null;
  if (!match) throw new LkpError(code, `${what}: ${JSON.stringify(value)} is not a duration like 90s, 10m, 12h or 30d`);
  return Number(match[1]) * (UNITS[match[2] || 's'] as number);
};
