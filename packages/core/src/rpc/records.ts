/**
 * The record formats carried by the ring queues between a requesting thread (the main thread, or any
 * thread holding a client handle) and a shard worker. Both sides import only this file for the payload
 * layout; the ring's own framing (length, kind, alignment) lives in ../ring/layout.ts.
 *
 * All integers little-endian (they never leave the machine); the CQL body inside stays big-endian.
 *
 * Request (kind REQUEST, requester -> worker):
 *   0  u32  requestId     slot index in the requester's promise table, echoed in the answer
 *   4  u16  target        connection index in the worker's table (see TARGET_ANY)
 *   6  u8   opcode        CQL request opcode
 *   7  u8   flags         CQL header flags the worker must set (tracing 0x02, custom payload 0x04)
 *   8  u32  timeoutMs     per-request client timeout; 0 = none
 *   12 ...  body          the CQL message body exactly as it goes on the wire (protocol version as
 *                         negotiated by the worker and announced to requesters)
 *
 * Response (kind RESPONSE, worker -> requester):
 *   0  u32  requestId
 *   4  u8   opcode        CQL response opcode (RESULT, ERROR, ...)
 *   5  u8   flags         CQL response header flags (tracing, warning, custom payload)
 *   6  u16  target        the connection that answered (for result.info.queriedHost)
 *   8  ...  body          the CQL message body (decompressed; v5 segments already unwrapped)
 *
 * Failure (kind FAILURE, worker -> requester): the request never got an answer.
 *   0  u32  requestId
 *   4  u8   failure       one of FailureKind
 *   5  u8   reserved
 *   6  u16  target
 *   8  ...  message       UTF-8 text for the error
 */
export const RecordKind = {
  REQUEST: 1,
  RESPONSE: 2,
  FAILURE: 3,
} as const;

export const REQUEST_HEADER_SIZE = 12;
export const RESPONSE_HEADER_SIZE = 8;
export const FAILURE_HEADER_SIZE = 8;

/** The worker picks any ready connection (round robin). */
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

/** Whether a failure guarantees the request was never written to a socket (so a retry cannot duplicate it). */
export function failureWasNotSent(kind: number): boolean {
  return kind === FailureKind.NO_CONNECTION || kind === FailureKind.BUSY || kind === FailureKind.BAD_REQUEST || kind === FailureKind.SHUTTING_DOWN;
}

/** Writes a REQUEST record's header at `off` (the body follows at off + REQUEST_HEADER_SIZE). */
export function writeRequestHeader(u8: Uint8Array, off: number, requestId: number, target: number, opcode: number, flags: number, timeoutMs: number): void {
  u8[off] = requestId & 0xff;
  u8[off + 1] = (requestId >>> 8) & 0xff;
  u8[off + 2] = (requestId >>> 16) & 0xff;
  u8[off + 3] = (requestId >>> 24) & 0xff;
  u8[off + 4] = target & 0xff;
  u8[off + 5] = (target >>> 8) & 0xff;
  u8[off + 6] = opcode;
  u8[off + 7] = flags;
  u8[off + 8] = timeoutMs & 0xff;
  u8[off + 9] = (timeoutMs >>> 8) & 0xff;
  u8[off + 10] = (timeoutMs >>> 16) & 0xff;
  u8[off + 11] = (timeoutMs >>> 24) & 0xff;
}

/**
 * Writes a RESPONSE or FAILURE record's header at `off`: both are requestId, two bytes (opcode and flags, or
 * failure kind and 0), target. The body or message follows at off + 8.
 */
export function writeAnswerHeader(u8: Uint8Array, off: number, requestId: number, b4: number, b5: number, target: number): void {
  u8[off] = requestId & 0xff;
  u8[off + 1] = (requestId >>> 8) & 0xff;
  u8[off + 2] = (requestId >>> 16) & 0xff;
  u8[off + 3] = (requestId >>> 24) & 0xff;
  u8[off + 4] = b4;
  u8[off + 5] = b5;
  u8[off + 6] = target & 0xff;
  u8[off + 7] = (target >>> 8) & 0xff;
}
