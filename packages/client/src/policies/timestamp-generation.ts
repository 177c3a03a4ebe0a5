/**
 * Client-side default timestamps (protocol v3+ `timestamp` query flag), as cassandra-driver's
 * `lib/policies/timestamp-generation.js`: microseconds since the epoch, strictly increasing per generator.
 */
import { Long } from '@shardcql/core';
import { ArgumentError } from '@shardcql/core';

/** Until Jun 2255, ms * 1000 + micros fits a double exactly, so no Long is built on the hot path. */
const MAX_SAFE_MS = 9007199254740;

export interface TimestampLogger {
  log(level: string, message: string): void;
}

export class TimestampGenerator {
  /** Declared as cassandra-driver declares it; a generator may also give null (no client-side timestamp). */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- cassandra-driver's signature: the parameters are for subclasses (their names show in the .d.ts)
  next(client: TimestampLogger): Long | number {
    throw new Error('next() must be implemented');
  }
}

export class MonotonicTimestampGenerator extends TimestampGenerator {
  private readonly warningThreshold: number;
  private readonly minLogInterval: number;
  private micros = -1;
  private lastDate = 0;
  private lastLogDate = 0;

  constructor(warningThreshold?: number, minLogInterval?: number) {
    super();
    if (warningThreshold !== undefined && warningThreshold < 0) {
      throw new ArgumentError('warningThreshold can not be lower than 0');
    }
    this.warningThreshold = warningThreshold || 1000;
    this.minLogInterval = typeof minLogInterval === 'number' ? minLogInterval : 1000;
  }

  getDate(): number {
    return Date.now();
  }

  override next(client: TimestampLogger): Long | number {
    let date = this.getDate();
    let drifted = 0;
    if (date > this.lastDate) {
      this.micros = 0;
      this.lastDate = date;
      return this.generate();
    }
    if (date < this.lastDate) {
      drifted = this.lastDate - date;
      date = this.lastDate;
    }
    // 1000 timestamps in one millisecond: borrow the next millisecond to stay monotonic.
    if (++this.micros === 1000) {
      this.micros = 0;
      if (date === this.lastDate) {
        date++;
        drifted++;
      }
    }
    const previous = this.lastDate;
    this.lastDate = date;
    const result = this.generate();
    if (drifted >= this.warningThreshold) {
      const now = Date.now();
      if (this.minLogInterval > 0 && this.lastLogDate + this.minLogInterval <= now) {
        this.lastLogDate = now;
        client.log(
          'warning',
          `Timestamp generated using current date was ${drifted} milliseconds behind the last ` +
            `generated timestamp (which millisecond portion was ${previous}), the returned value (${String(result)}) ` +
            'is being artificially incremented to guarantee monotonicity.',
        );
      }
    }
    return result;
  }

  private generate(): Long | number {
    if (this.lastDate < MAX_SAFE_MS) return this.lastDate * 1000 + this.micros;
    return Long.fromNumber(this.lastDate).multiply(1000).add(this.micros);
  }
}
