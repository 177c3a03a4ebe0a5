import { Integer } from './integer';

/**
 * Arbitrary-precision decimal for CQL `decimal`: `unscaledValue * 10^-scale`, with the API of
 * `cassandra-driver`'s `types.BigDecimal`. Encoded as an i32 scale then a varint (spec section 6.5).
 */
export class BigDecimal {
  _intVal: Integer;
  _scale: number;

  constructor(unscaledValue: Integer | number, scale: number) {
    this._intVal = typeof unscaledValue === 'number' ? Integer.fromNumber(unscaledValue) : unscaledValue;
    this._scale = scale;
  }

  static fromBuffer(buf: Buffer): BigDecimal {
    return new BigDecimal(Integer.fromBuffer(buf.subarray(4)), buf.readInt32BE(0));
  }

  static toBuffer(value: BigDecimal): Buffer {
    const unscaled = Integer.toBuffer(value._intVal);
    const buf = Buffer.allocUnsafe(4 + unscaled.length);
    buf.writeInt32BE(value._scale, 0);
    unscaled.copy(buf, 4);
    return buf;
  }

  /** `'-12.345'` -> unscaled -12345, scale 3 (no exponent notation, as `cassandra-driver`). */
  static fromString(value: string): BigDecimal {
    if (!value) throw new TypeError('Invalid null or undefined value');
    let s = value.trim();
    const dot = s.indexOf('.');
    let scale = 0;
    if (dot >= 0) {
      scale = s.length - 1 - dot;
      s = s.substring(0, dot) + s.substring(dot + 1);
    }
    return new BigDecimal(Integer.fromString(s), scale);
  }

  static fromNumber(value: number): BigDecimal {
    if (Number.isNaN(value)) return new BigDecimal(Integer.ZERO, 0);
    let text = value.toString();
    if (text.indexOf('e') >= 0) text = value.toFixed(20);
    return BigDecimal.fromString(text);
  }

  equals(other: unknown): boolean {
    return other instanceof BigDecimal && this.compare(other) === 0;
  }

  notEquals(other: unknown): boolean {
    return !this.equals(other);
  }

  compare(other: BigDecimal): number {
    const diff = this.subtract(other);
    if (diff.isNegative()) return -1;
    if (diff.isZero()) return 0;
    return 1;
  }

  subtract(other: BigDecimal): BigDecimal {
    return this.combine(other, false);
  }

  add(other: BigDecimal): BigDecimal {
    return this.combine(other, true);
  }

  private combine(other: BigDecimal, add: boolean): BigDecimal {
    // Bring both to the larger scale, then add or subtract the unscaled values.
    let a = this._intVal;
    let b = other._intVal;
    let scale = this._scale;
    if (this._scale < other._scale) {
      a = a.multiply(Integer.fromBigInt(10n ** BigInt(other._scale - this._scale)));
      scale = other._scale;
    } else if (this._scale > other._scale) {
      b = b.multiply(Integer.fromBigInt(10n ** BigInt(this._scale - other._scale)));
    }
    return new BigDecimal(add ? a.add(b) : a.subtract(b), scale);
  }

  greaterThan(other: BigDecimal): boolean {
    return this.compare(other) === 1;
  }

  isNegative(): boolean {
    return this._intVal.isNegative();
  }

  isZero(): boolean {
    return this._intVal.isZero();
  }

  toString(): string {
    let digits = this._intVal.toString();
    if (this._scale === 0) return digits;
    let sign = '';
    if (digits.charAt(0) === '-') {
      sign = '-';
      digits = digits.substring(1);
    }
    let sep = digits.length - this._scale;
    if (sep <= 0) {
      digits = '0'.repeat(-sep + 1) + digits;
      sep = digits.length - this._scale;
    }
    return `${sign}${digits.substring(0, sep)}.${digits.substring(sep)}`;
  }

  toNumber(): number {
    return parseFloat(this.toString());
  }

  inspect(): string {
    return `${this.constructor.name}: ${this.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
