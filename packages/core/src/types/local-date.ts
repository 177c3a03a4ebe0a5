const MS_PER_DAY = 86400000;
/** CQL `date` is days since the epoch, biased by 2^31 and sent as an unsigned i32 (spec section 6.8). */
const DATE_CENTER = 2147483648;

/**
 * A date without time zone for CQL `date`, as `cassandra-driver`'s `types.LocalDate`. Dates beyond what a
 * JS `Date` can hold (about +-273,790 years) keep their day count in `_value`; `year`/`month`/`day` are NaN.
 */
export class LocalDate {
  date: Date;
  _value: number | null;
  year: number;
  month: number;
  day: number;

  /** `(year, month 1-12, day)` or `(daysSinceEpoch)`. */
  constructor(year: number, month?: number, day?: number) {
    let date: Date | undefined;
    if (typeof year === 'number' && typeof month === 'number' && typeof day === 'number') {
      date = new Date();
      date.setUTCHours(0, 0, 0, 0);
      date.setUTCFullYear(year, month - 1, day);
      if (Number.isNaN(date.getTime())) throw new Error(`${year}-${month}-${day} does not form a valid ES5 date!`);
    } else if (month === undefined && day === undefined && typeof year === 'number') {
      if (year < -2147483648 || year > 2147483647) {
        throw new Error('You must provide a valid value for days since epoch (-2147483648 <= value <= 2147483647).');
      }
      date = new Date(year * MS_PER_DAY);
    }
    if (date === undefined) throw new Error('You must provide a valid year, month and day');
    this.date = date;
    this._value = Number.isNaN(date.getTime()) ? year : null;
    this.year = date.getUTCFullYear();
    this.month = date.getUTCMonth() + 1;
    this.day = date.getUTCDate();
  }

  /** Today in the local time zone. */
  static now(): LocalDate {
    return LocalDate.fromDate(new Date());
  }

  /** Today in UTC. */
  static utcNow(): LocalDate {
    return new LocalDate(Math.floor(Date.now() / MS_PER_DAY));
  }

  /** The local-time-zone calendar date of `date`. */
  static fromDate(date: Date): LocalDate {
    if (Number.isNaN(date.getTime())) throw new TypeError(`Invalid date: ${String(date)}`);
    return new LocalDate(date.getFullYear(), date.getMonth() + 1, date.getDate());
  }

  /** `'yyyy-mm-dd'` (a leading `-` for negative years) or a day count `'-123'`. */
  static fromString(value: string): LocalDate {
    const dashes = (value.match(/-/g) || []).length;
    if (dashes >= 2) {
      let sign = 1;
      let s = value;
      if (s[0] === '-') {
        s = s.substring(1);
        sign = -1;
      }
      const parts = s.split('-');
      return new LocalDate(sign * parseInt(parts[0]!, 10), parseInt(parts[1]!, 10), parseInt(parts[2]!, 10));
    }
    if (/^-?\d+$/.test(value)) return new LocalDate(parseInt(value, 10));
    throw new Error(`Invalid input '${value}'.`);
  }

  static fromBuffer(buffer: Buffer): LocalDate {
    return new LocalDate(buffer.readUInt32BE(0) - DATE_CENTER);
  }

  /** Days since the epoch. */
  daysSinceEpoch(): number {
    return this._value !== null && Number.isNaN(this.date.getTime()) ? this._value : Math.floor(this.date.getTime() / MS_PER_DAY);
  }

  compare(other: LocalDate): number {
    const a = Number.isNaN(this.date.getTime()) ? this._value! * MS_PER_DAY : this.date.getTime();
    const b = Number.isNaN(other.date.getTime()) ? other._value! * MS_PER_DAY : other.date.getTime();
    const diff = a - b;
    return diff < 0 ? -1 : diff > 0 ? 1 : 0;
  }

  equals(other: unknown): boolean {
    return other instanceof LocalDate && this.compare(other) === 0;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(4);
    buf.writeUInt32BE((this.daysSinceEpoch() + DATE_CENTER) >>> 0, 0);
    return buf;
  }

  toString(): string {
    if (Number.isNaN(this.date.getTime())) return String(this._value);
    const y = this.year < 0 ? `-${pad(String(-this.year), 4)}` : pad(String(this.year), 4);
    return `${y}-${pad(String(this.month), 2)}-${pad(String(this.day), 2)}`;
  }

  inspect(): string {
    return `${this.constructor.name}: ${this.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : '0'.repeat(n - s.length) + s;
}
