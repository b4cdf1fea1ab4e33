// The boot storm's parameters (scripts/bench/storm.mjs), in one place: the fleet, EC2's
// bucket, and the simulated hosts' retry loop (modelled on `lkp host`'s: full jitter).
/** Every parameter of the storm and of the simulated hosts. */
export const PARAMS = {
  hosts: 2000,
  /** Arrivals are spread uniformly over this window (the whole fleet boots within it). */
  arrivalMs: 30_000,
  /** EC2's documented bucket for non-mutating actions: 100 tokens, 20 per second, per account+region. */
  bucket: { capacity: 100, refillPerSecond: 20 },
  /** A host's retry loop: full jitter, sleep = random(0, min(cap, base * 2^(attempt-1))). */
  backoff: { baseMs: 1_000, capMs: 30_000 },
  /** A host gives up when its next try would start later than this after its first. */
  windowMs: 300_000,
  /** A host stops waiting for one answer after this (lkp's default HTTP timeout per attempt). */
  attemptTimeoutMs: 10_000,
  /** The bench stops the storm this long after the first request, finished or not. */
  boundMs: 200_000,
  progressEveryMs: 15_000,
};
