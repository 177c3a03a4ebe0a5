import { CodecError } from '../errors';
import type { ByteWriter } from '../bytes';

/**
 * Cassandra's variable-length integers (native protocol v5 spec section 3, [vint]/[unsigned vint]):
 * the count of leading 1 bits of the first byte is the count of extra bytes; the remaining bits of the
 * first byte and the extra bytes hold the value, big-endian. Signed values are zigzag-encoded first.
 * 64-bit values are carried as two int32 halves, so no BigInt is needed.
 */

/** Set by the readers: the position after the vint read last, and the high half of a 64-bit result. */
export const vintState = { pos: 0, hi: 0 };

/** Reads an unsigned vint of at most 64 bits at `buf[pos, end)`: returns the low half, sets `vintState.hi`/`.pos`. */
export function readUnsignedVIntHiLo(buf: Uint8Array, pos: number, end: number): number {
  if (pos >= end) throw new CodecError('truncated vint');
  const first = buf[pos]!;
  let extra = 0;
  while (extra < 8 && (first & (0x80 >> extra)) !== 0) extra++;
  if (pos + 1 + extra > end) throw new CodecError('truncated vint');
  let hi = 0;
  let lo = extra === 8 ? 0 : first & (0xff >> (extra + 1));
  for (let i = 1; i <= extra; i++) {
    hi = (hi << 8) | (lo >>> 24);
    lo = ((lo << 8) | buf[pos + i]!) >>> 0;
  }
  vintState.pos = pos + 1 + extra;
  vintState.hi = hi | 0;
  return lo | 0;
}

/** Reads an unsigned vint that must fit an int32 length (vector element sizes). */
export function readUnsignedVInt32(buf: Uint8Array, pos: number, end: number): number {
  const lo = readUnsignedVIntHiLo(buf, pos, end);
  if (vintState.hi !== 0 || lo < 0) throw new CodecError('vint length out of range');
  return lo;
}

/** Reads a signed (zigzag) vint: returns the low half, sets `vintState.hi`/`.pos`. */
export function readVIntHiLo(buf: Uint8Array, pos: number, end: number): number {
  const ulo = readUnsignedVIntHiLo(buf, pos, end);
  const uhi = vintState.hi;
  // zigzag: n = (u >>> 1) ^ -(u & 1)
  let lo = (ulo >>> 1) | (uhi << 31);
  let hi = uhi >>> 1;
  if ((ulo & 1) !== 0) {
    lo = ~lo;
    hi = ~hi;
  }
  vintState.hi = hi | 0;
  return lo | 0;
}

function nlz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

/** Size in bytes of the unsigned vint of the 64-bit value hi:lo. */
export function unsignedVIntSize(hi: number, lo: number): number {
  const bits = 64 - nlz64(hi | 0, lo | 0);
  if (bits <= 7) return 1;
  return sizeForBits(bits);
}

function sizeForBits(bits: number): number {
  // n extra bytes leave 8 - (n + 1) value bits in the first byte: 7n + 7 bits in all (n < 8).
  for (let n = 1; n < 8; n++) if (bits <= 7 * n + 7) return n + 1;
  return 9;
}

/** Writes the unsigned vint of hi:lo. */
export function writeUnsignedVIntHiLo(w: ByteWriter, hi: number, lo: number): void {
  const size = unsignedVIntSize(hi, lo);
  w.ensure(size);
  const buf = w.buf;
  const p = w.pos;
  let h = hi | 0;
  let l = lo | 0;
  for (let i = size - 1; i >= 0; i--) {
    buf[p + i] = l & 0xff;
    l = (l >>> 8) | (h << 24);
    h >>>= 8;
  }
  if (size > 1) buf[p] = buf[p]! | ((0xff00 >> (size - 1)) & 0xff);
  w.pos = p + size;
}

export function writeUnsignedVInt(w: ByteWriter, n: number): void {
  writeUnsignedVIntHiLo(w, Math.floor(n / 4294967296), n >>> 0);
}

/** Writes the signed (zigzag) vint of hi:lo. */
export function writeVIntHiLo(w: ByteWriter, hi: number, lo: number): void {
  // zigzag: u = (n << 1) ^ (n >> 63)
  let uhi = (hi << 1) | (lo >>> 31);
  let ulo = lo << 1;
  if (hi < 0) {
    uhi = ~uhi;
    ulo = ~ulo;
  }
  writeUnsignedVIntHiLo(w, uhi, ulo);
}
