/**
 * Engine-wide connection indexes: what ring records target (a u16, records.ts; 0xffff is TARGET_ANY), what
 * the workers key their connections by, and the slot of a connection in the metrics buffer and in the
 * handles' connection-state arrays. A long-lived client opens connections for ever (hosts replaced, ScyllaDB
 * shard slots refilled, failed shard-aware port attempts), so indexes are given back and used again; a u16
 * never wraps: when every index is taken, acquire() throws.
 *
 * An index given back waits out a quarantine before it is used again, and is not used while a request of
 * the engine's own thread still targets it (the caller's `busy`). Why both: a request of another thread (a
 * client handle) written toward the old connection just before the owner gave the index back is still in
 * that thread's ring or backlog, and the closing connection still counts into its metrics slot until its
 * close (at most Connection's close timeout, 10 s) is done; a new connection under the same index must see
 * neither. The lowest free index is taken first: the metrics buffer counts only the first DEFAULT_MAX_CONNS.
 */
import { DriverError, TARGET_ANY } from '@shardcql/core';

/** Indexes 0 .. TARGET_ANY - 1. */
export const MAX_CONN_INDEXES = TARGET_ANY;
/** Longer than a connection's close (10 s) and than any ring hop of a request already written. */
export const CONN_INDEX_QUARANTINE_MS = 60_000;

export class ConnIndexPool {
  /** Indexes handed out so far (the high-water mark): every index below it is in use, waiting or free. */
  private next = 0;
  private readonly waiting: number[] = [];
  private readonly waitingSince: number[] = [];
  /** Free indexes, ascending. */
  private readonly free: number[] = [];

  constructor(
    private readonly quarantineMs = CONN_INDEX_QUARANTINE_MS,
    private readonly limit = MAX_CONN_INDEXES,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** One more than the highest index ever handed out. */
  get highWater(): number {
    return this.next;
  }

  /** Indexes given back and not yet usable again. */
  get quarantined(): number {
    return this.waiting.length;
  }

  /**
   * The lowest usable index: a free one that is not `busy`, else a new one. Throws a DriverError when all
   * `limit` indexes are in use or in quarantine (a target beyond u16 would reach the wrong connection).
   */
  acquire(busy: (index: number) => boolean = () => false): number {
    const t = this.now();
    let moved = 0;
    while (moved < this.waiting.length && t - this.waitingSince[moved]! >= this.quarantineMs) moved++;
    if (moved > 0) {
      for (const c of this.waiting.splice(0, moved)) insertSorted(this.free, c);
      this.waitingSince.splice(0, moved);
    }
    for (let i = 0; i < this.free.length; i++) {
      const c = this.free[i]!;
      if (!busy(c)) {
        this.free.splice(i, 1);
        return c;
      }
    }
    if (this.next >= this.limit) {
      throw new DriverError(
        `all ${this.limit} connection indexes are in use or in quarantine (${this.waiting.length} given back in the last ${this.quarantineMs} ms); no connection can be opened`,
      );
    }
    return this.next++;
  }

  /** Forgets everything (a new connect after a failed one: its workers, and their connections, are gone). */
  reset(): void {
    this.next = 0;
    this.waiting.length = 0;
    this.waitingSince.length = 0;
    this.free.length = 0;
  }

  /** `index` is no longer any connection's: usable again after the quarantine. */
  release(index: number): void {
    if (index < 0 || index >= this.next || this.waiting.includes(index) || this.free.includes(index)) return;
    this.waiting.push(index);
    this.waitingSince.push(this.now());
  }
}

function insertSorted(a: number[], v: number): void {
  let i = a.length;
  while (i > 0 && a[i - 1]! > v) i--;
  a.splice(i, 0, v);
}
