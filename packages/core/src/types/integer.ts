/**
 * Arbitrary-precision integer for CQL `varint`, with the API of `cassandra-driver`'s `types.Integer`
 * (a port of Closure's goog.math.Integer). Held as a native bigint; the 32-bit word view that Closure
 * exposes (`getBits`, `fromBits`, `shorten`) is computed from it.
 */
export class Integer {
  private readonly v: bigint;

  /** Closure form: little-endian 32-bit words and the sign (0 or -1) that extends them. */
  constructor(bits: readonly number[], sign: number) {
    let v = 0n;
    for (let i = bits.length - 1; i >= 0; i--) v = (v << 32n) | BigInt((bits[i]! | 0) >>> 0);
    if (sign === -1) v -= 1n << BigInt(32 * bits.length);
    this.v = v;
  }

  static fromBigInt(value: bigint): Integer {
    const r = Object.create(Integer.prototype) as { v: bigint };
    r.v = value;
    return r as unknown as Integer;
  }

  static fromInt(value: number): Integer {
    return Integer.fromBigInt(BigInt(value | 0));
  }

  /** Truncates toward zero; NaN and infinities give zero (as Closure does). */
  static fromNumber(value: number): Integer {
    if (!Number.isFinite(value)) return Integer.ZERO;
    return Integer.fromBigInt(BigInt(Math.trunc(value)));
  }

  static fromBits(bits: readonly number[]): Integer {
    const high = bits[bits.length - 1];
    return new Integer(bits, high !== undefined && (high & 0x80000000) !== 0 ? -1 : 0);
  }

  /** Parses like Closure: 8-digit chunks through `parseInt`, so the same inputs give the same results. */
  static fromString(str: string, radix?: number): Integer {
    if (str.length === 0) throw new TypeError('number format error: empty string');
    const r = radix || 10;
    if (r < 2 || r > 36) throw new Error(`radix out of range: ${r}`);
    if (str.charAt(0) === '-') return Integer.fromString(str.substring(1), r).negate();
    if (str.indexOf('-') >= 0) throw new TypeError('number format error: interior "-" character');
    let result = 0n;
    const big = BigInt(r);
    for (let i = 0; i < str.length; i += 8) {
      const size = Math.min(8, str.length - i);
      const chunk = parseInt(str.substring(i, i + size), r);
      result = result * big ** BigInt(size) + (Number.isFinite(chunk) ? BigInt(Math.trunc(chunk)) : 0n);
    }
    return Integer.fromBigInt(result);
  }

  /** Big-endian two's complement bytes (the CQL varint encoding, spec section 6.13). */
  static fromBuffer(buf: Uint8Array): Integer {
    return Integer.fromBigInt(varintFromBytes(buf, 0, buf.length));
  }

  /** The minimal big-endian two's complement encoding. */
  static toBuffer(value: Integer): Buffer {
    return varintToBuffer(value.v);
  }

  static readonly ZERO: Integer = Integer.fromBigInt(0n);
  static readonly ONE: Integer = Integer.fromBigInt(1n);

  toBigInt(): bigint {
    return this.v;
  }

  toInt(): number {
    return Number(BigInt.asIntN(32, this.v));
  }

  toNumber(): number {
    return Number(this.v);
  }

  toString(radix?: number): string {
    const r = radix || 10;
    if (r < 2 || r > 36) throw new Error(`radix out of range: ${r}`);
    return this.v.toString(r);
  }

  getBits(index: number): number {
    if (index < 0) return 0;
    return Number(BigInt.asIntN(32, this.v >> BigInt(32 * index)));
  }

  getBitsUnsigned(index: number): number {
    return this.getBits(index) >>> 0;
  }

  getSign(): number {
    return this.v < 0n ? -1 : 0;
  }

  isZero(): boolean {
    return this.v === 0n;
  }

  isNegative(): boolean {
    return this.v < 0n;
  }

  isOdd(): boolean {
    return (this.v & 1n) === 1n;
  }

