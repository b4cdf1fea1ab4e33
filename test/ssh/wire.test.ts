import { describe, expect, it } from 'vitest';
import { SshReader, SshWriter } from '../../src/ssh/wire.js';

// The writer grows one buffer in place; every field must land intact however often it grows.
describe('SshWriter', () => {
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const u64 = (n: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(n);
    return b;
  };
  const str = (b: Buffer): Buffer => Buffer.concat([u32(b.length), b]);

  for (const hint of [1, 3, 7, 64, 4096]) {
    it(`ok/fields written across buffer growth (size hint ${hint}) are the reference bytes`, () => {
      const big = Buffer.alloc(1000, 0xab);
      const w = new SshWriter(hint)
        .uint32(0xdeadbeef)
        .uint64(0xfffffffffffffffen)
        .string('héllo')
        .string(big)
        .mpint(Buffer.from([0, 0, 0x80, 1]))
        .mpint(Buffer.from([0x7f]))
        .raw(Buffer.from('raw'))
        .nested((inner) => inner.string('a').uint32(5).string(big.subarray(0, 300)))
        .uint32(7);
      const expected = Buffer.concat([
        u32(0xdeadbeef),
        u64(0xfffffffffffffffen),
        str(Buffer.from('héllo')),
        str(big),
        str(Buffer.from([0, 0x80, 1])),
        str(Buffer.from([0x7f])),
        Buffer.from('raw'),
        str(Buffer.concat([str(Buffer.from('a')), u32(5), str(big.subarray(0, 300))])),
        u32(7),
      ]);
      const out = w.toBuffer();
      expect(out.equals(expected)).toBe(true);
      // A result taken earlier never changes when the writer goes on.
      const copy = Buffer.from(out);
      w.string(big).uint32(1);
      expect(out.equals(copy)).toBe(true);
      const r = new SshReader(expected, 'test');
      expect(r.uint32()).toBe(0xdeadbeef);
      expect(r.uint64()).toBe(0xfffffffffffffffen);
      expect(r.text()).toBe('héllo');
    });
  }
});
