/**
 * The ring protocol: the records carried by the ring queues between a requesting thread (the main thread, or
 * any thread holding a client handle) and a shard worker. Both sides read and write records only through this
 * file; the ring's own framing (length, kind, part, alignment) is layout.ts.
 *
 * All integers little-endian (they never leave the machine); the CQL body inside stays big-endian.
 *
 * Request (kind RING_KIND_REQUEST, requester -> worker):
 *   0  u32  requestId     slot index in the requester's promise table, echoed in the answer
 *   4  u16  target        connection index in the worker's table (see TARGET_ANY)
 *   6  u8   opcode        CQL request opcode
 *   7  u8   flags         CQL header flags the worker must set (tracing 0x02, custom payload 0x04)
 *   8  u32  timeoutMs     per-request client timeout; 0 = none
 *   12 ...  body          the CQL message body exactly as it goes on the wire (protocol version as
 *                         negotiated by the worker and announced to requesters)
 *
 * Response (kind RING_KIND_RESPONSE, worker -> requester):
 *   0  u32  requestId
 *   4  u8   opcode        CQL response opcode (RESULT, ERROR, ...)
 *   5  u8   flags         CQL response header flags (tracing, warning, custom payload)
 *   6  u16  target        the connection that answered (0xffff: the one the request named)
 *   8  ...  body          the CQL message body (decompressed; v5 segments already unwrapped)
 *
 * Failure (kind RING_KIND_FAILURE, worker -> requester): the request never got an answer.
 *   0  u32  requestId
 *   4  u8   failure       one of FailureKind
 *   5  u8   reserved (0)
 *   6  u16  target
 *   8  ...  message       UTF-8 text for the error
 *
 * RESPONSE and FAILURE share their 8-byte header (ANSWER_HEADER_SIZE): requestId, two bytes, target.
 *
 * The field readers and writers below are tiny functions on (bytes, record offset): V8 inlines them, and a
 * record costs no object. Hot code imports them from this module itself, not through the package index
 * (see the package's README: an `export *` re-export is a getter call on every access in CommonJS output).
 */

/** Ring record kinds of the protocol (layout.ts's kind field; 0 is RING_KIND_PAD). */
export const RING_KIND_REQUEST = 1;
export const RING_KIND_RESPONSE = 2;
export const RING_KIND_FAILURE = 3;

export const REQUEST_HEADER_SIZE = 12;
/** RESPONSE and FAILURE records' header. */
export const ANSWER_HEADER_SIZE = 8;
export const RESPONSE_HEADER_SIZE = ANSWER_HEADER_SIZE;
export const FAILURE_HEADER_SIZE = ANSWER_HEADER_SIZE;
/** Bytes of the request id every record starts with: a shorter record answers nothing. */
export const RECORD_ID_SIZE = 4;

/** The worker picks any ready connection (round robin); in an answer: the target the request named. */
export const TARGET_ANY = 0xffff;

export const FailureKind = {
  /** No answer within timeoutMs: OperationTimedOutError. The stream id stays orphaned until the answer comes. */
  TIMEOUT: 1,
  /** The connection closed or broke with the request on it: the request may or may not have run. */
  CONNECTION_LOST: 2,
  /** No usable connection for the target. The request was not sent. */
  NO_CONNECTION: 3,
  /** All stream ids of the target are in use. The request was not sent. */
  BUSY: 4,
  /** The record was malformed or too large. The request was not sent. */
  BAD_REQUEST: 5,
  /** The worker is shutting down. The request was not sent. */
  SHUTTING_DOWN: 6,
  /** The answer came but could not be handed on (a bug, or out of memory): DriverInternalError. */
  INTERNAL: 7,
} as const;
export type FailureKindCode = (typeof FailureKind)[keyof typeof FailureKind];

/**
 * Whether a failure guarantees the request was never written to a socket (so a retry cannot duplicate it):
 * the worker fails these before handing the request to a connection. The requester marks exactly these
 * errors not sent (client engine/ring-requester.ts failureError).
 */
