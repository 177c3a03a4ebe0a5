import { ArgumentError, DriverInternalError } from '../errors';
import { waitAsync } from './atomics-wait';
import type { Doorbell } from './doorbell';
import {
  RING_KIND_MAX,
  RING_KIND_PAD,
  RING_MAX_MESSAGE,
  RING_PART_FIRST,
  RING_PART_LENGTH_BYTES,
  RING_PART_MORE,
  RING_PART_WHOLE,
  RING_RECORD_HEADER_BYTES,
  RING_CAPACITY,
  RING_CONTROL_BYTES,
  RING_HEAD,
  RING_MAX_CAPACITY,
  RING_MIN_CAPACITY,
  RING_PRODUCER_WAITING,
  RING_TAIL,
  ringMaxPayloadFor,
  ringRecordSize,
} from './layout';

const RESOLVED: Promise<void> = Promise.resolve();

/** A ring whose data area holds `capacityBytes` (a power of two, 64 B .. 1 GiB). See layout.ts. */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  if (
    !Number.isInteger(capacityBytes) ||
    capacityBytes < RING_MIN_CAPACITY ||
    capacityBytes > RING_MAX_CAPACITY ||
    (capacityBytes & (capacityBytes - 1)) !== 0
  ) {
    throw new ArgumentError(
      `Ring capacity must be a power of two between ${RING_MIN_CAPACITY} and ${RING_MAX_CAPACITY}, got ${capacityBytes}`,
    );
  }
  const sab = new SharedArrayBuffer(RING_CONTROL_BYTES + capacityBytes);
  new Int32Array(sab, 0, RING_CONTROL_BYTES >> 2)[RING_CAPACITY] = capacityBytes;
  return sab;
}

function ringCapacity(sab: SharedArrayBuffer): number {
  if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < RING_CONTROL_BYTES + RING_MIN_CAPACITY) {
    throw new ArgumentError('Not a ring buffer (see createRingBuffer)');
  }
  const cap = Atomics.load(new Int32Array(sab, 0, RING_CONTROL_BYTES >> 2), RING_CAPACITY);
  if (cap < RING_MIN_CAPACITY || (cap & (cap - 1)) !== 0 || RING_CONTROL_BYTES + cap !== sab.byteLength) {
    throw new ArgumentError('Not a ring buffer (see createRingBuffer): bad capacity slot');
  }
  return cap;
}

/**
 * The single producer of a ring. Hot path: reserve() (plain writes of one header), fill u8 at the returned
 * offset, and publish() once per batch (one Atomics.store, plus one Atomics.load on the doorbell if any).
 * Positions are kept as int32 and compared mod 2^32.
 */
export class RingProducer {
  /** The data area; payload offsets from reserve() index it. */
  readonly u8: Uint8Array;
  /** The same bytes, for little-endian integer fields in payloads. */
  readonly view: DataView;
  /** Largest payloadLength reserve() accepts: capacity / 2 - 8. */
  readonly maxPayload: number;
  readonly capacity: number;

  private readonly ctrl: Int32Array;
  private readonly i32: Int32Array;
  private readonly mask: number;
  private readonly doorbell: Doorbell | null;
  /** End of the last reserved record (not yet visible to the consumer until publish). */
  private reserved: number;
  /** What the consumer can see. */
  private published: number;
  /** Last HEAD read; refreshed only when the cached value says the ring is full. */
  private headCache: number;
  /** Size of the record whose reserve() failed last; 0 when none. waitForSpace() waits for it to fit. */
  private pendingSize: number;
  /** waitForSpace() calls in progress on this thread (mirrored in the WAITING slot). */
  private waiters: number;
  /** Set by cancelWaits(): every waitForSpace() returns at once. */
  private cancelled = false;

  constructor(sab: SharedArrayBuffer, doorbell: Doorbell | null = null) {
    const cap = ringCapacity(sab);
    this.capacity = cap;
    this.mask = cap - 1;
    this.maxPayload = ringMaxPayloadFor(cap);
    this.ctrl = new Int32Array(sab, 0, RING_CONTROL_BYTES >> 2);
    this.u8 = new Uint8Array(sab, RING_CONTROL_BYTES, cap);
    this.view = new DataView(sab, RING_CONTROL_BYTES, cap);
    this.i32 = new Int32Array(sab, RING_CONTROL_BYTES, cap >> 2);
    this.doorbell = doorbell;
    // A producer may be re-created on an existing ring (another thread took it over): start where it stands.
    this.reserved = this.published = Atomics.load(this.ctrl, RING_TAIL);
    this.headCache = Atomics.load(this.ctrl, RING_HEAD);
    this.pendingSize = 0;
    this.waiters = 0;
  }

