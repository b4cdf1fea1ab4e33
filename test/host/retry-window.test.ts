// The boot-time retry window as a pure loop: which failures it retries, how long it waits
// (exponential, full jitter, capped), when it gives up, and how --retry-for is read.
import { describe, expect, it } from 'vitest';
import { backoffMs, markTransient } from '../../src/aws/transient.js';
import { LkpError } from '../../src/errors.js';
import { parseRetryWindow, retryWithin } from '../../src/host/retry-window.js';

/** A clock that only moves when the loop sleeps. */
const fakeTime = () => {
  let t = 0;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)), slept };
};

describe('--retry-for', () => {
  it('ok/durations in seconds, minutes or hours; 0 means no retries', () => {
    expect(parseRetryWindow('0')).toBe(0);
    expect(parseRetryWindow('90')).toBe(90_000);
    expect(parseRetryWindow('90s')).toBe(90_000);
    expect(parseRetryWindow('5m')).toBe(300_000);
    expect(parseRetryWindow('1h')).toBe(3_600_000);
  });
  it('fail/anything else is a usage error', () => {
    for (const bad of ['', '5 min', '-1', '1.5m', '25h', '5d', 'forever']) {
      expect(() => parseRetryWindow(bad), bad).toThrow(expect.objectContaining({ code: 'UsageError' }) as Error);
    }
  });
});

describe('retryWithin', () => {
  const w = (windowMs: number, clock = fakeTime(), random = () => 0.5) => ({ windowMs, notice: () => undefined, now: clock.now, sleep: clock.sleep, random });

  it('fail/a refusal is thrown at once: one call', async () => {
    let calls = 0;
    const refuse = async () => {
      calls += 1;
      throw new LkpError('Forbidden', 'no rule');
    };
    await expect(retryWithin('signer', refuse, w(300_000))).rejects.toMatchObject({ code: 'Forbidden' });
    expect(calls).toBe(1);
  });

  it('ok/Throttled and unreachable are retried with growing, capped, jittered waits until success', async () => {
    const clock = fakeTime();
    const lines: string[] = [];
    let calls = 0;
    const flaky = async (attempt: number) => {
      calls += 1;
      if (attempt <= 3) throw new LkpError('Throttled', 'slow down');
      if (attempt <= 7) throw markTransient(new LkpError('SignerUnreachable', 'no answer'));
      return 'ok';
    };
    const value = await retryWithin('signer', flaky, { ...w(300_000, clock, () => 0.999), notice: (l: string) => lines.push(l) });
    expect(value).toBe('ok');
    expect(calls).toBe(8);
    expect(clock.slept).toEqual([999, 1998, 3996, 7992, 15984, 29970, 29970]);
    expect(lines[0]).toMatch(/^signer: attempt 1 failed: Throttled: slow down; next try in 1 s \(299 s left of the --retry-for window\)$/);
  });

  it('fail/a window too short for the next wait ends with the last code; 0 means one try', async () => {
    const always = async () => {
      throw new LkpError('Throttled', 'slow down');
    };
    const clock = fakeTime();
    await expect(retryWithin('signer', always, w(5_000, clock))).rejects.toMatchObject({ code: 'Throttled' });
    expect(clock.slept).toEqual([500, 1000, 2000]);
    let calls = 0;
    await expect(retryWithin('signer', async () => (calls += 1, always()), w(0))).rejects.toMatchObject({ code: 'Throttled' });
    expect(calls).toBe(1);
  });

  it('ok/full jitter: a wait is anywhere from 0 up to the exponential bound', () => {
    expect(backoffMs(1, 1000, 30_000, () => 0)).toBe(0);
    expect(backoffMs(3, 1000, 30_000, () => 0.5)).toBe(2000);
    expect(backoffMs(20, 1000, 30_000, () => 0.999)).toBe(29_970);
  });
});