export function failureWasNotSent(kind: number): boolean {
  return (
    kind === FailureKind.NO_CONNECTION ||
    kind === FailureKind.BUSY ||
    kind === FailureKind.BAD_REQUEST ||
    kind === FailureKind.SHUTTING_DOWN
  );
}

// ---- little-endian fields ---------------------------------------------------------------------

function u32At(u8: Uint8Array, at: number): number {
  return (u8[at]! | (u8[at + 1]! << 8) | (u8[at + 2]! << 16)) + u8[at + 3]! * 0x1000000;
}

function setU32(u8: Uint8Array, at: number, v: number): void {
  u8[at] = v & 0xff;
  u8[at + 1] = (v >>> 8) & 0xff;
  u8[at + 2] = (v >>> 16) & 0xff;
  u8[at + 3] = (v >>> 24) & 0xff;
}

function setU16(u8: Uint8Array, at: number, v: number): void {
  u8[at] = v & 0xff;
  u8[at + 1] = (v >>> 8) & 0xff;
}

// ---- every record -------------------------------------------------------------------------------

/** The request id a record of any kind starts with (check `length >= RECORD_ID_SIZE` first). */
export function recordRequestId(u8: Uint8Array, off: number): number {
  return u32At(u8, off);
}

// ---- REQUEST ------------------------------------------------------------------------------------

/**
 * Writes a REQUEST record's header at `off` (the body follows at off + REQUEST_HEADER_SIZE): the request id
 * and target here, then the opcode, flags and timeout with writeRequestOp.
 */
export function writeRequestHeader(u8: Uint8Array, off: number, requestId: number, target: number): void {
  setU32(u8, off, requestId);
  setU16(u8, off + 4, target);
}

/** The second half of a REQUEST header: opcode, flags, timeout (see writeRequestHeader). */
export function writeRequestOp(u8: Uint8Array, off: number, opcode: number, flags: number, timeoutMs: number): void {
  u8[off + 6] = opcode;
  u8[off + 7] = flags;
  setU32(u8, off + 8, timeoutMs);
}

export function requestTarget(u8: Uint8Array, off: number): number {
  return u8[off + 4]! | (u8[off + 5]! << 8);
}

export function requestOpcode(u8: Uint8Array, off: number): number {
  return u8[off + 6]!;
}

export function requestFlags(u8: Uint8Array, off: number): number {
  return u8[off + 7]!;
}

export function requestTimeoutMs(u8: Uint8Array, off: number): number {
  return u32At(u8, off + 8);
}

// ---- RESPONSE and FAILURE -----------------------------------------------------------------------

/**
 * Writes a RESPONSE header at `off` (the body follows at off + ANSWER_HEADER_SIZE). The target is
 * TARGET_ANY: the requester knows the target it asked for.
 */
export function writeResponseHeader(u8: Uint8Array, off: number, requestId: number, opcode: number, flags: number): void {
  setU32(u8, off, requestId);
  u8[off + 4] = opcode;
  u8[off + 5] = flags;
  setU16(u8, off + 6, TARGET_ANY);
}

/** Writes a FAILURE header at `off` (the UTF-8 message follows at off + ANSWER_HEADER_SIZE). */
export function writeFailureHeader(u8: Uint8Array, off: number, requestId: number, failure: number, target: number): void {
  setU32(u8, off, requestId);
  u8[off + 4] = failure;
  u8[off + 5] = 0;
  setU16(u8, off + 6, target);
}

export function responseOpcode(u8: Uint8Array, off: number): number {
  return u8[off + 4]!;
}

export function responseFlags(u8: Uint8Array, off: number): number {
  return u8[off + 5]!;
}

/** A FAILURE's FailureKind. */
export function failureKind(u8: Uint8Array, off: number): number {
  return u8[off + 4]!;
}

export function answerTarget(u8: Uint8Array, off: number): number {
  return u8[off + 6]! | (u8[off + 7]! << 8);
}
