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
  it('ok/each step of a proper rotation: add-next (superset), promote (same set, reordered), retire (subset keeping a key the host trusted)', () => {
    // current = a, next = b
    expect(() => checkUserCaContinuity([a, b], [a], {})).not.toThrow();
    expect(() => checkUserCaContinuity([b, a], [a, b], {})).not.toThrow();
    expect(() => checkUserCaContinuity([b], [a, b], {})).not.toThrow();
    // a host that renewed at promote and again at retire, and one that missed promote
    expect(() => checkUserCaContinuity([b], [b, a], {})).not.toThrow();
  });
  it('fail/an unrelated set at any phase, and a retire that reaches a host which never saw add-next', () => {
    expect(() => checkUserCaContinuity([c, b], [a], {})).toThrow(expect.objectContaining({ code: 'SignerError' }));
    expect(() => checkUserCaContinuity([c], [b, a], {})).toThrow(expect.objectContaining({ code: 'SignerError' }));
    expect(() => checkUserCaContinuity([b], [a], {})).toThrow(expect.objectContaining({ code: 'SignerError' }));
  });
});
