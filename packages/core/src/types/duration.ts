import { ByteWriter } from '../bytes';
import { CodecError } from '../errors';
import { Long } from './long';
import { readVIntHiLo, vintState, writeVIntHiLo } from './vint';

const MAX_INT32 = 0x7fffffff;
const NANOS_PER_MICRO = Long.fromInt(1000);
const NANOS_PER_MILLI = NANOS_PER_MICRO.multiply(1000);
const NANOS_PER_SECOND = NANOS_PER_MILLI.multiply(1000);
const NANOS_PER_MINUTE = NANOS_PER_SECOND.multiply(60);
const NANOS_PER_HOUR = NANOS_PER_MINUTE.multiply(60);

const standardRegex = /(\d+)(y|mo|w|d|h|s|ms|us|µs|ns|m)/gi;
const iso8601Regex = /P((\d+)Y)?((\d+)M)?((\d+)D)?(T((\d+)H)?((\d+)M)?((\d+)S)?)?/;
const iso8601WeekRegex = /P(\d+)W/;
const iso8601AlternateRegex = /P(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/;

const scratch = new ByteWriter(32);

/**
 * CQL `duration` (spec section 6.9): months, days and nanoseconds, encoded as three signed vints.
 * Same API as `cassandra-driver`'s `types.Duration`.
 */
export class Duration {
  months: number;
  days: number;
  nanoseconds: Long;

  constructor(months: number, days: number, nanoseconds: number | Long) {
    this.months = months;
    this.days = days;
    this.nanoseconds = typeof nanoseconds === 'number' ? Long.fromNumber(nanoseconds) : nanoseconds;
  }

  equals(other: unknown): boolean {
    return (
      other instanceof Duration && this.months === other.months && this.days === other.days && this.nanoseconds.equals(other.nanoseconds)
    );
  }

  /** Writes the three vints (no length prefix). */
  writeTo(w: ByteWriter): void {
    const m = Long.fromNumber(this.months);
    const d = Long.fromNumber(this.days);
    writeVIntHiLo(w, m.high, m.low);
    writeVIntHiLo(w, d.high, d.low);
    writeVIntHiLo(w, this.nanoseconds.high, this.nanoseconds.low);
  }

  toBuffer(): Buffer {
    scratch.reset();
    this.writeTo(scratch);
    return scratch.toBuffer();
  }

  /** Decodes `buf[off, end)`, which must hold exactly the three vints. */
  static decode(buf: Uint8Array, off: number, end: number): Duration {
    const mlo = readVIntHiLo(buf, off, end);
    const months = new Long(mlo, vintState.hi).toNumber();
    const dlo = readVIntHiLo(buf, vintState.pos, end);
    const days = new Long(dlo, vintState.hi).toNumber();
    const nlo = readVIntHiLo(buf, vintState.pos, end);
    const nanos = new Long(nlo, vintState.hi);
    if (vintState.pos !== end) throw new CodecError('extra bytes after duration');
    return new Duration(months, days, nanos);
  }

  static fromBuffer(buffer: Buffer): Duration {
    return Duration.decode(buffer, 0, buffer.length);
  }

  /** Standard (`1y2mo3w4d5h6m7s8ms9us10ns`), ISO 8601 (`P1Y2M3DT4H5M6S`, `P3W`) or alternative (`P0001-02-03T04:05:06`) formats. */
  static fromString(input: string): Duration {
    const negative = input.charAt(0) === '-';
    const source = negative ? input.substring(1) : input;
    if (source.charAt(0) === 'P') {
      if (source.charAt(source.length - 1) === 'W') return parseIsoWeeks(negative, source);
      if (source.indexOf('-') > 0) return parseIsoAlternative(negative, source);
      return parseIso(negative, source);
    }
    return parseStandard(negative, source);
  }

  toString(): string {
    let out = '';
    if (this.months < 0 || this.days < 0 || this.nanoseconds.isNegative()) out = '-';
    const append = (dividend: number, divisor: number, unit: string): number => {
      if (dividend === 0 || dividend < divisor) return dividend;
      out += (dividend / divisor).toFixed(0) + unit;
      return dividend % divisor;
    };
    const append64 = (dividend: Long, divisor: Long, unit: string): Long => {
      if (dividend.isZero() || dividend.lessThan(divisor)) return dividend;
      out += dividend.divide(divisor).toString() + unit;
      return dividend.modulo(divisor);
    };
    const remainder = append(Math.abs(this.months), 12, 'y');
    append(remainder, 1, 'mo');
    append(Math.abs(this.days), 1, 'd');
    if (!this.nanoseconds.isZero()) {
      let r = this.nanoseconds.isNegative() ? this.nanoseconds.negate() : this.nanoseconds;
      r = append64(r, NANOS_PER_HOUR, 'h');
      r = append64(r, NANOS_PER_MINUTE, 'm');
      r = append64(r, NANOS_PER_SECOND, 's');
      r = append64(r, NANOS_PER_MILLI, 'ms');
      r = append64(r, NANOS_PER_MICRO, 'us');
      append64(r, Long.ONE, 'ns');
    }
    return out;
  }

  inspect(): string {
    return `${this.constructor.name}: ${this.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

const UNIT_NAMES = [null, 'years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'microseconds', 'nanoseconds'];

/** Accumulates units in decreasing order, with the range checks Cassandra's Duration parser applies. */
class DurationBuilder {
  private unitIndex = 0;
  private months = 0;
  private days = 0;
  private nanos = Long.ZERO;
  constructor(private readonly negative: boolean) {}

  add(text: string, symbol: string): this {
    switch (symbol.toLowerCase()) {
      case 'y':
        return this.addMonthsUnit(text, 12, 1);
      case 'mo':
        return this.addMonthsUnit(text, 1, 2);
      case 'w':
        return this.addDaysUnit(text, 7, 3);
      case 'd':
        return this.addDaysUnit(text, 1, 4);
      case 'h':
        return this.addNanosUnit(text, NANOS_PER_HOUR, 5);
      case 'm':
        return this.addNanosUnit(text, NANOS_PER_MINUTE, 6);
      case 's':
        return this.addNanosUnit(text, NANOS_PER_SECOND, 7);
      case 'ms':
        return this.addNanosUnit(text, NANOS_PER_MILLI, 8);
      case 'us':
      case 'µs':
        return this.addNanosUnit(text, NANOS_PER_MICRO, 9);
      case 'ns':
        return this.addNanosUnit(text, Long.ONE, 10);
      default:
        throw new TypeError(`Unknown duration symbol '${symbol}'`);
    }
  }

  private order(index: number): void {
    if (index === this.unitIndex) {
      throw new TypeError(`Invalid duration. The ${UNIT_NAMES[index]} are specified multiple times`);
    }
    if (index <= this.unitIndex) {
      throw new TypeError(`Invalid duration. The ${UNIT_NAMES[this.unitIndex]} should be after ${UNIT_NAMES[index]}`);
    }
    this.unitIndex = index;
  }

  addMonthsUnit(text: string, perUnit: number, index: number): this {
    const value = +text;
    this.order(index);
    if (value > (MAX_INT32 - this.months) / perUnit) {
      throw new TypeError(`Invalid duration. The total number of months must be less or equal to ${MAX_INT32}`);
    }
    this.months += value * perUnit;
    return this;
  }

  addDaysUnit(text: string, perUnit: number, index: number): this {
    const value = +text;
    this.order(index);
    if (value > (MAX_INT32 - this.days) / perUnit) {
      throw new TypeError(`Invalid duration. The total number of days must be less or equal to ${MAX_INT32}`);
    }
    this.days += value * perUnit;
    return this;
  }

  addNanosUnit(text: string, perUnit: Long, index: number): this {
    const value = Long.fromString(text);
    this.order(index);
    if (value.greaterThan(Long.MAX_VALUE.subtract(this.nanos).divide(perUnit))) {
      throw new TypeError(`Invalid duration. The total number of nanoseconds must be less or equal to ${Long.MAX_VALUE.toString()}`);
    }
    this.nanos = this.nanos.add(value.multiply(perUnit));
    return this;
  }

  build(): Duration {
    return this.negative ? new Duration(-this.months, -this.days, this.nanos.negate()) : new Duration(this.months, this.days, this.nanos);
  }
}

function parseStandard(negative: boolean, source: string): Duration {
  const b = new DurationBuilder(negative);
  standardRegex.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = standardRegex.exec(source)) !== null) b.add(m[1]!, m[2]!);
  return b.build();
}

function fail(source: string): never {
  throw new TypeError(`Unable to convert '${source}' to a duration`);
}

function parseIso(negative: boolean, source: string): Duration {
  const m = iso8601Regex.exec(source);
  if (!m || m[0] !== source) fail(source);
  const b = new DurationBuilder(negative);
  if (m[1]) b.add(m[2]!, 'y');
  if (m[3]) b.add(m[4]!, 'mo');
  if (m[5]) b.add(m[6]!, 'd');
  if (m[7]) {
    if (m[8]) b.add(m[9]!, 'h');
    if (m[10]) b.add(m[11]!, 'm');
    if (m[12]) b.add(m[13]!, 's');
  }
  return b.build();
}

function parseIsoWeeks(negative: boolean, source: string): Duration {
  const m = iso8601WeekRegex.exec(source);
  if (!m || m[0] !== source) fail(source);
  return new DurationBuilder(negative).add(m[1]!, 'w').build();
}

function parseIsoAlternative(negative: boolean, source: string): Duration {
  const m = iso8601AlternateRegex.exec(source);
  if (!m || m[0] !== source) fail(source);
  return new DurationBuilder(negative)
    .add(m[1]!, 'y')
    .add(m[2]!, 'mo')
    .add(m[3]!, 'd')
    .add(m[4]!, 'h')
    .add(m[5]!, 'm')
    .add(m[6]!, 's')
    .build();
}
