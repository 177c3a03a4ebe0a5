/**
 * Stream-id table of one connection: which ids are free, what each busy id carries, and when it
 * times out. Everything lives in typed arrays indexed by stream id, so taking and giving back an id
 * allocates nothing (undici's slot arrays; scylla-rust-driver's orphaner for timed-out ids).
 *
 * Spec (native_protocol_v4.spec section 2.3, v5 section 2.4.3): stream ids are signed 16-bit; the
 * client uses 0..32767, the server pushes events on -1.
 */

/** The largest number of stream ids one connection can use (ids 0..32767). */
export const MAX_STREAM_IDS = 32768;

/** What a stream id currently holds. */
export const StreamState = {
  FREE: 0,
  /** A request of the worker engine: its tag (the engine's request id) is in `tags`. */
  REQUEST: 1,
  /** A control request (`Connection.request`): its promise is kept by the connection. */
  CONTROL: 2,
  /**
   * Timed out: the caller was already told, the id stays taken until the late answer arrives, since
   * reusing it earlier would hand that answer to the wrong request.
   */
  ORPHANED: 3,
} as const;
export type StreamStateCode = (typeof StreamState)[keyof typeof StreamState];

export class StreamIdTable {
  readonly capacity: number;
  /** Free ids as a stack; the lowest ids are on top, so a lightly used connection keeps small ids. */
  private readonly free: Uint16Array;
  private top: number;
  readonly state: Uint8Array;
  /** The engine's request id for REQUEST ids (up to 2^32 - 1). */
  readonly tags: Uint32Array;
  /** Absolute deadline (performance.now() ms) per busy id; 0 = none. */
  readonly deadlines: Float64Array;
  /** The timeout each busy id was sent with (ms), for the error message. */
  readonly timeouts: Uint32Array;
  /** One past the highest id ever taken: the timeout scan and the failure sweep stop there. */
  highWater = 0;
  /** REQUEST + CONTROL ids (not orphans). */
  inFlight = 0;
  orphaned = 0;

  constructor(capacity: number = MAX_STREAM_IDS) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_STREAM_IDS) {
      throw new RangeError(`stream id capacity must be 1..${MAX_STREAM_IDS}, got ${capacity}`);
    }
    this.capacity = capacity;
    this.free = new Uint16Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.top = capacity;
    this.state = new Uint8Array(capacity);
    this.tags = new Uint32Array(capacity);
    this.deadlines = new Float64Array(capacity);
    this.timeouts = new Uint32Array(capacity);
  }

  /** Free ids left. */
  get available(): number {
    return this.top;
  }

  /** Takes a free id for `state` (REQUEST or CONTROL), or returns -1 when all are busy. */
  acquire(state: number, tag: number, deadline: number, timeoutMs: number): number {
    if (this.top === 0) return -1;
    const id = this.free[--this.top]!;
    this.state[id] = state;
    this.tags[id] = tag;
    this.deadlines[id] = deadline;
    this.timeouts[id] = timeoutMs;
    this.inFlight++;
    if (id >= this.highWater) this.highWater = id + 1;
    return id;
  }

  /** Gives back a busy or orphaned id. */
  release(id: number): void {
    const s = this.state[id];
    if (s === StreamState.ORPHANED) this.orphaned--;
    else this.inFlight--;
    this.state[id] = StreamState.FREE;
    this.deadlines[id] = 0;
    this.free[this.top++] = id;
  }

  /** Marks a busy id as timed out; it is reclaimed by `release` when its answer comes. */
  orphan(id: number): void {
    this.state[id] = StreamState.ORPHANED;
    this.deadlines[id] = 0;
    this.inFlight--;
    this.orphaned++;
  }

  /** Whether `id` (from the wire) names an id we handed out (busy or orphaned). */
  isTaken(id: number): boolean {
    return id >= 0 && id < this.capacity && this.state[id] !== StreamState.FREE;
  }
}
