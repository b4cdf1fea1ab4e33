// SSH wire encoding (RFC 4251 §5): the primitives every key, certificate and signature
// blob is made of. The reader is strict: any read past the end, or a length that does
// not fit, is a malformed blob — never a partial value.
import { LkpError } from '../errors.js';

/** Hard cap on any single length-prefixed field; no legitimate key or cert field is near it. */
const MAX_FIELD = 64 * 1024;

/** Accumulates SSH wire fields into one buffer. */
export class SshWriter {
  private readonly parts: Buffer[] = [];

  uint32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(value >>> 0);
    this.parts.push(b);
    return this;
  }

  uint64(value: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(value);
    this.parts.push(b);
    return this;
  }

  /** A length-prefixed byte string (or UTF-8 text). */
  string(value: Uint8Array | string): this {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.uint32(data.length);
    this.parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    return this;
  }

  /** A positive multiple-precision integer from its unsigned big-endian bytes. */
  mpint(unsigned: Uint8Array): this {
    let start = 0;
    while (start < unsigned.length && unsigned[start] === 0) start += 1;
    const body = Buffer.from(unsigned.subarray(start));
    const needsPad = body.length > 0 && (body[0] as number) & 0x80;
    return this.string(needsPad ? Buffer.concat([Buffer.from([0]), body]) : body);
  }

  raw(value: Uint8Array): this {
    this.parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Reads SSH wire fields; every failure is a KeyInvalid LkpError naming the field. */
export class SshReader {
  private offset = 0;
  constructor(private readonly data: Buffer, private readonly what = 'blob') {}

  private fail(detail: string): never {
    throw new LkpError('KeyInvalid', `malformed ${this.what}: ${detail}`);
  }

  private take(n: number, field: string): Buffer {
    if (n < 0 || this.offset + n > this.data.length) this.fail(`truncated ${field}`);
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  uint8(field = 'byte'): number {
    return this.take(1, field).readUInt8(0);
  }

  uint32(field = 'uint32'): number {
    return this.take(4, field).readUInt32BE(0);
  }

  uint64(field = 'uint64'): bigint {
    return this.take(8, field).readBigUInt64BE(0);
  }

  bytes(field = 'string'): Buffer {
    const length = this.uint32(`${field} length`);
    if (length > MAX_FIELD) this.fail(`${field} is too long`);
    return this.take(length, field);
  }

  /** A UTF-8 string that must be valid UTF-8 (no replacement characters slipped in). */
  text(field = 'string'): string {
    const raw = this.bytes(field);
    const text = raw.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(raw)) this.fail(`${field} is not valid UTF-8`);
    return text;
  }

  /** A non-negative mpint, returned as minimal unsigned big-endian bytes. */
  mpint(field = 'mpint'): Buffer {
    const raw = this.bytes(field);
    if (raw.length === 0) return raw;
    if ((raw[0] as number) & 0x80) this.fail(`${field} is negative`);
    if (raw[0] === 0 && (raw.length === 1 || !((raw[1] as number) & 0x80))) this.fail(`${field} is not minimally encoded`);
    return raw[0] === 0 ? raw.subarray(1) : raw;
  }

  /** Bytes consumed so far (to slice out the signed part of a certificate). */
  position(): number {
    return this.offset;
  }

  remaining(): number {
    return this.data.length - this.offset;
  }

  /** Every blob must be consumed exactly: trailing bytes are a classic smuggling trick. */
  end(): void {
    if (this.remaining() !== 0) this.fail(`${this.remaining()} trailing bytes`);
  }
}

/** Splits a length-prefixed list of strings (the principals field). */
export const readStringList = (data: Buffer, what: string): string[] => {
  const reader = new SshReader(data, what);
  const out: string[] = [];
  while (reader.remaining() > 0) out.push(reader.text(what));
  return out;
};