  equals(other: Integer): boolean {
    return this.v === other.v;
  }

  notEquals(other: Integer): boolean {
    return this.v !== other.v;
  }

  greaterThan(other: Integer): boolean {
    return this.v > other.v;
  }

  greaterThanOrEqual(other: Integer): boolean {
    return this.v >= other.v;
  }

  lessThan(other: Integer): boolean {
    return this.v < other.v;
  }

  lessThanOrEqual(other: Integer): boolean {
    return this.v <= other.v;
  }

  compare(other: Integer): number {
    return this.v < other.v ? -1 : this.v > other.v ? 1 : 0;
  }

  /** Keeps the low `numBits` bits, sign-extended from the highest kept bit. */
  shorten(numBits: number): Integer {
    return Integer.fromBigInt(BigInt.asIntN(numBits, this.v));
  }

  negate(): Integer {
    return Integer.fromBigInt(-this.v);
  }

  add(other: Integer): Integer {
    return Integer.fromBigInt(this.v + other.v);
  }

  subtract(other: Integer): Integer {
    return Integer.fromBigInt(this.v - other.v);
  }

  multiply(other: Integer): Integer {
    return Integer.fromBigInt(this.v * other.v);
  }

  /** Truncating division, as Closure's. */
  divide(other: Integer): Integer {
    if (other.v === 0n) throw new Error('division by zero');
    return Integer.fromBigInt(this.v / other.v);
  }

  modulo(other: Integer): Integer {
    if (other.v === 0n) throw new Error('division by zero');
    return Integer.fromBigInt(this.v % other.v);
  }

  not(): Integer {
    return Integer.fromBigInt(~this.v);
  }

  and(other: Integer): Integer {
    return Integer.fromBigInt(this.v & other.v);
  }

  or(other: Integer): Integer {
    return Integer.fromBigInt(this.v | other.v);
  }

  xor(other: Integer): Integer {
    return Integer.fromBigInt(this.v ^ other.v);
  }

  shiftLeft(numBits: number): Integer {
    return Integer.fromBigInt(this.v << BigInt(numBits));
  }

  shiftRight(numBits: number): Integer {
    return Integer.fromBigInt(this.v >> BigInt(numBits));
  }

  abs(): Integer {
    return this.v < 0n ? Integer.fromBigInt(-this.v) : this;
  }

  inspect(): string {
    return `${this.constructor.name}: ${this.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Decodes big-endian two's complement `buf[off, off+len)`; empty is zero. */
export function varintFromBytes(buf: Uint8Array, off: number, len: number): bigint {
  if (len === 0) return 0n;
  if (len <= 6) {
    // Up to 48 bits fit a double exactly: no string round trip.
    let n = (buf[off]! << 24) >> 24; // the first byte, sign-extended
    for (let i = 1; i < len; i++) n = n * 256 + buf[off + i]!;
    return BigInt(n);
  }
  let hex = '';
  for (let i = 0; i < len; i++) {
    const b = buf[off + i]!;
    hex += (b < 16 ? '0' : '') + b.toString(16);
  }
  return BigInt.asIntN(len * 8, BigInt(`0x${hex}`));
}

/** Byte length of the minimal two's complement encoding of `v`. */
export function varintByteLength(v: bigint): number {
  const magnitude = v < 0n ? ~v : v;
  if (magnitude < 0x80n) return 1;
  return (magnitude.toString(2).length >> 3) + 1;
}

/** Writes the minimal two's complement encoding of `v` into `out[off, off+varintByteLength(v))`. */
export function writeVarintBytes(v: bigint, out: Uint8Array, off: number, len: number): void {
  let u = BigInt.asUintN(len * 8, v);
  for (let i = len - 1; i >= 0; i--) {
    out[off + i] = Number(u & 0xffn);
    u >>= 8n;
  }
}

export function varintToBuffer(v: bigint): Buffer {
  const len = varintByteLength(v);
  const buf = Buffer.allocUnsafe(len);
  writeVarintBytes(v, buf, 0, len);
  return buf;
}
