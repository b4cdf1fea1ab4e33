import { describe, expect, it } from 'vitest';
import { checkUserCaContinuity } from '../../src/host/bootstrap.js';
import { fingerprint, parsePublicKey } from '../../src/ssh/public-key.js';
import { makeCa } from '../helpers/ca.js';

describe('user CA continuity', () => {
  const a = parsePublicKey(makeCa().publicLine);
  const b = parsePublicKey(makeCa().publicLine);
  const c = parsePublicKey(makeCa().publicLine);
  it('ok/first run, a rotation that keeps a key, an explicit acceptance, a matching pin', () => {
    expect(() => checkUserCaContinuity([a], [], {})).not.toThrow();
    expect(() => checkUserCaContinuity([b, a], [a], {})).not.toThrow();
    expect(() => checkUserCaContinuity([c], [a, b], { acceptNewUserCa: true })).not.toThrow();
    expect(() => checkUserCaContinuity([a, b], [], { userCaFingerprints: [fingerprint(a), fingerprint(b)] })).not.toThrow();
  });
  it('fail/a complete swap, or a key outside the pin', () => {
    expect(() => checkUserCaContinuity([c], [a, b], {})).toThrow(/share none/);
    expect(() => checkUserCaContinuity([a, c], [], { userCaFingerprints: [fingerprint(a)] })).toThrow(/does not pin/);
  });
});
