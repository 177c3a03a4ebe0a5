/**
 * Every offset and constant of the SharedArrayBuffer ring queues. Producer and consumer import only this
 * file for the layout (piscina keeps its shared slots in one `common.ts` the same way).
 *
 * A ring is one SharedArrayBuffer: a 256-byte control block, then a data area of `capacity` bytes
 * (a power of two). Positions are byte counts that only grow (mod 2^32) and are stored in Int32 slots;
 * `position & (capacity - 1)` is the offset in the data area, `(tail - head) >>> 0` the bytes in use.
 *
 *   control block: byte offsets (the RING_* slot constants are Int32 indices = offset / 4); each slot is
 *   written by one side only and sits on its own 64-byte cache line
 *   ┌──────────────┬──────────────┬────────────────┬──────────────┐
 *   │ 0  TAIL      │ 64 HEAD      │ 128 PRODUCER_  │ 192 CAPACITY │
 *   │ (producer)   │ (consumer)   │  WAITING (prod)│ (constant)   │
 *   └──────────────┴──────────────┴────────────────┴──────────────┘
 *
 *   data area (capacity bytes, records 8-byte aligned, little-endian headers)
 *        head & mask                        tail & mask
 *            │                                   │
 *   ┌────────▼───────────┬──────────┬────────────▼───────────────────┬─────┐
 *   │ free   │ rec │ rec │ rec      │ reserved (not yet published)   │ PAD │
 *   └────────┴─────┴─────┴──────────┴────────────────────────────────┴─────┘
 *                                                          a record never straddles the end:
 *                                                          the producer writes a PAD to the end, wraps to 0
 *
 *   record: ┌ u32 length ┬ u16 kind ┬ u16 part ┬ payload (length bytes) ┬ 0..7 bytes to the next 8 ┐
 *           0            4          6          8
 *
 *   A message larger than a record may be (capacity/2 - 8) travels as consecutive parts of one kind, with
 *   nothing of the same producer between them (ring-writer.ts writes them): the first (part FIRST) starts
 *   with the u32 length of the whole message, then its first bytes; each next one (part MORE) carries the
 *   bytes that follow. The consumer gathers them into one buffer and returns the whole message as one record.
 *   Part 0 (WHOLE) is an ordinary record, the only kind a small message ever takes.
 *
 * Memory order: the producer writes records with plain stores, then `Atomics.store(TAIL)`; the consumer
 * `Atomics.load(TAIL)` before reading them (the store/load pair orders the plain writes, per the ECMAScript
 * memory model's synchronizes-with on seq-cst atomics). Symmetrically for HEAD and the space it frees.
 */

/** Bytes before the data area. */
export const RING_CONTROL_BYTES = 256;
/** Int32 index of the producer's published position (written by the producer only). */
export const RING_TAIL = 0;
/** Int32 index of the consumer's released position (written by the consumer only). */
export const RING_HEAD = 16;
/** Int32 index of the number of producer continuations waiting for space; > 0 makes release() notify (written by the producer only). */
export const RING_PRODUCER_WAITING = 32;
/** Int32 index of the data capacity in bytes (written once at creation). */
export const RING_CAPACITY = 48;

/** Record header: u32 payload length, u16 kind, u16 zero. */
export const RING_RECORD_HEADER_BYTES = 8;
/** Records start on 8-byte boundaries. */
export const RING_RECORD_ALIGN = 8;
/** Part values of the record header's second u16 (see the record layout above). */
export const RING_PART_WHOLE = 0;
export const RING_PART_FIRST = 1;
export const RING_PART_MORE = 2;
/** Bytes of the whole message's length at the start of a FIRST part. */
export const RING_PART_LENGTH_BYTES = 4;
/** Largest message a consumer gathers from parts (the CQL body limit, 256 MiB, plus room for record headers). */
export const RING_MAX_MESSAGE = 256 * 1024 * 1024 + 4096;

/** Kind of the filler record that closes the data area before a wrap; never returned to the consumer. */
export const RING_KIND_PAD = 0;
/** Largest user kind (u16). */
export const RING_KIND_MAX = 0xffff;

/** Smallest and largest data capacities accepted by createRingBuffer. */
export const RING_MIN_CAPACITY = 64;
export const RING_MAX_CAPACITY = 1 << 30;

/** Bytes a record with `payloadLength` bytes takes in the data area. */
export function ringRecordSize(payloadLength: number): number {
  return RING_RECORD_HEADER_BYTES + ((payloadLength + 7) & ~7);
}

/**
 * Largest payload a ring of `capacity` bytes accepts. A record of at most capacity/2 bytes always fits once
 * the ring is empty, wherever the positions stand: either it fits before the end, or the end is less than
 * capacity/2 away and the PAD plus the record take at most capacity.
 */
export function ringMaxPayloadFor(capacity: number): number {
  return capacity / 2 - RING_RECORD_HEADER_BYTES;
}

/**
 * Doorbell: its own small SharedArrayBuffer, one per consuming thread (a worker with many producer rings
 * sleeps on one doorbell). One Int32 slot: AWAKE or SLEEPING, written by the consumer when it goes to sleep
 * and by whichever producer wakes it.
 */
export const DOORBELL_BYTES = 64;
export const DOORBELL_STATE = 0;
export const DOORBELL_AWAKE = 0;
export const DOORBELL_SLEEPING = 1;
