// OpenSSH key revocation lists, written in TypeScript from PROTOCOL.krl (OpenSSH,
// "key/certificate revocation list format", $OpenBSD: PROTOCOL.krl,v 1.7). The serial
// encoding picks list, range or bitmap sections with the same byte-cost model as
// OpenSSH's own writer (krl.c, choose_next_state), so a KRL is as small as ssh-keygen's.
// No signature section: OpenSSH 9.4+ refuses a KRL carrying one; integrity comes from the
// authenticated channel that delivers it. Output is sorted, deduplicated, deterministic.
import { LkpError } from '../errors.js';
import { encodePublicKeyBlob, type PublicKey } from './public-key.js';

export interface KrlCertSection {
  /** null = "any CA" (PROTOCOL.krl allows an empty ca_key). */
  readonly caKey: PublicKey | null;
  /** Single serials or inclusive ranges. Serial 0 cannot be revoked by serial (OpenSSH refuses it). */
  readonly serials: readonly (bigint | readonly [bigint, bigint])[];
  readonly keyIds: readonly string[];
}

export interface KrlInput {
  /** krl_version: the signer uses the generation time in unix seconds. */
  readonly version: bigint;
  /** Unix seconds. */
  readonly generatedAt: number;
  readonly comment?: string;
  readonly certificates: readonly KrlCertSection[];
  /** Raw 32-byte SHA256 digests of plain public key blobs. */
  readonly sha256Fingerprints: readonly Buffer[];
}

export interface KrlHeader {
  readonly version: bigint;
  readonly generatedAt: number;
  readonly comment: string;
}

const MAGIC = Buffer.from('SSHKRL\n\0', 'latin1');
const FORMAT_VERSION = 1;
const SECTION_CERTIFICATES = 1;
const SECTION_EXPLICIT_KEY = 2;
const SECTION_FINGERPRINT_SHA1 = 3;
const SECTION_SIGNATURE = 4;
const SECTION_FINGERPRINT_SHA256 = 5;
const CERT_SERIAL_LIST = 0x20;
const CERT_SERIAL_RANGE = 0x21;
const CERT_SERIAL_BITMAP = 0x22;
const CERT_KEY_ID = 0x23;
const MAX_U64 = 0xffffffffffffffffn;
/** krl.c caps run lengths and gaps at 2^31 before costing them; so do we (keeps Number exact). */
const COST_CAP = 2n ** 31n;

type SerialState = 0 | typeof CERT_SERIAL_LIST | typeof CERT_SERIAL_RANGE | typeof CERT_SERIAL_BITMAP;

const invalid = (message: string): never => {
  throw new LkpError('KeyInvalid', message);
};

// ---- small encoders (length-prefixed parts are assembled as Buffer lists) ----

const u8 = (value: number): Buffer => Buffer.from([value]);
const u32 = (value: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value);
  return b;
};
const u64 = (value: bigint): Buffer => {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(value);
  return b;
};
const lengthOf = (parts: readonly Buffer[]): number => parts.reduce((n, p) => n + p.length, 0);
/** string: uint32 length + bytes, kept as parts to avoid copying large sections twice. */
const stringParts = (parts: readonly Buffer[]): Buffer[] => [u32(lengthOf(parts)), ...parts];
const section = (type: number, body: readonly Buffer[]): Buffer[] => [u8(type), ...stringParts(body)];

// ---- serials ----

/** Merged serial ranges, ascending, as parallel arrays (no object per serial). */
interface SerialRanges {
  readonly lo: BigUint64Array;
  readonly hi: BigUint64Array;
  readonly length: number;
}

const checkRange = (lo: unknown, hi: unknown): void => {
  if (typeof lo !== 'bigint' || typeof hi !== 'bigint') invalid('KRL serials must be integers');
  const [a, b] = [lo as bigint, hi as bigint];
  if (a < 1n || b > MAX_U64) invalid(`KRL serial range ${a}-${b} is outside 1..2^64-1 (serial 0 cannot be revoked by serial; revoke its key ID)`);
  if (a > b) invalid(`KRL serial range ${a}-${b} is reversed`);
};

