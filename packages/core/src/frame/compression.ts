import type { ByteWriter } from '../bytes';
import { ArgumentError, CodecError, NotSupportedError } from '../errors';
import { MAX_BODY_LENGTH } from './header';

/**
 * Body and frame compression (v4 spec section 5, v5 spec section 2.2).
 *
 * Libraries: `lz4-napi` (napi-rs over the Rust lz4_flex, prebuilt binaries on npm, maintained) and
 * `snappy` (napi-rs, prebuilt, the most used Snappy package). lz4-napi's one-shot `compressSync` writes a
 * 4-byte little-endian size then a raw LZ4 block (the block format lz4-java's `LZ4Compressor.compress`
 * emits and Cassandra reads), so the block is the output minus those 4 bytes; `uncompressSync` wants the
 * same prefix back. Both are loaded on first use, so a process that never compresses never loads native code.
 */
export interface Compressor {
  readonly name: 'lz4' | 'snappy';
  /** v4 compressed body: LZ4 = u32 BE uncompressed length + raw block; Snappy = its raw format. Appends to `out`. */
  compressV4Body(src: Uint8Array, off: number, len: number, out: ByteWriter): void;
  /** Inverse of compressV4Body. Throws CodecError on malformed input. */
  decompressV4Body(src: Uint8Array, off: number, len: number): Buffer;
  /** A raw block (no size prefix) appended to `out`; returns its length. LZ4 only (v5 framing). */
  compressBlock(src: Uint8Array, off: number, len: number, out: ByteWriter): number;
  /** Decodes a raw block that must expand to exactly `uncompressedLength` bytes. Throws CodecError. */
  decompressBlock(src: Uint8Array, off: number, len: number, uncompressedLength: number): Buffer;
}

type Lz4Module = typeof import('lz4-napi');
type SnappyModule = typeof import('snappy');

let lz4Module: Lz4Module | null = null;
let snappyModule: SnappyModule | null = null;

function loadLz4(): Lz4Module {
  if (lz4Module === null) lz4Module = require('lz4-napi') as Lz4Module;
  return lz4Module;
}

function loadSnappy(): SnappyModule {
  if (snappyModule === null) snappyModule = require('snappy') as SnappyModule;
  return snappyModule;
}

function asBuffer(src: Uint8Array, off: number, len: number): Buffer {
  return Buffer.from(src.buffer, src.byteOffset + off, len);
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class Lz4Compressor implements Compressor {
  readonly name = 'lz4' as const;
  private readonly lz4: Lz4Module;
  /** Reused input for uncompressSync, which wants a 4-byte LE size before the block. */
  private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);

  constructor() {
    this.lz4 = loadLz4();
  }

  compressV4Body(src: Uint8Array, off: number, len: number, out: ByteWriter): void {
    out.u32(len);
    this.compressBlock(src, off, len, out);
  }

  decompressV4Body(src: Uint8Array, off: number, len: number): Buffer {
    if (len < 4) throw new CodecError(`LZ4 body of ${len} bytes has no length prefix`);
    const size = ((src[off]! << 24) | (src[off + 1]! << 16) | (src[off + 2]! << 8) | src[off + 3]!) >>> 0;
    return this.decompressBlock(src, off + 4, len - 4, size);
  }

  compressBlock(src: Uint8Array, off: number, len: number, out: ByteWriter): number {
    const c = this.lz4.compressSync(asBuffer(src, off, len));
    const n = c.length - 4;
    out.ensure(n);
    c.copy(out.buf, out.pos, 4);
    out.pos += n;
    return n;
  }

  decompressBlock(src: Uint8Array, off: number, len: number, uncompressedLength: number): Buffer {
    if (uncompressedLength > MAX_BODY_LENGTH) {
      throw new CodecError(`LZ4 uncompressed length ${uncompressedLength} exceeds the 256 MB limit`);
    }
    if (uncompressedLength === 0) {
      // lz4-java writes a single 0x00 token for empty input; anything else is corrupt.
      if (len === 1 && src[off] === 0) return Buffer.alloc(0);
      throw new CodecError('LZ4 block does not decode to 0 bytes');
    }
    if (len === 0) throw new CodecError('empty LZ4 block');
    if (this.scratch.length < len + 4) this.scratch = Buffer.allocUnsafe(Math.max(len + 4, this.scratch.length * 2));
    const s = this.scratch;
    s.writeUInt32LE(uncompressedLength, 0);
    s.set(src.subarray(off, off + len), 4);
    let out: Buffer;
    try {
      out = this.lz4.uncompressSync(s.subarray(0, len + 4));
    } catch (e) {
      throw new CodecError(`corrupt LZ4 block: ${describe(e)}`);
    }
    if (out.length !== uncompressedLength) {
      throw new CodecError(`LZ4 block decoded to ${out.length} bytes, ${uncompressedLength} announced`);
    }
    return out;
  }
}

class SnappyCompressor implements Compressor {
  readonly name = 'snappy' as const;
  private readonly snappy: SnappyModule;

  constructor() {
    this.snappy = loadSnappy();
  }

  compressV4Body(src: Uint8Array, off: number, len: number, out: ByteWriter): void {
    out.raw(this.snappy.compressSync(asBuffer(src, off, len)));
  }

  decompressV4Body(src: Uint8Array, off: number, len: number): Buffer {
    // Snappy's raw format starts with the uncompressed length as a varint: check it before the
    // library allocates that much.
    let size = 0;
    let shift = 0;
    let i = off;
    const end = off + len;
    for (;;) {
      if (i >= end || shift > 28) throw new CodecError('corrupt Snappy body: bad length preamble');
      const b = src[i++]!;
      size += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    if (size > MAX_BODY_LENGTH) throw new CodecError(`Snappy uncompressed length ${size} exceeds the 256 MB limit`);
    let out: string | Buffer;
    try {
      out = this.snappy.uncompressSync(asBuffer(src, off, len), { asBuffer: true });
    } catch (e) {
      throw new CodecError(`corrupt Snappy body: ${describe(e)}`);
    }
    if (typeof out === 'string' || out.length !== size) throw new CodecError('corrupt Snappy body: wrong length');
    return out;
  }

  compressBlock(): number {
    throw new NotSupportedError('Snappy is not a v5 framing compression; v5 allows LZ4 only');
  }

  decompressBlock(): Buffer {
    throw new NotSupportedError('Snappy is not a v5 framing compression; v5 allows LZ4 only');
  }
}

/** The STARTUP `COMPRESSION` option values. Loads the native library on first use. */
export function createCompressor(name: 'lz4' | 'snappy'): Compressor {
  if (name === 'lz4') return new Lz4Compressor();
  if (name === 'snappy') return new SnappyCompressor();
  throw new ArgumentError(`unknown compression '${String(name)}'; use 'lz4' or 'snappy'`);
}
