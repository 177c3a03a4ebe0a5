/**
 * The requesting thread's table of requests in flight, indexed by the u32 `requestId` that travels in
 * the ring records (packages/core/src/ring/records.ts). Parallel arrays and a free-list stack instead of a
 * Map of objects: taking and releasing a slot allocates nothing (undici keeps its queue the same way).
 */
export type Settle = (value: unknown) => void;

export class RequestSlots {
  private resolves: Array<Settle | null>;
  private rejects: Array<Settle | null>;
  /** The worker that holds the request, so a worker crash fails exactly its own requests. */
  private workers: Int32Array;
  private free: Int32Array;
  private freeTop: number;
  /** 1 for a slot failed before its worker answered: not reused until the answer comes (see orphan). */
  private orphaned: Uint8Array;
  inFlight = 0;
  /** One past the highest id ever taken: ids are taken lowest first, so scans stop here. */
  highWater = 0;

  constructor(private capacity: number) {
    // Filled by push: `new Array(n)` above ~100k elements starts in V8's slow dictionary mode.
    this.resolves = [];
    this.rejects = [];
    for (let i = 0; i < capacity; i++) {
      this.resolves.push(null);
      this.rejects.push(null);
    }
    this.workers = new Int32Array(capacity).fill(-1);
    this.orphaned = new Uint8Array(capacity);
    this.free = new Int32Array(capacity);
    // Lowest ids on top, so a lightly loaded client reuses the same few slots (warm in cache).
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  get size(): number {
    return this.capacity;
  }

  /** Takes a slot, or -1 when `capacity` requests are already in flight. */
  acquire(resolve: Settle, reject: Settle, worker: number): number {
    if (this.freeTop === 0) return -1;
    const id = this.free[--this.freeTop]!;
    this.resolves[id] = resolve;
    this.rejects[id] = reject;
    this.workers[id] = worker;
    this.inFlight++;
    if (id >= this.highWater) this.highWater = id + 1;
    return id;
  }

  /** Whether `id` is a slot in flight (a stale or corrupt id from a ring must never settle another request). */
  has(id: number): boolean {
    return id >= 0 && id < this.capacity && this.resolves[id] !== null;
  }

  resolve(id: number, value: unknown): void {
    const fn = this.resolves[id]!;
    this.release(id);
    fn(value);
  }

  reject(id: number, error: Error): void {
    const fn = this.rejects[id]!;
    this.release(id);
    fn(error);
  }

  /**
   * Fails a request whose answer may still come: its id stays taken, so that late answer cannot settle a newer
   * request with the same id; reclaim() frees it when the answer comes (or rejectAll when its worker is gone).
   */
  orphan(id: number, error: Error): void {
    const fn = this.rejects[id]!;
    this.resolves[id] = null;
    this.rejects[id] = null;
    this.orphaned[id] = 1;
    this.inFlight--;
    fn(error);
  }

  /** The answer of an orphaned request came: its id is free again. A no-op for any other id. */
  reclaim(id: number): void {
    if (id >= 0 && id < this.capacity && this.orphaned[id] === 1) {
      this.orphaned[id] = 0;
      this.workers[id] = -1;
      this.free[this.freeTop++] = id;
    }
  }

  /**
   * Fails every request held by `worker` (or every request when worker is -1), and frees the orphaned ids it
   * held: no answer can come for them any more. Returns how many requests failed.
   */
  rejectAll(worker: number, makeError: (id: number) => Error): number {
    let n = 0;
    for (let id = 0; id < this.highWater; id++) {
      if (worker !== -1 && this.workers[id] !== worker) continue;
      if (this.resolves[id] !== null) {
        this.reject(id, makeError(id));
        n++;
      } else {
        this.reclaim(id);
      }
    }
    return n;
  }

  private release(id: number): void {
    this.resolves[id] = null;
    this.rejects[id] = null;
    this.workers[id] = -1;
    this.free[this.freeTop++] = id;
    this.inFlight--;
  }
}
