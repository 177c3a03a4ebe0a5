import { Long } from './long';

const MAX_NANOS = Long.fromString('86399999999999');
const NANOS_PER_MILLI = Long.fromNumber(1000000);
const MS_PER_DAY = 86400000;

/** A time of day for CQL `time` (nanoseconds since midnight, spec section 6.19), as `cassandra-driver`'s `types.LocalTime`. */
export class LocalTime {
  readonly value: Long;
  hour: number;
  minute: number;
  second: number;
  nanosecond: number;

  constructor(totalNanoseconds: Long) {
    if (!Long.isLong(totalNanoseconds)) throw new Error('You must specify a Long value as totalNanoseconds');
    if (totalNanoseconds.lessThan(Long.ZERO) || totalNanoseconds.greaterThan(MAX_NANOS)) {
      throw new Error('Total nanoseconds out of range');
    }
    this.value = totalNanoseconds;
    // Under 2^47: plain doubles are exact.
    const total = totalNanoseconds.toNumber();
    const secs = Math.floor(total / 1e9);
    this.nanosecond = total - secs * 1e9;
    this.hour = Math.floor(secs / 3600);
    this.minute = Math.floor(secs / 60) % 60;
    this.second = secs % 60;
  }

  /** `'hh:mm[:ss[.fffffffff]]'`. */
  static fromString(value: string): LocalTime {
    if (typeof value !== 'string') throw new Error(`Argument type invalid: ${String(value)}`);
    const parts = value.split(':');
    let millis = parseInt(parts[0]!, 10) * 3600000 + parseInt(parts[1]!, 10) * 60000;
    let nanos: string | undefined;
    if (parts.length === 3) {
      const sec = parts[2]!.split('.');
      millis += parseInt(sec[0]!, 10) * 1000;
      if (sec.length === 2) nanos = sec[1]! + '0'.repeat(Math.max(0, 9 - sec[1]!.length));
    }
    return LocalTime.fromMilliseconds(millis, nanos === undefined ? 0 : parseInt(nanos, 10) || 0);
  }

  /** The current local time of day. */
  static now(nanoseconds?: number): LocalTime {
    return LocalTime.fromDate(new Date(), nanoseconds);
  }

  /** The local-time-zone time of day of `date`. */
  static fromDate(date: Date, nanoseconds?: number): LocalTime {
    if (!(date instanceof Date)) throw new Error('Not a valid date');
    const millis = (date.getTime() + date.getTimezoneOffset() * -60000) % MS_PER_DAY;
    return LocalTime.fromMilliseconds(millis, nanoseconds);
  }

  static fromMilliseconds(milliseconds: number, nanoseconds?: number): LocalTime {
    const nanos = typeof nanoseconds === 'number' ? nanoseconds : 0;
    return new LocalTime(Long.fromNumber(milliseconds).multiply(NANOS_PER_MILLI).add(Long.fromNumber(nanos)));
  }

  static fromBuffer(value: Buffer): LocalTime {
    if (!(value instanceof Buffer)) throw new TypeError(`Expected Buffer, obtained ${String(value)}`);
    return new LocalTime(new Long(value.readInt32BE(4), value.readInt32BE(0)));
  }

  compare(other: LocalTime): number {
    return this.value.compare(other.value);
  }

  equals(other: unknown): boolean {
    return other instanceof LocalTime && this.compare(other) === 0;
  }

  getTotalNanoseconds(): Long {
    return this.value;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(8);
    buf.writeInt32BE(this.value.high, 0);
    buf.writeInt32BE(this.value.low, 4);
    return buf;
  }

  /** `hh:mm:ss` and, when not zero, `.` and the nanoseconds without trailing zeros. */
  toString(): string {
    let s = `${two(this.hour)}:${two(this.minute)}:${two(this.second)}`;
    if (this.nanosecond > 0) {
      let n = String(this.nanosecond);
      n = '0'.repeat(9 - n.length) + n;
      let end = n.length;
      while (end > 1 && n[end - 1] === '0') end--;
      s += `.${n.substring(0, end)}`;
    }
    return s;
  }

  inspect(): string {
    return `${this.constructor.name}: ${this.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