/**
 * Sorted, merged inclusive ranges; overlapping and adjacent ranges coalesce (as krl.c does).
 * Single serials, the common case, sort natively in a BigUint64Array: a comparator sort of
 * 100,000 bigints costs ten times more.
 */
const normaliseSerials = (serials: KrlCertSection['serials']): SerialRanges => {
  let singles = 0;
  for (const s of serials) if (typeof s === 'bigint' || s[0] === s[1]) singles += 1;
  const single = new BigUint64Array(singles);
  const ranges: Array<readonly [bigint, bigint]> = [];
  let k = 0;
  for (const s of serials) {
    const [lo, hi] = typeof s === 'bigint' ? [s, s] : [s[0], s[1]];
    checkRange(lo, hi);
    if (lo === hi) single[k++] = lo;
    else ranges.push([lo, hi]);
  }
  single.sort();
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const outLo = new BigUint64Array(singles + ranges.length);
  const outHi = new BigUint64Array(singles + ranges.length);
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < single.length || j < ranges.length) {
    const r = ranges[j];
    const s = single[i];
    let lo: bigint;
    let hi: bigint;
    if (r === undefined || (s !== undefined && s < r[0])) {
      lo = hi = s as bigint;
      i += 1;
    } else {
      [lo, hi] = r;
      j += 1;
    }
    // Coalesce with the previous range when it overlaps or touches it.
    if (n > 0 && lo <= (outHi[n - 1] as bigint) + 1n) {
      if (hi > (outHi[n - 1] as bigint)) outHi[n - 1] = hi;
    } else {
      outLo[n] = lo;
      outHi[n] = hi;
      n += 1;
    }
  }
  return { lo: outLo, hi: outHi, length: n };
};

const capped = (n: bigint): number => Number(n < COST_CAP ? n : COST_CAP);
const bytesOf = (bits: number): number => Math.floor((bits + 7) / 8);

/**
 * The cheapest section for the next run of `contig` serials, in bytes, given the section
 * being written (krl.c's cost model: a list costs 8 bytes a serial, a range 16 bytes, a
 * bitmap one bit a serial plus the gap bits since the last one; starting a section costs
 * its type byte and, for a bitmap, its 8-byte offset).
 */
const chooseNext = (state: SerialState, contig: number, final: boolean, lastGap: number, nextGap: number): { next: SerialState; restart: boolean } => {
  let costList = 0;
  let costBitmap = 0;
  let costRestart = 0;
  let costRange = 8;
  if (state === CERT_SERIAL_LIST) costRestart = costBitmap = 8 + 64;
  else if (state === CERT_SERIAL_BITMAP) {
    costList = 8;
    costRestart = 8 + 64;
  } else {
    costRestart = costBitmap = 8 + 64;
    costList = 8;
  }
  const tail = final ? 0 : 8 + 64;
  costList = bytesOf(costList + 64 * contig + tail);
  costRange = bytesOf(costRange + 2 * 64 + tail);
  costBitmap = bytesOf(costBitmap + lastGap + contig + (final ? 0 : Math.min(nextGap, 8 + 64)));
  costRestart = bytesOf(costRestart + contig + (final ? 0 : Math.min(nextGap, 8 + 64)));
  let next: SerialState = CERT_SERIAL_BITMAP;
  let restart = false;
  let cost = costBitmap;
  if (costRange < cost) [next, cost] = [CERT_SERIAL_RANGE, costRange];
  if (costList < cost) [next, cost] = [CERT_SERIAL_LIST, costList];
  if (costRestart < cost) [next, restart] = [CERT_SERIAL_BITMAP, true];
  return { next, restart };
};

