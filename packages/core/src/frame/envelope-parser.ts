import { CodecError } from '../errors';
import { HEADER_SIZE, MAX_BODY_LENGTH } from './header';

const EMPTY = Buffer.alloc(0);
// Module-local copy: under esbuild-based loaders (vitest, tsx) an imported binding is a getter call on
// every read, which showed up as most of the per-envelope cost.
const HS = HEADER_SIZE;

/**
 * Incremental parser of envelopes (v4 frames, v5 messages; spec section 2): push socket chunks (or v5
 * frame payloads), then call `next()` until it returns false; after each true the fields describe one
 * envelope.
 *
 * An envelope lying inside one chunk is not copied: `body` is that chunk and the body is
 * `body[bodyStart, bodyEnd)`. One split across chunks is gathered into a buffer of its exact size.
 * The fields stay valid until the next `next()` or `push()`. State lives in fields, nothing is allocated
 * per envelope on the zero-copy path.
 */
export class EnvelopeParser {
  /** Protocol version, direction bit removed. */
  version = 0;
  /** True when the direction bit (0x80) was set: a response. */
  isResponse = false;
  flags = 0;
  stream = 0;
  opcode = 0;
  body: Buffer = EMPTY;
  bodyStart = 0;
  bodyEnd = 0;

  private readonly maxBodyLength: number;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  /** Header bytes gathered across chunks; headerFill < 0 when not gathering a header. */
  private readonly header = Buffer.alloc(HS);
  private headerFill = -1;
  /** The body being gathered across chunks, or null. */
  private partial: Buffer | null = null;
  private partialFill = 0;

  constructor(maxBodyLength = MAX_BODY_LENGTH) {
    this.maxBodyLength = maxBodyLength;
  }

  /** Bytes received and not yet returned as envelopes. */
  get pending(): number {
    return this.chunk.length - this.pos + (this.headerFill > 0 ? this.headerFill : 0) + (this.partial !== null ? HS + this.partialFill : 0);
  }

  push(chunk: Buffer): void {
    const left = this.chunk.length - this.pos;
    // Normally the previous chunk was drained; if not, keep its tail in front of the new one.
    this.chunk = left > 0 ? Buffer.concat([this.chunk.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  next(): boolean {
    if (this.partial !== null) return this.continueBody();
    if (this.headerFill >= 0) return this.continueHeader();
    const chunk = this.chunk;
    const pos = this.pos;
    const avail = chunk.length - pos;
    if (avail === 0) return false;
    if (avail < HS) {
      chunk.copy(this.header, 0, pos);
      this.headerFill = avail;
      this.pos = chunk.length;
      return false;
    }
    const len = this.readHeader(chunk, pos);
    const total = HS + len;
    if (avail >= total) {
      this.body = chunk;
      this.bodyStart = pos + HS;
      this.bodyEnd = pos + total;
      this.pos = pos + total;
      return true;
    }
    this.startBody(len);
    this.pos = pos + HS;
    return this.continueBody();
  }

  /** Drops any partial envelope and buffered bytes (after a connection error). */
  reset(): void {
    this.chunk = EMPTY;
    this.pos = 0;
    this.headerFill = -1;
    this.partial = null;
    this.partialFill = 0;
    this.body = EMPTY;
    this.bodyStart = this.bodyEnd = 0;
  }

  private continueHeader(): boolean {
    const chunk = this.chunk;
    const take = Math.min(HS - this.headerFill, chunk.length - this.pos);
    chunk.copy(this.header, this.headerFill, this.pos, this.pos + take);
    this.pos += take;
    this.headerFill += take;
    if (this.headerFill < HS) return false;
    this.headerFill = -1;
    const len = this.readHeader(this.header, 0);
    if (len === 0) {
      this.body = EMPTY;
      this.bodyStart = this.bodyEnd = 0;
      return true;
    }
    // The rest may now lie whole in the current chunk: still zero-copy then.
    if (chunk.length - this.pos >= len) {
      this.body = chunk;
      this.bodyStart = this.pos;
      this.bodyEnd = this.pos + len;
      this.pos += len;
      return true;
    }
    this.startBody(len);
    return this.continueBody();
  }

  private startBody(len: number): void {
    this.partial = Buffer.allocUnsafe(len);
    this.partialFill = 0;
  }

  private continueBody(): boolean {
    const partial = this.partial!;
    const chunk = this.chunk;
    const take = Math.min(partial.length - this.partialFill, chunk.length - this.pos);
    chunk.copy(partial, this.partialFill, this.pos, this.pos + take);
    this.pos += take;
    this.partialFill += take;
    if (this.partialFill < partial.length) return false;
    this.partial = null;
    this.body = partial;
    this.bodyStart = 0;
    this.bodyEnd = partial.length;
    return true;
  }

  /** Reads the header fields at `off`, checks them, returns the body length. */
  private readHeader(buf: Buffer, off: number): number {
    const v = buf[off]!;
    const version = v & 0x7f;
    // v1/v2 headers are 8 bytes: a stream parsed with the wrong layout is garbage from here on.
    if (version < 3) throw new CodecError(`unsupported protocol version ${version} in envelope header`);
    const len = (buf[off + 5]! << 24) | (buf[off + 6]! << 16) | (buf[off + 7]! << 8) | buf[off + 8]!;
    if (len < 0 || len > this.maxBodyLength) {
      throw new CodecError(`envelope body length ${len} is outside 0..${this.maxBodyLength}`);
    }
    this.version = version;
    this.isResponse = (v & 0x80) !== 0;
    this.flags = buf[off + 1]!;
    this.stream = ((buf[off + 2]! << 24) >> 16) | buf[off + 3]!;
    this.opcode = buf[off + 4]!;
    return len;
  }
}
