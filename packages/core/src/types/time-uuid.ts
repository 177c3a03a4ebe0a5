import { randomBytes } from 'node:crypto';
import { Uuid } from './uuid';

/** Milliseconds between the Gregorian epoch (1582-10-15) of RFC 4122 version-1 UUIDs and the Unix epoch. */
const UNIX_TO_GREGORIAN_MS = 12219292800000;
const TICKS_PER_MS = 10000;

const minNodeId = Buffer.from('808080808080', 'hex');
const minClockId = Buffer.from('8080', 'hex');
const maxNodeId = Buffer.from('7f7f7f7f7f7f', 'hex');
const maxClockId = Buffer.from('7f7f', 'hex');

// Sub-millisecond counters, as `cassandra-driver` keeps them, so ids generated within one millisecond differ.
let ticksCounter = 0;
let ticksForCurrentTime = 0;
let lastTimestamp = 0;

type IdInput = Buffer | string | null | undefined;
type Callback = (err: Error | null, value?: TimeUuid) => void;
/** The callback of the public overloads, as cassandra-driver declares it (`ValueCallback<TimeUuid>`). */
type ValueCallback = (err: Error, value: TimeUuid) => void;

/** A version-1 (time-based) UUID, as `cassandra-driver`'s `types.TimeUuid`. */
export class TimeUuid extends Uuid {
  /**
   * `new TimeUuid(buffer)` wraps 16 bytes; `new TimeUuid(date?, ticks?, nodeId?, clockId?)` generates one
   * (random node and clock ids when not given; the current time when `date` is not a valid Date).
   */
  constructor(value?: Date | Buffer | null, ticks?: number | null, nodeId?: IdInput, clockId?: IdInput) {
    if (value instanceof Buffer) {
      if (value.length !== 16) throw new Error('Buffer for v1 uuid not valid');
      super(value);
    } else {
      super(generateBuffer(value as Date | null | undefined, ticks, nodeId, clockId));
    }
  }

  static fromDate(date?: Date | null, ticks?: number | null, nodeId?: IdInput, clockId?: IdInput): TimeUuid;
  static fromDate(date: Date | null | undefined, callback: ValueCallback): void;
  static fromDate(date: Date | null | undefined, ticks: number | null | undefined, callback: ValueCallback): void;
  static fromDate(date: Date | null | undefined, ticks: number | null | undefined, nodeId: IdInput, callback: ValueCallback): void;
  static fromDate(
    date: Date | null | undefined,
    ticks: number | null | undefined,
    nodeId: IdInput,
    clockId: IdInput,
    callback: ValueCallback,
  ): void;
  static fromDate(date?: Date | null, ...rest: unknown[]): TimeUuid | void {
    let [ticks, nodeId, clockId, callback] = rest as [unknown, unknown, unknown, unknown];
    if (typeof ticks === 'function') {
      callback = ticks;
      ticks = nodeId = clockId = null;
    } else if (typeof nodeId === 'function') {
      callback = nodeId;
      nodeId = clockId = null;
    } else if (typeof clockId === 'function') {
      callback = clockId;
      clockId = null;
    }
    if (typeof callback !== 'function') {
      return new TimeUuid(date, ticks as number, nodeId as IdInput, clockId as IdInput);
    }
    const cb = callback as Callback;
    const node = nodeId ? (nodeId as IdInput) : randomBytes(6);
    const clock = clockId ? (clockId as IdInput) : randomBytes(2);
    let result: TimeUuid;
    try {
      result = new TimeUuid(date, ticks as number, node, clock);
    } catch (e) {
      process.nextTick(cb, e as Error);
      return;
    }
    process.nextTick(cb, null, result);
  }

  static override fromString(value: string): TimeUuid {
    return new TimeUuid(Uuid.fromString(value).getBuffer());
  }

  /** The smallest TimeUuid for a date (for range queries on timeuuid columns). */
  static min(date: Date, ticks?: number): TimeUuid {
    return new TimeUuid(date, ticks, minNodeId, minClockId);
  }

  /** The largest TimeUuid for a date. */
  static max(date: Date, ticks?: number): TimeUuid {
    return new TimeUuid(date, ticks, maxNodeId, maxClockId);
  }

  static now(nodeId?: IdInput, clockId?: IdInput): TimeUuid;
  static now(callback: ValueCallback): void;
  static now(nodeId: IdInput, callback: ValueCallback): void;
  static now(nodeId: IdInput, clockId: IdInput, callback: ValueCallback): void;
  static now(...args: unknown[]): TimeUuid | void {
    return (TimeUuid.fromDate as (...a: unknown[]) => TimeUuid | void)(null, null, ...args);
  }

  /** The timestamp with its sub-millisecond part (0..9999 ticks of 100 ns). */
  getDatePrecision(): { date: Date; ticks: number } {
    const b = this.buffer;
    const timeLow = b.readUInt32BE(0);
    const timeHigh = ((b[6]! & 0x0f) << 24) | (b[7]! << 16) | (b[4]! << 8) | b[5]!;
    const val = (BigInt(timeHigh >>> 0) << 32n) | BigInt(timeLow);
    const ticks = Number(val % 10000n);
    const ms = Number(val / 10000n) - UNIX_TO_GREGORIAN_MS;
    return { date: new Date(ms), ticks };
  }

  getDate(): Date {
    return this.getDatePrecision().date;
  }

  getNodeId(): Buffer {
    return this.buffer.subarray(10);
  }

  getClockId(): Buffer {
    return this.buffer.subarray(8, 10);
  }

  getNodeIdString(): string {
    return this.buffer.toString('ascii', 10);
  }
}

function idBuffer(id: IdInput, length: number, what: string): Buffer {
  const buf = typeof id === 'string' ? Buffer.from(id, 'ascii') : id;
  if (!(buf instanceof Buffer)) return randomBytes(length);
  if (buf.length !== length) throw new Error(`${what} identifier must have ${length} bytes`);
  return buf;
}

function generateBuffer(date: Date | null | undefined, ticks: number | null | undefined, nodeId: IdInput, clockId: IdInput): Buffer {
  let time: number;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    time = Date.now();
    ticksForCurrentTime++;
    if (ticksForCurrentTime > TICKS_PER_MS || time > lastTimestamp) {
      ticksForCurrentTime = 0;
      lastTimestamp = time;
    }
    ticks = ticksForCurrentTime;
  } else {
    time = date.getTime();
  }
  if (typeof ticks !== 'number' || ticks >= TICKS_PER_MS) {
    ticksCounter++;
    if (ticksCounter >= TICKS_PER_MS) ticksCounter = 0;
    ticks = ticksCounter;
  }
  const node = idBuffer(nodeId, 6, 'Node');
  const clock = idBuffer(clockId, 2, 'Clock');
  const buf = Buffer.allocUnsafe(16);
  // RFC 4122 section 4.1.4: 60-bit count of 100 ns intervals since the Gregorian epoch.
  const val = BigInt.asUintN(64, BigInt(time + UNIX_TO_GREGORIAN_MS) * 10000n + BigInt(Math.trunc(ticks)));
  const high = Number(val >> 32n);
  buf.writeUInt32BE(Number(val & 0xffffffffn), 0);
  buf.writeUInt16BE(high & 0xffff, 4);
  buf.writeUInt16BE((high >>> 16) & 0xffff, 6);
  clock.copy(buf, 8, 0);
  node.copy(buf, 10, 0);
  buf[6] = (buf[6]! & 0x0f) | 0x10;
  buf[8] = (buf[8]! & 0x3f) | 0x80;
  return buf;
}
