import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { ArgumentError, CodecError, NotSupportedError } from '../src/errors';
import { createCompressor } from '../src/frame/compression';

function compressible(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 'SELECT * FROM system.local '.charCodeAt(i % 27);
  return b;
}

describe('LZ4 compressor', () => {
  const lz4 = createCompressor('lz4');

  it('writes v4 bodies as a u32 BE uncompressed length then a raw block (v4 spec section 5)', () => {
    const src = compressible(1000);
    const w = new ByteWriter(16);
    lz4.compressV4Body(src, 0, src.length, w);
    const out = w.toBuffer();
    expect(out.readUInt32BE(0)).toBe(1000);
    expect(out.length).toBeLessThan(200);
    expect(lz4.decompressV4Body(out, 0, out.length)).toEqual(src);
  });

  it('reads a hand-made raw block (literals only, then a match)', () => {
    // token 0x50: 5 literals "hello", no match -> the last sequence of a block.
    expect(lz4.decompressBlock(Buffer.from('5068656c6c6f', 'hex'), 0, 6, 5).toString()).toBe('hello');
    // "abcabcabcabc" + "xyzzy": 3 literals, match offset 3 length 9 (token low nibble 5 -> 5+4), then 5 literals.
    const block = Buffer.from('35616263030050' + Buffer.from('xyzzy').toString('hex'), 'hex');
    expect(lz4.decompressBlock(block, 0, block.length, 17).toString()).toBe('abcabcabcabcxyzzy');
  });

  it('round-trips blocks of any content and offset (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(8), (a, pad) => {
        const src = Buffer.concat([Buffer.alloc(pad), Buffer.from(a), Buffer.from(a)]);
        const w = new ByteWriter(8);
        w.u8(0xee);
        const n = lz4.compressBlock(src, pad, src.length - pad, w);
        expect(w.pos).toBe(1 + n);
        const back = lz4.decompressBlock(w.buf, 1, n, src.length - pad);
        expect(back).toEqual(src.subarray(pad));
      }),
      { numRuns: 300 },
    );
  });

  it('raises CodecError on corrupt input, wrong announced length, oversized length', () => {
    const w = new ByteWriter(16);
    const n = lz4.compressBlock(compressible(500), 0, 500, w);
    expect(() => lz4.decompressBlock(w.buf, 0, n, 499)).toThrow(CodecError);
    expect(() => lz4.decompressBlock(w.buf, 0, n - 3, 500)).toThrow(CodecError);
    expect(() => lz4.decompressBlock(Buffer.from([0xff, 0xff]), 0, 2, 10)).toThrow(CodecError);
    expect(() => lz4.decompressV4Body(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x00]), 0, 5)).toThrow(CodecError);
    expect(() => lz4.decompressV4Body(Buffer.from([0, 0]), 0, 2)).toThrow(CodecError);
  });

  it('handles empty input both ways', () => {
    const w = new ByteWriter(16);
    lz4.compressV4Body(Buffer.alloc(0), 0, 0, w);
    expect(lz4.decompressV4Body(w.buf, 0, w.pos).length).toBe(0);
  });
});

describe('Snappy compressor (v4 only)', () => {
  const snappy = createCompressor('snappy');

  it('round-trips v4 bodies', () => {
    for (const src of [Buffer.alloc(0), compressible(5000), randomBytes(3000)]) {
      const w = new ByteWriter(16);
      w.u8(1);
      snappy.compressV4Body(src, 0, src.length, w);
      expect(snappy.decompressV4Body(w.buf, 1, w.pos - 1)).toEqual(src);
    }
  });

  it('raises CodecError on corrupt or oversized input', () => {
    expect(() => snappy.decompressV4Body(Buffer.from([0x05, 0xff, 0xff]), 0, 3)).toThrow(CodecError);
    expect(() => snappy.decompressV4Body(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), 0, 5)).toThrow(CodecError);
    expect(() => snappy.decompressV4Body(Buffer.from([0x80]), 0, 1)).toThrow(CodecError);
  });

  it('is refused for v5 blocks', () => {
    expect(() => snappy.compressBlock(Buffer.alloc(1), 0, 1, new ByteWriter(8))).toThrow(NotSupportedError);
  });
});

describe('createCompressor', () => {
  it('rejects unknown names', () => {
    expect(() => createCompressor('zstd' as 'lz4')).toThrow(ArgumentError);
  });
});
