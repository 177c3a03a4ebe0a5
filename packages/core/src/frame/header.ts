import type { ByteWriter } from '../bytes';
import { CodecError } from '../errors';

/**
 * The 9-byte envelope header of protocol v3+ (v4 section 2, v5 section 2.4):
 * version u8 (bit 0x80 set on responses), flags u8, stream i16, opcode u8, body length i32, all big-endian.
 */
export const HEADER_SIZE = 9;

/** The direction bit of the version byte: set on responses (spec section 2.1). */
export const RESPONSE_DIRECTION = 0x80;

/** The spec caps an envelope body at 256 MB (v4 section 2.5, v5 section 2.4.1.5). */
export const MAX_BODY_LENGTH = 256 * 1024 * 1024;

// eslint-disable-next-line max-params -- once per frame on the write path: positional, so nothing is allocated per frame
export function writeHeader(
  buf: Uint8Array,
  off: number,
  version: number,
  flags: number,
  stream: number,
  opcode: number,
  bodyLength: number,
): void {
  buf[off] = version;
  buf[off + 1] = flags;
  buf[off + 2] = (stream >> 8) & 0xff;
  buf[off + 3] = stream & 0xff;
  buf[off + 4] = opcode;
  buf[off + 5] = (bodyLength >>> 24) & 0xff;
  buf[off + 6] = (bodyLength >>> 16) & 0xff;
  buf[off + 7] = (bodyLength >>> 8) & 0xff;
  buf[off + 8] = bodyLength & 0xff;
}

/** The body length field of the header at `off` (signed, as the spec's [int]). */
export function readBodyLength(buf: Uint8Array, off: number): number {
  return (buf[off + 5]! << 24) | (buf[off + 6]! << 16) | (buf[off + 7]! << 8) | buf[off + 8]!;
}

/**
 * Starts an envelope in `w`: writes a header with a zero length and returns its position, so the
 * body can be encoded straight after it and `endEnvelope` can patch the length in (no copy).
 */
export function beginEnvelope(w: ByteWriter, version: number, flags: number, stream: number, opcode: number): number {
  w.ensure(HEADER_SIZE);
  const at = w.pos;
  writeHeader(w.buf, at, version, flags, stream, opcode, 0);
  w.pos += HEADER_SIZE;
  return at;
}

/** Patches the body length of the envelope begun at `at`, now that its body is written. */
export function endEnvelope(w: ByteWriter, at: number): void {
  const len = w.pos - at - HEADER_SIZE;
  if (len > MAX_BODY_LENGTH) throw new CodecError(`envelope body of ${len} bytes exceeds the 256 MB limit`);
  w.patchI32(at + 5, len);
}
