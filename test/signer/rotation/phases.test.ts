import { describe, expect, it } from 'vitest';
import { LkpError } from '../../../src/errors.js';
import { parseSignerConfig } from '../../../src/signer/config.js';
import { applyRotationStep, rotationStatus, type RotationStep } from '../../../src/signer/rotation/phases.js';

const T0 = new Date('2026-12-01T00:00:00Z');
const hours = (h: number): Date => new Date(T0.getTime() + h * 3600_000);

const doc = (extra: Record<string, unknown> = {}) => ({
  version: 1,
  serverId: 'lkp-test',
  hostCa: { store: 'file', paths: ['host_ca'] },
  userCa: { store: 'kms', keyIds: ['alias/user-ca'], region: 'eu-west-1' },
  rules: [],
  ...extra,
});

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof LkpError ? error.code : 'not-lkp';
  }
  return undefined;
};

const step = (s: RotationStep, d: unknown, role: 'host' | 'user', now: Date, more: { force?: boolean; nextKey?: string } = {}) => applyRotationStep(s, { doc: d, source: '/etc/lkp/signer.json', role, now, ...more });

describe('CA rotation phases', () => {
  it('ok/add-next -> promote -> retire rewrites only that role, keeps paths as written, and ends with the next key alone', () => {
    const added = step('add-next', doc(), 'user', T0, { nextKey: 'alias/user-ca-2027' }).doc;
    expect(added.userCa).toEqual({ store: 'kms', keyIds: ['alias/user-ca', 'alias/user-ca-2027'], region: 'eu-west-1', rotation: { phase: 'next-added', addedAt: '2026-12-01T00:00:00Z' } });
    expect(added.hostCa).toEqual(doc().hostCa);
    const promoted = step('promote', added, 'user', hours(13));
    expect(promoted.forcedEarly).toBeUndefined();
    expect(promoted.doc.userCa).toMatchObject({ keyIds: ['alias/user-ca-2027', 'alias/user-ca'], rotation: { phase: 'promoted', addedAt: '2026-12-01T00:00:00Z', promotedAt: '2026-12-01T13:00:00Z' } });
    const retired = step('retire', promoted.doc, 'user', hours(26)).doc;
    expect(retired.userCa).toEqual({ store: 'kms', keyIds: ['alias/user-ca-2027'], region: 'eu-west-1' });
    // Every intermediate document is a valid config.
    for (const d of [added, promoted.doc, retired]) expect(() => parseSignerConfig(d, 'x.json')).not.toThrow();

    const fileAdded = step('add-next', doc(), 'host', T0, { nextKey: 'host_ca.next' }).doc;
    expect(fileAdded.hostCa).toMatchObject({ paths: ['host_ca', 'host_ca.next'] });
  });

  it('fail/promote and retire before one host-renewal interval: RotationTooEarly; --force returns what it skipped', () => {
    const added = step('add-next', doc(), 'host', T0, { nextKey: 'host_ca.next' }).doc;
    expect(codeOf(() => step('promote', added, 'host', hours(12.9)))).toBe('RotationTooEarly');
    const forced = step('promote', added, 'host', hours(1), { force: true });
    expect(forced.forcedEarly?.allowedAt.toISOString()).toBe('2026-12-01T13:00:00.000Z');
    expect(codeOf(() => step('retire', forced.doc, 'host', hours(13.9)))).toBe('RotationTooEarly');
    expect(() => step('retire', forced.doc, 'host', hours(14))).not.toThrow();
  });

  it('ok/the interval is a config value (rotation.hostRenewalInterval)', () => {
    const added = step('add-next', doc({ rotation: { hostRenewalInterval: '2h' }, certificates: { user: { default: '1h', max: '1h' } } }), 'host', T0, { nextKey: 'n' }).doc;
    expect(codeOf(() => step('promote', added, 'host', hours(1.9)))).toBe('RotationTooEarly');
    expect(() => step('promote', added, 'host', hours(2))).not.toThrow();
  });

  it('ok/a longer user certificate lifetime lengthens the wait (laptops cache certificates and host CA lists that long)', () => {
    const added = step('add-next', doc({ certificates: { user: { default: '1h', max: '2d' } } }), 'user', T0, { nextKey: 'alias/n' }).doc;
    expect(codeOf(() => step('promote', added, 'user', hours(47)))).toBe('RotationTooEarly');
    expect(() => step('promote', added, 'user', hours(48))).not.toThrow();
  });

  it('fail/steps out of order, a second key outside a rotation, the current key as next: UsageError', () => {
    expect(codeOf(() => step('promote', doc(), 'host', T0))).toBe('UsageError');
    expect(codeOf(() => step('retire', doc(), 'host', T0))).toBe('UsageError');
    const added = step('add-next', doc(), 'host', T0, { nextKey: 'n' }).doc;
    expect(codeOf(() => step('add-next', added, 'host', T0, { nextKey: 'm' }))).toBe('UsageError');
    expect(codeOf(() => step('retire', added, 'host', hours(100)))).toBe('UsageError');
    expect(codeOf(() => step('add-next', doc({ hostCa: { store: 'file', paths: ['a', 'b'] } }), 'host', T0, { nextKey: 'c' }))).toBe('UsageError');
    expect(codeOf(() => step('add-next', doc(), 'host', T0, { nextKey: './host_ca' }))).toBe('UsageError');
    expect(codeOf(() => step('add-next', doc(), 'host', T0))).toBe('UsageError');
  });

  it('fail/a config whose rotation does not match its keys is ConfigInvalid', () => {
    expect(codeOf(() => parseSignerConfig(doc({ hostCa: { store: 'file', paths: ['a'], rotation: { phase: 'next-added', addedAt: '2026-12-01T00:00:00Z' } } }), 'x'))).toBe('ConfigInvalid');
    expect(codeOf(() => parseSignerConfig(doc({ hostCa: { store: 'file', paths: ['a', 'b'], rotation: { phase: 'promoted', addedAt: '2026-12-01T00:00:00Z' } } }), 'x'))).toBe('ConfigInvalid');
    expect(codeOf(() => parseSignerConfig(doc({ hostCa: { store: 'file', paths: ['a', 'b'], rotation: { phase: 'next-added', addedAt: 'yesterday' } } }), 'x'))).toBe('ConfigInvalid');
    expect(codeOf(() => parseSignerConfig(doc({ rotation: { hostRenewalInterval: 'soon' } }), 'x'))).toBe('ConfigInvalid');
  });

  it('ok/status: phase, keys with their roles, when add-next happened and when the next step is allowed', () => {
    const added = step('add-next', doc(), 'host', T0, { nextKey: 'host_ca.next' }).doc;
    const published = [
      { publicKey: 'ssh-ed25519 AAAA-current', fingerprint: 'SHA256:current' },
      { publicKey: 'ssh-ed25519 AAAA-next', fingerprint: 'SHA256:next' },
    ];
    const s = rotationStatus(parseSignerConfig(added, '/etc/lkp/signer.json'), 'host', published);
    expect(s).toMatchObject({ ca: 'host', phase: 'next-added', store: 'file', addedAt: '2026-12-01T00:00:00Z', promotedAt: null, nextStep: 'promote', nextStepAllowedAt: '2026-12-01T13:00:00Z', hostRenewalInterval: 46800, stepWaitSeconds: 46800 });
    expect(s.keys.map((k) => [k.ref, k.role, k.signing, k.fingerprint])).toEqual([
      ['/etc/lkp/host_ca', 'current', true, 'SHA256:current'],
      ['/etc/lkp/host_ca.next', 'next', false, 'SHA256:next'],
    ]);
    expect(rotationStatus(parseSignerConfig(doc(), 'x'), 'user', published.slice(0, 1))).toMatchObject({ phase: 'steady', nextStep: null, nextStepAllowedAt: null });
  });
});
