import type { ByteWriter } from '../bytes';
import { ArgumentError, CodecError } from '../errors';
import type { Compressor } from './compression';
import { crc24, crc32 } from './crc';
import { HEADER_SIZE as HEADER_SIZE_IMPORT, MAX_BODY_LENGTH, readBodyLength as readBodyLengthImport } from './header';

// Module-local copies: under esbuild-based loaders (vitest, tsx) each read of an imported binding is a
// getter call, measurable on per-envelope paths.
const HEADER_SIZE = HEADER_SIZE_IMPORT;
const readBodyLength = readBodyLengthImport;

/**
 * Protocol v5 framing (v5 spec section 2): after the STARTUP exchange every envelope travels inside
 * frames. All framing integers are little-endian.
 *
 *   uncompressed: [3 bytes: payload length (17 bits) | self-contained << 17][3 bytes CRC24 of those 3]
 *                 [payload][4 bytes CRC32 of payload]
 *   LZ4:          [5 bytes: compressed length (17) | uncompressed length (17) << 17 | self-contained << 34]
 *                 [3 bytes CRC24 of those 5][compressed payload, a raw LZ4 block][4 bytes CRC32 of it]
 *                 An uncompressed length of 0 means the payload is stored as is.
 *
 * A self-contained frame holds one or more whole envelopes; an envelope larger than one frame is split
 * over frames that are not self-contained, each holding only part of it.
 */
export const V5_MAX_PAYLOAD = 0x1ffff;
export const V5_HEADER_SIZE = 6;
export const V5_LZ4_HEADER_SIZE = 8;
export const V5_TRAILER_SIZE = 4;

/** Below this many bytes a frame payload is not worth a call into the compressor. */
const MIN_COMPRESS = 64;

function writeCrc24Le(buf: Buffer, at: number, headerLen: number): void {
  const c = crc24(buf, at, headerLen);
  buf[at + headerLen] = c & 0xff;
  buf[at + headerLen + 1] = (c >>> 8) & 0xff;
  buf[at + headerLen + 2] = (c >>> 16) & 0xff;
}

export class V5FrameEncoder {
  private readonly compressor: Compressor | null;
  private readonly maxPayload: number;

  /** `maxPayload` below 131071 is for tests (many frames from small inputs). */
  constructor(compressor: Compressor | null, maxPayload = V5_MAX_PAYLOAD) {
    if (compressor !== null && compressor.name !== 'lz4') {
      throw new ArgumentError(`protocol v5 framing supports LZ4 only, not ${compressor.name}`);
    }
    if (!(maxPayload >= HEADER_SIZE && maxPayload <= V5_MAX_PAYLOAD)) {
      throw new ArgumentError(`maxPayload must be within ${HEADER_SIZE}..${V5_MAX_PAYLOAD}`);
    }
    this.compressor = compressor;
    this.maxPayload = maxPayload;
  }

  /**
   * Frames `envelopes[off, off+len)`, whole envelopes back to back, appending the frames to `out`.
   * Runs of envelopes share self-contained frames of up to maxPayload bytes; an envelope larger than
   * that goes alone over frames that are not self-contained.
   */
  encode(envelopes: Uint8Array, off: number, len: number, out: ByteWriter): void {
    const end = off + len;
    const max = this.maxPayload;
    let start = off;
    let cur = off;
    while (cur < end) {
      if (end - cur < HEADER_SIZE) throw new CodecError('truncated envelope given to the v5 frame encoder');
      const bodyLen = readBodyLength(envelopes, cur);
      const envLen = HEADER_SIZE + bodyLen;
      if (bodyLen < 0 || envLen > end - cur) throw new CodecError('bad envelope length given to the v5 frame encoder');
      if (envLen > max) {
        if (cur > start) this.writeFrame(envelopes, start, cur - start, true, out);
        for (let p = cur, e = cur + envLen; p < e; p += max) {
          this.writeFrame(envelopes, p, Math.min(max, e - p), false, out);
        }
        cur += envLen;
        start = cur;
      } else {
        if (cur + envLen - start > max) {
          this.writeFrame(envelopes, start, cur - start, true, out);
          start = cur;
        }
        cur += envLen;
      }
    }
    if (cur > start) this.writeFrame(envelopes, start, cur - start, true, out);
  }