/**
 * The widest bitmap OpenSSH loads: its mpint reader stops at SSHBUF_MAX_BIGNUM (2,048 bytes),
 * so a bitmap covers at most 16,384 serials; ssh-keygen -k itself writes wider ones, which
 * sshd then refuses ("bignum is too large"), so here a dense run that long starts a new one.
 */
const MAX_BITMAP_BITS = 16_384n;

/** A bitmap as an SSH mpint: bit N (from the least significant end) is serial offset+N. */
const bitmapMpint = (bits: readonly number[]): Buffer => {
  const top = bits[bits.length - 1] as number;
  const length = Math.floor(top / 8) + 1;
  const bytes = Buffer.alloc(length);
  for (const bit of bits) bytes[length - 1 - (bit >>> 3)] = (bytes[length - 1 - (bit >>> 3)] as number) | (1 << (bit & 7));
  // The top bit set is `top`, so the value is minimal; a set high bit needs a 0 pad (positive).
  return ((bytes[0] as number) & 0x80) !== 0 ? Buffer.concat([Buffer.alloc(1), bytes]) : bytes;
};

/** The serial subsections of one certificate section, smallest encoding per run. */
const serialSections = (ranges: SerialRanges): Buffer[] => {
  const out: Buffer[] = [];
  let state: SerialState = 0;
  let list: bigint[] = [];
  let bitmapStart = 0n;
  let bits: number[] = [];
  let last = 0n;
  const flush = (): void => {
    if (state === CERT_SERIAL_LIST) {
      const body = Buffer.allocUnsafe(8 * list.length);
      list.forEach((s, i) => body.writeBigUInt64BE(s, 8 * i));
      out.push(...section(CERT_SERIAL_LIST, [body]));
    } else if (state === CERT_SERIAL_BITMAP) {
      const mpint = bitmapMpint(bits);
      out.push(...section(CERT_SERIAL_BITMAP, [u64(bitmapStart), u32(mpint.length), mpint]));
    }
    list = [];
    bits = [];
  };
  for (let i = 0; i < ranges.length; i += 1) {
    const lo = ranges.lo[i] as bigint;
    const hi = ranges.hi[i] as bigint;
    const final = i + 1 === ranges.length;
    let { next, restart } = chooseNext(state, capped(hi - lo + 1n), final, state === 0 ? 0 : capped(lo - last), final ? 0 : capped((ranges.lo[i + 1] as bigint) - hi));
    if (next === CERT_SERIAL_BITMAP) {
      // OpenSSH reads at most MAX_BITMAP_BITS of bitmap and refuses the whole KRL beyond it.
      if (hi - lo + 1n > MAX_BITMAP_BITS) [next, restart] = [CERT_SERIAL_RANGE, false];
      else if (state === CERT_SERIAL_BITMAP && !restart && hi - bitmapStart >= MAX_BITMAP_BITS) restart = true;
    }
    if (state !== 0 && (restart || next !== state || state === CERT_SERIAL_RANGE)) flush();
    if (next !== state || restart) {
      state = next;
      bitmapStart = lo;
    }
    if (state === CERT_SERIAL_RANGE) out.push(...section(CERT_SERIAL_RANGE, [u64(lo), u64(hi)]));
    else if (state === CERT_SERIAL_LIST) for (let s = lo; s <= hi; s += 1n) list.push(s);
    else {
      // The cost model only extends a bitmap across small gaps, so offsets stay small.
      const from = Number(lo - bitmapStart);
      const count = Number(hi - lo);
      for (let k = 0; k <= count; k += 1) bits.push(from + k);
    }
    last = hi;
  }
  if (state !== CERT_SERIAL_RANGE) flush();
  return out;
};

// ---- key ids, fingerprints, sections ----

const byBytes = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

/** Unique byte strings in byte order (krl.c sorts key IDs with strcmp and hashes with memcmp). */
const sortedUnique = (items: readonly Buffer[]): Buffer[] => {
  const sorted = [...items].sort(byBytes);
  return sorted.filter((b, i) => i === 0 || !b.equals(sorted[i - 1] as Buffer));
};

