import { CodecError } from './errors';

/**
 * One growable buffer that frames and values are encoded straight into, reused for every message
 * (postgres.js `bytes.js`). Multi-byte integers are big-endian, as CQL messages are (spec section 3);
 * v5 framing writes its little-endian headers itself.
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.pos = 0;
  }

  /**
   * After an unusually large message: a buffer grown past `maxKept` bytes is dropped for a fresh one of
   * `size` bytes (and the writer reset), so one big request does not hold its memory for the writer's life.
   */
  shrink(maxKept: number, size: number): void {
    if (this.buf.length <= maxKept) return;
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
  }

  /** Makes room for `n` more bytes, doubling the buffer; what is written so far is kept. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  // u16, i32 and shortBytes store bytes directly when the value is in range: they run for every request
  // (consistency, flags, lengths), and Buffer's write methods validate at some cost. Anything else goes
  // through Buffer's method, which throws its RangeError as before.
  u16(v: number): void {
    this.ensure(2);
    const at = this.pos;
    if ((v & 0xffff) === v) {
      this.buf[at] = v >>> 8;
      this.buf[at + 1] = v & 0xff;
    } else {
      this.buf.writeUInt16BE(v, at);
    }
    this.pos = at + 2;
  }

  i32(v: number): void {
    this.ensure(4);
    const at = this.pos;
    if ((v | 0) === v) {
      const b = this.buf;
      b[at] = v >>> 24;
      b[at + 1] = (v >>> 16) & 0xff;
      b[at + 2] = (v >>> 8) & 0xff;
      b[at + 3] = v & 0xff;
    } else {
      this.buf.writeInt32BE(v, at);
    }
    this.pos = at + 4;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  /** A 64-bit integer given as its high and low 32-bit halves (no BigInt on the hot path). */
  i64(hi: number, lo: number): void {
    this.ensure(8);
    this.buf.writeInt32BE(hi | 0, this.pos);
    this.buf.writeUInt32BE(lo >>> 0, this.pos + 4);
    this.pos += 8;
  }

  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** Raw bytes, no length prefix. */
  raw(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** [string]: u16 length then UTF-8. */
  string(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0xffff) throw new CodecError(`string of ${len} bytes is too long for [string]`);
    this.ensure(2 + len);
    this.buf.writeUInt16BE(len, this.pos);
    this.buf.write(s, this.pos + 2, len, 'utf8');
    this.pos += 2 + len;
  }

  /** [long string]: i32 length then UTF-8. */
  longString(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.ensure(4 + len);
    this.buf.writeInt32BE(len, this.pos);
    this.buf.write(s, this.pos + 4, len, 'utf8');
    this.pos += 4 + len;
  }

  /** [bytes]: i32 length then the bytes; null is length -1. */
  bytes(b: Uint8Array | null): void {
    if (b === null) {
      this.i32(-1);
      return;
    }
    this.ensure(4 + b.length);
    this.buf.writeInt32BE(b.length, this.pos);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.length;
  }

  /** [short bytes]: u16 length then the bytes. */
  shortBytes(b: Uint8Array): void {
    const n = b.length;
    if (n > 0xffff) throw new CodecError(`${n} bytes is too long for [short bytes]`);
    this.ensure(2 + n);
    const buf = this.buf;
    const at = this.pos + 2;
    buf[at - 2] = n >>> 8;
    buf[at - 1] = n & 0xff;
    // Statement ids (16-20 bytes) on every EXECUTE: a loop is cheaper than set(), which makes a view per call.
    if (n <= 32) for (let i = 0; i < n; i++) buf[at + i] = b[i]!;
    else buf.set(b, at);
    this.pos = at + n;
  }

  /** [string list]. */
  stringList(list: readonly string[]): void {
    this.u16(list.length);
    for (let i = 0; i < list.length; i++) this.string(list[i]!);
  }

  /** [string map]. */
  stringMap(map: Readonly<Record<string, string>>): void {
    const keys = Object.keys(map);
    this.u16(keys.length);
    for (let i = 0; i < keys.length; i++) {
      this.string(keys[i]!);
      this.string(map[keys[i]!]!);
    }
  }

  /** [bytes map], used by custom payloads. */
  bytesMap(map: Readonly<Record<string, Uint8Array>>): void {
    const keys = Object.keys(map);
    this.u16(keys.length);
    for (let i = 0; i < keys.length; i++) {
      this.string(keys[i]!);
      this.bytes(map[keys[i]!]!);
    }
  }

  /** Overwrites an i32 at an earlier position, for lengths known only after the body is written. */
  patchI32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  /** A view of what was written (valid until the next write or reset). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/**
 * Reads big-endian protocol values from `buf[pos, end)`. Every read is bounds-checked against `end`,
 * not the buffer's length, so a decoder can never read past its own frame into the next one.
 */
export class ByteReader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  reset(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new CodecError(`truncated message: need ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** n bytes as a view into the source buffer (no copy). */
  slice(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  string(): string {
    const len = this.u16();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  longString(): string {
    const len = this.i32();
    if (len < 0) throw new CodecError(`negative [long string] length ${len}`);
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** [bytes] as a view; null for a negative length. */
  bytes(): Buffer | null {
    const len = this.i32();
    if (len < 0) return null;
    return this.slice(len);
  }

  shortBytes(): Buffer {
    return this.slice(this.u16());
  }

  stringList(): string[] {
    const n = this.u16();
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.string();
    return out;
  }

  stringMap(): Record<string, string> {
    const n = this.u16();
    const out: Record<string, string> = {};
    for (let i = 0; i < n; i++) out[this.string()] = this.string();
    return out;
  }

  stringMultimap(): Record<string, string[]> {
    const n = this.u16();
    const out: Record<string, string[]> = {};
    for (let i = 0; i < n; i++) out[this.string()] = this.stringList();
    return out;
  }

  bytesMap(): Record<string, Buffer | null> {
    const n = this.u16();
    const out: Record<string, Buffer | null> = {};
    for (let i = 0; i < n; i++) out[this.string()] = this.bytes();
    return out;
  }

  /** [inet]: u8 size, address bytes, i32 port. Returned as "ip:port". */
  inet(): { address: string; port: number } {
    const size = this.u8();
    const addr = this.slice(size);
    const port = this.i32();
    return { address: formatIp(addr), port };
  }
}

/** Formats a 4- or 16-byte address the way Node prints one. */
export function formatIp(addr: Uint8Array): string {
  if (addr.length === 4) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  if (addr.length === 16) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(((addr[i]! << 8) | addr[i + 1]!).toString(16));
    // Compress the longest run of zero groups, as RFC 5952 prints it.
    let best = -1,
      bestLen = 0;
    for (let i = 0; i < 8;) {
      if (parts[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && parts[j] === '0') j++;
      if (j - i > bestLen && j - i > 1) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (best < 0) return parts.join(':');
    return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
  }
  throw new CodecError(`bad inet address length ${addr.length}`);
}