  /** One frame of `src[off, off+len)`, len <= 131071. */
  writeFrame(src: Uint8Array, off: number, len: number, selfContained: boolean, out: ByteWriter): void {
    if (len > V5_MAX_PAYLOAD) throw new ArgumentError(`frame payload of ${len} bytes exceeds ${V5_MAX_PAYLOAD}`);
    const sc = selfContained ? 1 : 0;
    if (this.compressor === null) {
      out.ensure(V5_HEADER_SIZE + len + V5_TRAILER_SIZE);
      const b = out.buf;
      const at = out.pos;
      b[at] = len & 0xff;
      b[at + 1] = (len >>> 8) & 0xff;
      b[at + 2] = ((len >>> 16) & 1) | (sc << 1);
      writeCrc24Le(b, at, 3);
      out.pos = at + V5_HEADER_SIZE;
      out.raw(src.subarray(off, off + len));
      this.writeCrc32(out, at + V5_HEADER_SIZE, len);
      return;
    }
    out.ensure(V5_LZ4_HEADER_SIZE);
    const at = out.pos;
    out.pos = at + V5_LZ4_HEADER_SIZE;
    let compLen = len;
    let uncompLen = 0;
    if (len >= MIN_COMPRESS) {
      const n = this.compressor.compressBlock(src, off, len, out);
      if (n < len) {
        compLen = n;
        uncompLen = len;
      } else {
        out.pos = at + V5_LZ4_HEADER_SIZE; // no gain: store the payload as is
      }
    }
    if (uncompLen === 0) out.raw(src.subarray(off, off + len));
    const b = out.buf; // the compressor may have grown the buffer
    b[at] = compLen & 0xff;
    b[at + 1] = (compLen >>> 8) & 0xff;
    b[at + 2] = ((compLen >>> 16) & 1) | ((uncompLen & 0x7f) << 1);
    b[at + 3] = (uncompLen >>> 7) & 0xff;
    b[at + 4] = ((uncompLen >>> 15) & 3) | (sc << 2);
    writeCrc24Le(b, at, 5);
    this.writeCrc32(out, at + V5_LZ4_HEADER_SIZE, compLen);
  }