  /**
   * Reserves a record and writes its header. Returns the payload's offset in `u8` (write exactly
   * `payloadLength` bytes there), or -1 when the ring has no room (call publish(), then waitForSpace()).
   * Throws RangeError when payloadLength > maxPayload: the caller must split such messages.
   */
  reserve(kind: number, payloadLength: number): number {
    return this.reservePart(kind, RING_PART_WHOLE, payloadLength);
  }

  /**
   * reserve() for one part of a message split over several records (layout.ts; ring-writer.ts writes them).
   * `part` is RING_PART_WHOLE, RING_PART_FIRST or RING_PART_MORE.
   */
  reservePart(kind: number, part: number, payloadLength: number): number {
    if (!(payloadLength >= 0 && payloadLength <= this.maxPayload) || (payloadLength | 0) !== payloadLength) {
      throw new RangeError(`Ring record payload of ${payloadLength} bytes (max ${this.maxPayload})`);
    }
    if (!(kind > RING_KIND_PAD && kind <= RING_KIND_MAX) || (kind | 0) !== kind) {
      throw new RangeError(`Ring record kind ${kind} (1..${RING_KIND_MAX})`);
    }
    const size = ringRecordSize(payloadLength);
    const cap = this.capacity;
    let pos = this.reserved;
    let off = pos & this.mask;
    const toEnd = cap - off;
    // A record never straddles the end: if it does not fit before it, a PAD fills the rest and it goes at 0.
    const need = size <= toEnd ? size : toEnd + size;
    if (cap - ((pos - this.headCache) >>> 0) < need) {
      this.headCache = Atomics.load(this.ctrl, RING_HEAD);
      if (cap - ((pos - this.headCache) >>> 0) < need) {
        this.pendingSize = size;
        return -1;
      }
    }
    const i32 = this.i32;
    if (size > toEnd) {
      i32[off >> 2] = toEnd - RING_RECORD_HEADER_BYTES;
      i32[(off >> 2) + 1] = RING_KIND_PAD;
      pos = (pos + toEnd) | 0;
      off = 0;
    }
    i32[off >> 2] = payloadLength;
    i32[(off >> 2) + 1] = kind | (part << 16); // u16 kind + u16 part, native (little-endian) order
    this.reserved = (pos + size) | 0;
    this.pendingSize = 0;
    return off + RING_RECORD_HEADER_BYTES;
  }

  /** Makes every reserved record visible (one Atomics.store), then rings the doorbell if one was given. */
  publish(): void {
    const r = this.reserved;
    if (r === this.published) return;
    this.published = r;
    Atomics.store(this.ctrl, RING_TAIL, r);
    if (this.doorbell !== null) this.doorbell.ring();
  }

  /** Bytes reserved or published and not yet released by the consumer (as last seen). */
  get usedBytes(): number {
    return (this.reserved - Atomics.load(this.ctrl, RING_HEAD)) >>> 0;
  }

  /**
   * Publishes what is reserved, then resolves once the record whose reserve() last returned -1 fits (at once
   * if none failed). Waits with Atomics.waitAsync on the consumer's HEAD: never blocks the thread.
   *
   * No lost wake-up: the producer stores WAITING (a count > 0) then loads HEAD; the consumer's release() stores
   * HEAD then loads WAITING (all seq-cst). Either the producer sees the new HEAD, or the consumer sees
   * WAITING > 0 and notifies; waitAsync(HEAD, h) returns at once if HEAD already moved from h. Only the
   * producer lowers WAITING, when its last waiter is satisfied, so every release() meanwhile notifies.
   * Callers loop: `while ((off = p.reserve(k, n)) < 0) await p.waitForSpace();`
   */
  waitForSpace(): Promise<void> {
    this.publish();
    if (this.cancelled || this.pendingSize === 0 || this.fits(Atomics.load(this.ctrl, RING_HEAD))) return RESOLVED;
    return this.waitLoop();
  }