const keyIdBytes = (id: string): Buffer => {
  if (typeof id !== 'string') return invalid('KRL key IDs must be strings');
  // OpenSSH reads key IDs as C strings: an embedded NUL would make the KRL unreadable.
  if (id.includes('\0')) return invalid('a KRL key ID must not contain NUL');
  return Buffer.from(id, 'utf8');
};

const certificatesSection = (caBlob: Buffer, serials: KrlCertSection['serials'], keyIds: readonly Buffer[]): Buffer[] => {
  const body = [...stringParts([caBlob]), u32(0), ...serialSections(normaliseSerials(serials))];
  const ids = sortedUnique(keyIds);
  if (ids.length > 0) body.push(...section(CERT_KEY_ID, ids.flatMap((id) => stringParts([id]))));
  return section(SECTION_CERTIFICATES, body);
};

/** Encodes a KRL. Throws LkpError('KeyInvalid') for a serial, key ID or digest OpenSSH could not read. */
export const encodeKrl = (input: KrlInput): Buffer => {
  if (input.version < 0n || input.version > MAX_U64) invalid('KRL version is outside 0..2^64-1');
  if (!Number.isSafeInteger(input.generatedAt) || input.generatedAt < 0) invalid('KRL generation time must be non-negative unix seconds');
  const comment = input.comment ?? '';
  if (comment.includes('\0')) invalid('a KRL comment must not contain NUL');

  // Sections for the same CA merge (sshd merges them too); CAs in blob order, "any CA" first.
  const byCa = new Map<string, { blob: Buffer; serials: Array<KrlCertSection['serials'][number]>; keyIds: Buffer[] }>();
  for (const c of input.certificates) {
    const blob = c.caKey === null ? Buffer.alloc(0) : encodePublicKeyBlob(c.caKey);
    const key = blob.toString('hex');
    const entry = byCa.get(key) ?? { blob, serials: [], keyIds: [] };
    byCa.set(key, entry);
    for (const s of c.serials) entry.serials.push(s);
    for (const id of c.keyIds) entry.keyIds.push(keyIdBytes(id));
  }
  const cas = [...byCa.values()].filter((c) => c.serials.length > 0 || c.keyIds.length > 0).sort((a, b) => byBytes(a.blob, b.blob));

  for (const d of input.sha256Fingerprints) if (!Buffer.isBuffer(d) || d.length !== 32) invalid('a KRL SHA256 fingerprint must be 32 raw bytes');
  const digests = sortedUnique(input.sha256Fingerprints);

  const parts: Buffer[] = [MAGIC, u32(FORMAT_VERSION), u64(input.version), u64(BigInt(input.generatedAt)), u64(0n), u32(0), ...stringParts([Buffer.from(comment, 'utf8')])];
  for (const ca of cas) parts.push(...certificatesSection(ca.blob, ca.serials, ca.keyIds));
  if (digests.length > 0) parts.push(...section(SECTION_FINGERPRINT_SHA256, digests.flatMap((d) => stringParts([d]))));
  return Buffer.concat(parts);
};

// ---- reading: the header, after checking the whole file is a KRL sshd will load ----

