// SSH wire encoding (RFC 4251 §5): the primitives every key, certificate and signature
// blob is made of. The reader is strict: any read past the end, or a length that does
// not fit, is a malformed blob — never a partial value.
import { isUtf8 } from 'node:buffer';
import { LkpError } from '../errors.js';

/** Hard cap on any single length-prefixed field; no legitimate key or cert field is near it. */
const MAX_FIELD = 64 * 1024;

/**
 * Accumulates SSH wire fields into one growing buffer. Issuance writes a few dozen fields
 * per certificate: one buffer instead of a Buffer per field keeps the garbage collector
 * out of the signer's hot path.
 */
export class SshWriter {
  private buf: Buffer;
  private length = 0;

  /** `sizeHint`: the expected size in bytes (the buffer grows past it as needed). */
  constructor(sizeHint = 128) {
    this.buf = Buffer.allocUnsafe(sizeHint);
  }

  private room(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, at + n));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.length = at + n;
    return at;
  }

  uint32(value: number): this {
    const at = this.room(4); // before reading this.buf: room() may replace it
    this.buf.writeUInt32BE(value >>> 0, at);
    return this;
  }

  uint64(value: bigint): this {
    const at = this.room(8);
    this.buf.writeBigUInt64BE(value, at);
    return this;
  }

  /** A length-prefixed byte string (or UTF-8 text). */
  string(value: Uint8Array | string): this {
    if (typeof value === 'string') {
      const n = Buffer.byteLength(value, 'utf8');
      const at = this.room(4 + n);
      this.buf.writeUInt32BE(n, at);
      this.buf.write(value, at + 4, n, 'utf8');
      return this;
    }
    const at = this.room(4 + value.length);
    this.buf.writeUInt32BE(value.length, at);
    this.buf.set(value, at + 4);
    return this;
  }

  /** A positive multiple-precision integer from its unsigned big-endian bytes. */
  mpint(unsigned: Uint8Array): this {
    let start = 0;
    while (start < unsigned.length && unsigned[start] === 0) start += 1;
    const body = unsigned.subarray(start);
    const pad = body.length > 0 && ((body[0] as number) & 0x80) !== 0 ? 1 : 0;
    const at = this.room(4 + pad + body.length);
    this.buf.writeUInt32BE(pad + body.length, at);
    if (pad) this.buf[at + 4] = 0;
    this.buf.set(body, at + 4 + pad);
    return this;
  }

  raw(value: Uint8Array): this {
    const at = this.room(value.length);
    this.buf.set(value, at);
    return this;
  }

  /** A string whose content `fill` writes in place (its length is filled in afterwards). */
  nested(fill: (writer: this) => void): this {
    const at = this.room(4);
    fill(this);
    this.buf.writeUInt32BE(this.length - at - 4, at);
    return this;
  }

  /** The bytes written so far (a view: later writes only append, so it never changes). */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
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

  // Fixed-size fields are read in place: a view per length prefix would be garbage.
  private skip(n: number, field: string): number {
    const at = this.offset;
    if (at + n > this.data.length) this.fail(`truncated ${field}`);
    this.offset = at + n;
    return at;
  }

  uint8(field = 'byte'): number {
    return this.data.readUInt8(this.skip(1, field));
  }

  uint32(field = 'uint32'): number {
    return this.data.readUInt32BE(this.skip(4, field));
  }

  uint64(field = 'uint64'): bigint {
    return this.data.readBigUInt64BE(this.skip(8, field));
  }

  bytes(field = 'string'): Buffer {
    const length = this.uint32(`${field} length`);
    if (length > MAX_FIELD) this.fail(`${field} is too long`);
    return this.take(length, field);
  }

  /** A UTF-8 string that must be valid UTF-8 (no replacement characters slipped in). */
  text(field = 'string'): string {
    const raw = this.bytes(field);
    // Checked on the bytes (no re-encoding): decoding would turn bad sequences into U+FFFD.
    if (!isUtf8(raw)) this.fail(`${field} is not valid UTF-8`);
    return raw.toString('utf8');
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
