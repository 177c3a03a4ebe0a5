/**
 * The requesting thread's table of requests in flight, indexed by the u32 `requestId` that travels in
 * the ring records (packages/core/src/rpc/records.ts). Parallel arrays and a free-list stack instead of a
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
  inFlight = 0;

  constructor(private capacity: number) {
    // Filled by push: `new Array(n)` above ~100k elements starts in V8's slow dictionary mode.
    this.resolves = [];
    this.rejects = [];
    for (let i = 0; i < capacity; i++) {
      this.resolves.push(null);
      this.rejects.push(null);
    }
    this.workers = new Int32Array(capacity).fill(-1);
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

  /** Fails every request held by `worker` (or every request when worker is -1). Returns how many. */
  rejectAll(worker: number, makeError: (id: number) => Error): number {
    let n = 0;
    for (let id = 0; id < this.capacity; id++) {
      if (this.resolves[id] !== null && (worker === -1 || this.workers[id] === worker)) {
        this.reject(id, makeError(id));
        n++;
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
