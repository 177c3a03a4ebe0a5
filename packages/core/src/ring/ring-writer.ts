import type { Doorbell } from './doorbell';
import { RING_PART_FIRST, RING_PART_LENGTH_BYTES, RING_PART_MORE } from './layout';
import { RingProducer } from './ring-queue';

/**
 * The producer side of a ring as both the requesting threads and the shard workers use it: a message of any
 * size is accepted at once and never lost. The common case is RingProducer's: reserve() gives room in the ring
 * and the caller writes the message there. When the ring is full, or the message is larger than one record may
 * be, the caller hands a copy to enqueue(): messages wait here in order and are written as the consumer frees
 * room, a large one as consecutive parts (layout.ts) that the consumer gathers back into one message. While
 * anything waits, reserve() refuses, so messages always reach the consumer in the order they were given.
 *
 * Both sides write through claim() and commit(): one code path whether the message goes into the ring or
 * waits (the copy is the only difference, and it is made here).
 *
 *   const off = w.claim(kind, n);     // in w.out: the ring's data area, or a new buffer of n bytes
 *   ...write n bytes at w.out[off...]
 *   w.commit();                       // queues the buffer, when it was one; the caller publishes the ring
 */
export class RingWriter {
  readonly producer: RingProducer;
  /** Largest part of a split message: a quarter of the ring, so the consumer frees one while the next is written. */
  private readonly partBytes: number;
  private readonly bell: Doorbell | null;
  private readonly onError: (error: Error) => void;
  /** Messages waiting for room and their kinds, from `head` on. */
  private queue: Uint8Array[] = [];
  private kinds: number[] = [];
  private head = 0;
  /** Bytes of queue[head] already written as parts (0: none). */
  private sent = 0;
  private writing = false;
  private closed = false;
  /**
   * Where the message claim() made room for is written: the ring's data area (`producer.u8`), or the copy
   * commit() queues. Valid from claim() to commit().
   */
  out: Uint8Array;
  private outKind = 0;

  /**
   * `bell` is rung after each write of waiting messages (the caller rings it for what it reserves itself);
   * `onError` is told if writing waiting messages fails, which only a broken ring can make happen.
   */
  constructor(sab: SharedArrayBuffer, bell: Doorbell | null, onError: (error: Error) => void) {
    this.producer = new RingProducer(sab);
    this.partBytes = Math.min(this.producer.maxPayload, Math.max(64, this.producer.capacity >> 2)) & ~7;
    this.bell = bell;
    this.onError = onError;
    this.out = this.producer.u8;
  }

  /**
   * Room for a message of `length` bytes: its offset in `out`. When the ring has room (and nothing waits) that
   * is the ring itself; otherwise `out` is a new buffer of `length` bytes (offset 0) that commit() queues
   * behind the waiting messages. Never fails: a message of any size is accepted.
   */
  claim(kind: number, length: number): number {
    const off = this.reserve(kind, length);
    if (off >= 0) {
      this.out = this.producer.u8;
      return off;
    }
    this.out = new Uint8Array(length);
    this.outKind = kind;
    return 0;
  }

  /** Ends the message claim() made room for: queues its copy when it has one (the ring's own needs publish()). */
  commit(): void {
    const out = this.out;
    if (out === this.producer.u8) return;
    this.out = this.producer.u8;
    this.enqueue(this.outKind, out);
  }

  /**
   * Room for a whole record of `payloadLength` bytes: its offset in `producer.u8`, or -1 when the ring is
   * full, messages are waiting, or the message is too large for one record: then enqueue() a copy.
   */
  reserve(kind: number, payloadLength: number): number {
    if (this.head !== this.queue.length || payloadLength > this.producer.maxPayload) return -1;
    return this.producer.reserve(kind, payloadLength);
  }

  /** Makes what was reserved visible to the consumer (the caller rings the consumer's doorbell). */
  publish(): void {
    this.producer.publish();
  }

  /** Messages waiting for room. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Queues `message` (kept as it is: the caller must not change it) behind everything already queued. */
  enqueue(kind: number, message: Uint8Array): void {
    if (this.closed) return;
    this.queue.push(message);
    this.kinds.push(kind);
    if (!this.writing) {
      this.writing = true;
      void this.writeWaiting();
    }
  }

  /** The consumer is gone: drop what waits and accept nothing more. */
  close(): void {
    this.closed = true;
    this.producer.cancelWaits();
    this.queue = [];
    this.kinds = [];
    this.head = 0;
    this.sent = 0;
  }

  private async writeWaiting(): Promise<void> {
    try {
      while (!this.closed && this.head < this.queue.length) {
        if (this.writeSome()) {
          this.producer.publish();
          if (this.bell !== null) this.bell.ring();
        }
        if (this.head < this.queue.length) await this.producer.waitForSpace();
      }
    } catch (e) {
      this.onError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.writing = false;
    }
  }

  /** Writes as much of the queue as fits now. True when it wrote anything. */
  private writeSome(): boolean {
    const p = this.producer;
    let wrote = false;
    while (this.head < this.queue.length) {
      const msg = this.queue[this.head]!;
      const kind = this.kinds[this.head]!;
      if (this.sent === 0 && msg.length <= p.maxPayload) {
        const off = p.reserve(kind, msg.length);
        if (off < 0) break;
        p.u8.set(msg, off);
      } else if (this.sent === 0) {
        const n = this.partBytes - RING_PART_LENGTH_BYTES;
        const off = p.reservePart(kind, RING_PART_FIRST, this.partBytes);
        if (off < 0) break;
        const total = msg.length;
        p.u8[off] = total & 0xff;
        p.u8[off + 1] = (total >>> 8) & 0xff;
        p.u8[off + 2] = (total >>> 16) & 0xff;
        p.u8[off + 3] = (total >>> 24) & 0xff;
        p.u8.set(msg.subarray(0, n), off + RING_PART_LENGTH_BYTES);
        this.sent = n;
        wrote = true;
        continue;
      } else {
        const n = Math.min(this.partBytes, msg.length - this.sent);
        const off = p.reservePart(kind, RING_PART_MORE, n);
        if (off < 0) break;
        p.u8.set(msg.subarray(this.sent, this.sent + n), off);
        this.sent += n;
        wrote = true;
        if (this.sent < msg.length) continue;
        this.sent = 0;
      }
      wrote = true;
      this.queue[this.head++] = EMPTY;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.kinds.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.kinds = this.kinds.slice(this.head);
      this.head = 0;
    }
    return wrote;
  }
}

const EMPTY = new Uint8Array(0);
