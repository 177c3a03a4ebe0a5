/**
 * A Readable of rows (cassandra-driver `lib/types/result-stream.js`). Rows are buffered as pages arrive; the
 * next page is requested only once the consumer has drained the buffer (the "valve"), so a slow consumer
 * holds at most one page in memory.
 */
import { Readable, type ReadableOptions } from 'node:stream';

export class ResultStream extends Readable {
  /** Public as in cassandra-driver's declaration (`buffer`, `paused`). */
  buffer: unknown[] = [];
  private head = 0;
  paused = true;
  private readNext: (() => void) | null = null;

  constructor(opts?: ReadableOptions) {
    super({ objectMode: true, ...opts });
  }

  override _read(): void {
    this.paused = false;
    while (!this.paused && this.head < this.buffer.length) {
      const item = this.buffer[this.head];
      this.buffer[this.head++] = undefined;
      this.paused = !this.push(item);
    }
    if (this.head >= this.buffer.length) {
      this.buffer.length = 0;
      this.head = 0;
    }
    if (!this.paused && this.buffer.length === 0 && this.readNext !== null) {
      const next = this.readNext;
      this.readNext = null;
      next();
    }
  }

  /** @internal Fetch the next page now if the consumer is waiting, else once it drains the buffer. */
  valve(readNext: (() => void) | null): void {
    this.readNext = null;
    if (readNext === null) return;
    if (this.paused || this.buffer.length > 0) this.readNext = readNext;
    else readNext();
  }

  /** @internal Queues a row, or null for the end of the stream. */
  add(chunk: unknown): number {
    const length = this.buffer.push(chunk);
    if (!this.paused) this._read();
    return length - this.head;
  }

  cancel(callback?: (err?: Error) => void): void {
    const err = new Error('You can only cancel streaming executions when continuous paging is enabled');
    if (!callback) throw err;
    callback(err);
  }
}