  private fits(head: number): boolean {
    this.headCache = head;
    const size = this.pendingSize;
    if (size === 0) return true;
    const toEnd = this.capacity - (this.reserved & this.mask);
    const need = size <= toEnd ? size : toEnd + size;
    return this.capacity - ((this.reserved - head) >>> 0) >= need;
  }

  /**
   * The consumer is gone: every waitForSpace() in progress or to come resolves now (reserve() may still fail),
   * so nothing stays parked on a ring no one will drain, holding it in memory.
   */
  cancelWaits(): void {
    this.cancelled = true;
    Atomics.notify(this.ctrl, RING_HEAD);
  }

  private async waitLoop(): Promise<void> {
    const ctrl = this.ctrl;
    // A count, not a flag: several callers on the producer's thread may wait at once, and WAITING must stay
    // non-zero until the last of them is done, or a release() could skip the notify one of them needs.
    Atomics.store(ctrl, RING_PRODUCER_WAITING, ++this.waiters);
    try {
      for (;;) {
        const head = Atomics.load(ctrl, RING_HEAD);
        if (this.cancelled || this.fits(head)) return;
        const r = waitAsync(ctrl, RING_HEAD, head, Infinity);
        if (r.async) await r.value;
      }
    } finally {
      Atomics.store(ctrl, RING_PRODUCER_WAITING, --this.waiters);
    }
  }
}

/**
 * What RingConsumer.drainTo hands each record to: the shard worker's dispatcher, the requester's settle. One
 * implementation per thread, so the call stays monomorphic. `source` is the caller's name for the ring.
 */
export interface RecordSink<S> {
  onRecord(source: S, data: Uint8Array, kind: number, offset: number, length: number): void;
}

/**
 * The single consumer of a ring. next() walks published records (skipping PADs) without touching shared
 * state except one Atomics.load of TAIL when its cached copy is exhausted; release() frees everything
 * next() has returned so far, the current record included, with one Atomics.store.
 */
export class RingConsumer {
  /** The data area. */
  readonly u8: Uint8Array;
  readonly view: DataView;
  readonly capacity: number;
  /**
   * The current record (valid after next() returned true, until release()): its payload is
   * `data[offset, offset + length)`. `data` is the data area `u8` for a record that came whole, or a Buffer of
   * its own (offset 0) for a message gathered from parts, which the caller may keep.
   */
  data: Uint8Array;
  kind: number;
  offset: number;
  length: number;

  private readonly ctrl: Int32Array;
  private readonly i32: Int32Array;
  private readonly mask: number;
  private consumed: number;
  private released: number;
  private tailCache: number;
  /** The message being gathered from parts (null when none), its kind, and how many bytes it has so far. */
  private gather: Buffer | null;
  private gatherKind: number;
  private gatherAt: number;

  constructor(sab: SharedArrayBuffer) {
    const cap = ringCapacity(sab);
    this.capacity = cap;
    this.mask = cap - 1;
    this.ctrl = new Int32Array(sab, 0, RING_CONTROL_BYTES >> 2);
    this.u8 = new Uint8Array(sab, RING_CONTROL_BYTES, cap);
    this.view = new DataView(sab, RING_CONTROL_BYTES, cap);
    this.i32 = new Int32Array(sab, RING_CONTROL_BYTES, cap >> 2);
    this.consumed = this.released = Atomics.load(this.ctrl, RING_HEAD);
    // The first next() loads (and checks) the tail.
    this.tailCache = this.consumed;
    this.data = this.u8;
    this.kind = 0;
    this.offset = 0;
    this.length = 0;
    this.gather = null;
    this.gatherKind = 0;
    this.gatherAt = 0;
  }