  private writeCrc32(out: ByteWriter, payloadAt: number, len: number): void {
    const c = crc32(out.buf, payloadAt, len);
    out.ensure(V5_TRAILER_SIZE);
    out.buf.writeUInt32LE(c, out.pos);
    out.pos += V5_TRAILER_SIZE;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Incremental v5 frame decoder: push socket chunks, then call `next()` until it returns null. Each
 * payload returned holds whole envelopes (feed it to an EnvelopeParser). Frames that are not
 * self-contained are gathered until their envelope is complete, and that envelope is returned alone.
 * Both checksums are verified; any mismatch or malformed frame is a CodecError, after which the
 * connection must be closed (the stream cannot be resynchronised).
 *
 * A payload from a frame that lies inside one chunk is a view of that chunk (no copy); a frame split
 * across chunks is gathered into a fresh buffer, never a reused one, since decoded values may keep
 * views of it.
 */
export class V5FrameDecoder {
  /** Whether the last payload returned came from one self-contained frame. */
  selfContained = true;

  private readonly compressor: Compressor | null;
  private readonly headerSize: number;
  private readonly maxEnvelopeLength: number;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  private readonly header = Buffer.alloc(V5_LZ4_HEADER_SIZE);
  private headerFill = -1;
  private frame: Buffer | null = null;
  private frameFill = 0;
  // Fields of the last header parsed.
  private payloadLength = 0;
  private uncompressedLength = 0;
  private frameSelfContained = false;
  // A large envelope being gathered from frames that are not self-contained.
  private readonly largeHeader = Buffer.alloc(HEADER_SIZE);
  private largeHeaderFill = 0;
  private large: Buffer | null = null;
  private largeFill = 0;

  constructor(compressor: Compressor | null, maxEnvelopeLength = HEADER_SIZE + MAX_BODY_LENGTH) {
    if (compressor !== null && compressor.name !== 'lz4') {
      throw new ArgumentError(`protocol v5 framing supports LZ4 only, not ${compressor.name}`);
    }
    this.compressor = compressor;
    this.headerSize = compressor === null ? V5_HEADER_SIZE : V5_LZ4_HEADER_SIZE;
    this.maxEnvelopeLength = maxEnvelopeLength;
  }

  push(chunk: Buffer): void {
    const left = this.chunk.length - this.pos;
    this.chunk = left > 0 ? Buffer.concat([this.chunk.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  next(): Buffer | null {
    const hs = this.headerSize;
    for (;;) {
      const chunk = this.chunk;
      if (this.frame !== null) {
        const f = this.frame;
        const take = Math.min(f.length - this.frameFill, chunk.length - this.pos);
        chunk.copy(f, this.frameFill, this.pos, this.pos + take);
        this.pos += take;
        this.frameFill += take;
        if (this.frameFill < f.length) return null;
        this.frame = null;
        const r = this.processFrame(f, 0);
        if (r !== null) return r;
        continue;
      }
      if (this.headerFill >= 0) {
        const take = Math.min(hs - this.headerFill, chunk.length - this.pos);
        chunk.copy(this.header, this.headerFill, this.pos, this.pos + take);
        this.pos += take;
        this.headerFill += take;
        if (this.headerFill < hs) return null;
        this.headerFill = -1;
        this.parseHeader(this.header, 0);
        const f = Buffer.allocUnsafe(hs + this.payloadLength + V5_TRAILER_SIZE);
        this.header.copy(f, 0, 0, hs);
        this.frame = f;
        this.frameFill = hs;
        continue;
      }
      const pos = this.pos;
      const avail = chunk.length - pos;
      if (avail === 0) return null;
      if (avail < hs) {
        chunk.copy(this.header, 0, pos);
        this.headerFill = avail;
        this.pos = chunk.length;
        return null;
      }
      this.parseHeader(chunk, pos);
      const total = hs + this.payloadLength + V5_TRAILER_SIZE;
      if (avail >= total) {
        this.pos = pos + total;
        const r = this.processFrame(chunk, pos);
        if (r !== null) return r;
        continue;
      }
      const f = Buffer.allocUnsafe(total);
      chunk.copy(f, 0, pos);
      this.frame = f;
      this.frameFill = avail;
      this.pos = chunk.length;
      return null;
    }
  }

  /** Drops all buffered state (after a connection error). */
  reset(): void {
    this.chunk = EMPTY;
    this.pos = 0;
    this.headerFill = -1;
    this.frame = null;
    this.frameFill = 0;
    this.large = null;
    this.largeFill = 0;
    this.largeHeaderFill = 0;
  }

  private parseHeader(b: Buffer, at: number): void {
    if (this.compressor === null) {
      const expected = b[at + 3]! | (b[at + 4]! << 8) | (b[at + 5]! << 16);
      if (crc24(b, at, 3) !== expected) throw new CodecError('v5 frame header CRC24 mismatch');
      this.payloadLength = b[at]! | (b[at + 1]! << 8) | ((b[at + 2]! & 1) << 16);
      this.frameSelfContained = (b[at + 2]! & 2) !== 0;
      this.uncompressedLength = 0;
    } else {
      const expected = b[at + 5]! | (b[at + 6]! << 8) | (b[at + 7]! << 16);
      if (crc24(b, at, 5) !== expected) throw new CodecError('v5 LZ4 frame header CRC24 mismatch');
      this.payloadLength = b[at]! | (b[at + 1]! << 8) | ((b[at + 2]! & 1) << 16);
      this.uncompressedLength = (b[at + 2]! >>> 1) | (b[at + 3]! << 7) | ((b[at + 4]! & 3) << 15);
      this.frameSelfContained = (b[at + 4]! & 4) !== 0;
    }
  }

  /** Checks the payload CRC32, decompresses; returns a payload of whole envelopes or null. */
  private processFrame(b: Buffer, at: number): Buffer | null {
    const start = at + this.headerSize;
    const len = this.payloadLength;
    const expected = b.readUInt32LE(start + len);
    if (crc32(b, start, len) !== expected) throw new CodecError('v5 frame payload CRC32 mismatch');
    let payload: Buffer;
    if (this.uncompressedLength > 0) {
      payload = this.compressor!.decompressBlock(b, start, len, this.uncompressedLength);
    } else {
      payload = b.subarray(start, start + len);
    }
    if (this.frameSelfContained) {
      if (this.large !== null || this.largeHeaderFill > 0) {
        throw new CodecError('self-contained v5 frame in the middle of a multi-frame envelope');
      }
      this.selfContained = true;
      return payload;
    }
    return this.appendLarge(payload);
  }

  private appendLarge(p: Buffer): Buffer | null {
    let s = 0;
    const e = p.length;
    while (s < e) {
      if (this.large === null) {
        const take = Math.min(HEADER_SIZE - this.largeHeaderFill, e - s);
        p.copy(this.largeHeader, this.largeHeaderFill, s, s + take);
        s += take;
        this.largeHeaderFill += take;
        if (this.largeHeaderFill < HEADER_SIZE) return null;
        const bodyLen = readBodyLength(this.largeHeader, 0);
        if (bodyLen < 0 || HEADER_SIZE + bodyLen > this.maxEnvelopeLength) {
          throw new CodecError(`envelope body length ${bodyLen} in a multi-frame message is out of range`);
        }
        const large = Buffer.allocUnsafe(HEADER_SIZE + bodyLen);
        this.largeHeader.copy(large, 0);
        this.large = large;
        this.largeFill = HEADER_SIZE;
        this.largeHeaderFill = 0;
      } else {
        const large = this.large;
        const take = Math.min(large.length - this.largeFill, e - s);
        p.copy(large, this.largeFill, s, s + take);
        s += take;
        this.largeFill += take;
      }
      if (this.large !== null && this.largeFill === this.large.length) {
        if (s < e) throw new CodecError('a v5 frame that is not self-contained holds bytes past its envelope');
        const done = this.large;
        this.large = null;
        this.largeFill = 0;
        this.selfContained = false;
        return done;
      }
    }
    return null;
  }
}