/** A bounds-checked cursor; every failure is KeyInvalid (a truncated or foreign file). */
class KrlReader {
  private offset = 0;
  constructor(private readonly data: Buffer, private readonly what: string) {}
  private take(n: number, field: string): Buffer {
    if (n < 0 || this.offset + n > this.data.length) invalid(`malformed ${this.what}: truncated ${field}`);
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  u8(field: string): number {
    return this.take(1, field).readUInt8(0);
  }
  u32(field: string): number {
    return this.take(4, field).readUInt32BE(0);
  }
  u64(field: string): bigint {
    return this.take(8, field).readBigUInt64BE(0);
  }
  string(field: string): Buffer {
    return this.take(this.u32(`${field} length`), field);
  }
  /** A C string as OpenSSH reads it: no embedded NUL. */
  cstring(field: string): Buffer {
    const s = this.string(field);
    if (s.includes(0)) invalid(`malformed ${this.what}: ${field} contains NUL`);
    return s;
  }
  raw(n: number, field: string): Buffer {
    return this.take(n, field);
  }
  done(): boolean {
    return this.offset === this.data.length;
  }
}

const checkCertificatesSection = (body: Buffer): void => {
  const r = new KrlReader(body, 'KRL certificate section');
  r.string('CA key');
  r.string('reserved');
  while (!r.done()) {
    const type = r.u8('subsection type');
    const sub = new KrlReader(r.string('subsection'), 'KRL certificate subsection');
    switch (type) {
      case CERT_SERIAL_LIST:
        while (!sub.done()) if (sub.u64('serial') === 0n) invalid('malformed KRL: serial 0 in a list');
        break;
      case CERT_SERIAL_RANGE: {
        const lo = sub.u64('range start');
        const hi = sub.u64('range end');
        if (lo === 0n || lo > hi) invalid('malformed KRL: bad serial range');
        break;
      }
      case CERT_SERIAL_BITMAP: {
        sub.u64('bitmap offset');
        const bitmap = sub.string('bitmap');
        if (bitmap.length > 0 && ((bitmap[0] as number) & 0x80) !== 0) invalid('malformed KRL: negative bitmap');
        break;
      }
      case CERT_KEY_ID:
        while (!sub.done()) sub.cstring('key ID');
        break;
      default:
        invalid(`malformed KRL: unsupported certificate subsection ${type}`);
    }
    if (!sub.done()) invalid('malformed KRL: trailing bytes in a certificate subsection');
  }
};

/**
 * Reads a KRL's header (for status and age), after checking the whole file is one sshd
 * would load: the magic and format, every section's framing, and no signature section.
 */
export const krlHeader = (krl: Buffer): KrlHeader => {
  if (!Buffer.isBuffer(krl) || krl.length < MAGIC.length || !krl.subarray(0, MAGIC.length).equals(MAGIC)) return invalid('not an OpenSSH KRL (bad magic)');
  const r = new KrlReader(krl, 'KRL');
  r.raw(MAGIC.length, 'magic');
  if (r.u32('format version') !== FORMAT_VERSION) invalid('unsupported KRL format version');
  const version = r.u64('KRL version');
  const date = r.u64('generation date');
  r.u64('flags');
  r.string('reserved');
  const commentBytes = r.cstring('comment');
  const comment = commentBytes.toString('utf8');
  if (!Buffer.from(comment, 'utf8').equals(commentBytes)) invalid('malformed KRL: comment is not UTF-8');
  if (date > BigInt(Number.MAX_SAFE_INTEGER)) invalid('malformed KRL: generation date out of range');
  while (!r.done()) {
    const type = r.u8('section type');
    const body = r.string('section');
    switch (type) {
      case SECTION_CERTIFICATES:
        checkCertificatesSection(body);
        break;
      case SECTION_EXPLICIT_KEY:
      case SECTION_FINGERPRINT_SHA1:
      case SECTION_FINGERPRINT_SHA256: {
        const sub = new KrlReader(body, 'KRL key section');
        const size = type === SECTION_FINGERPRINT_SHA1 ? 20 : type === SECTION_FINGERPRINT_SHA256 ? 32 : 0;
        while (!sub.done()) {
          const item = sub.string('key or hash');
          if (size !== 0 && item.length !== size) invalid('malformed KRL: fingerprint of the wrong length');
        }
        break;
      }
      case SECTION_SIGNATURE:
        invalid('KRL carries a signature section, which OpenSSH 9.4 and later refuse');
        break;
      default:
        invalid(`malformed KRL: unsupported section ${type}`);
    }
  }
  return { version, generatedAt: Number(date), comment };
};