  /** Moves to the next published record; false when there is none (yet). */
  next(): boolean {
    for (;;) {
      const pos = this.consumed;
      if (pos === this.tailCache) {
        const tail = Atomics.load(this.ctrl, RING_TAIL);
        if (tail === pos) return false;
        // A healthy producer is never more than one ring ahead; anything else is a corrupt tail, and reading
        // on would walk the ring round and round (the fuzzer's hang).
        if ((tail - pos) >>> 0 > this.capacity) {
          throw new DriverInternalError(
            `Corrupt ring: tail ${tail >>> 0} is ${(tail - pos) >>> 0} bytes ahead of ${pos >>> 0} (capacity ${this.capacity})`,
          );
        }
        this.tailCache = tail;
      }
      const off = pos & this.mask;
      const len = this.i32[off >> 2]! >>> 0;
      const word = this.i32[(off >> 2) + 1]!;
      const kind = word & 0xffff;
      // Checked before rounding: ringRecordSize works in int32 and a corrupt length >= 2^31 would wrap.
      if (len > this.capacity - off - RING_RECORD_HEADER_BYTES) {
        throw new DriverInternalError(`Corrupt ring record at ${off}: length ${len}`);
      }
      const size = ringRecordSize(len);
      if (size > this.capacity - off || size > (this.tailCache - pos) >>> 0) {
        throw new DriverInternalError(`Corrupt ring record at ${off}: length ${len}`);
      }
      this.consumed = (pos + size) | 0;
      if (kind === RING_KIND_PAD) continue;
      const part = word >>> 16;
      if (part === RING_PART_WHOLE && this.gather === null) {
        this.data = this.u8;
        this.kind = kind;
        this.offset = off + RING_RECORD_HEADER_BYTES;
        this.length = len;
        return true;
      }
      if (this.gatherPart(kind, part, off + RING_RECORD_HEADER_BYTES, len)) return true;
    }
  }

  /**
   * Adds one part of a split message (layout.ts). True when the message is whole: it is then the current
   * record. Parts out of order, of another kind, or beyond the announced length mean a corrupt ring.
   */
  private gatherPart(kind: number, part: number, at: number, len: number): boolean {
    const u8 = this.u8;
    let g = this.gather;
    if (part === RING_PART_FIRST && g === null && len >= RING_PART_LENGTH_BYTES) {
      const total = (u8[at]! | (u8[at + 1]! << 8) | (u8[at + 2]! << 16)) + u8[at + 3]! * 0x1000000;
      const first = len - RING_PART_LENGTH_BYTES;
      if (total <= first || total > RING_MAX_MESSAGE) {
        throw new DriverInternalError(`Corrupt ring: a split message of ${total} bytes starts with ${first}`);
      }
      g = Buffer.allocUnsafe(total);
      g.set(u8.subarray(at + RING_PART_LENGTH_BYTES, at + len), 0);
      this.gather = g;
      this.gatherKind = kind;
      this.gatherAt = first;
      return false;
    }
    if (part !== RING_PART_MORE || g === null || kind !== this.gatherKind || len === 0 || this.gatherAt + len > g.length) {
      throw new DriverInternalError(`Corrupt ring: record part ${part} (kind ${kind}, ${len} bytes) out of sequence`);
    }
    g.set(u8.subarray(at, at + len), this.gatherAt);
    this.gatherAt += len;
    if (this.gatherAt < g.length) return false;
    this.gather = null;
    this.data = g;
    this.kind = kind;
    this.offset = 0;
    this.length = g.length;
    return true;
  }

  /**
   * The drain loop of both sides: hands every published record to `sink` (its payload is valid only during the
   * call, as after next()), then releases them all. Returns how many records it read. A corrupt ring throws
   * from next(), and nothing is released then.
   */
  drainTo<S>(sink: RecordSink<S>, source: S): number {
    let got = 0;
    while (this.next()) {
      got++;
      sink.onRecord(source, this.data, this.kind, this.offset, this.length);
    }
    // Also when nothing whole came: the parts of a split message read so far must be freed for the rest.
    this.release();
    return got;
  }

  /** True when a record is published and not yet consumed (one Atomics.load); for the doorbell re-check. */
  hasRecords(): boolean {
    return this.consumed !== Atomics.load(this.ctrl, RING_TAIL);
  }

  /** Frees every record next() returned (one Atomics.store) and wakes a producer waiting for space. */
  release(): void {
    const c = this.consumed;
    if (c === this.released) return;
    this.released = c;
    const ctrl = this.ctrl;
    Atomics.store(ctrl, RING_HEAD, c);
    if (Atomics.load(ctrl, RING_PRODUCER_WAITING) !== 0) Atomics.notify(ctrl, RING_HEAD);
  }
}
