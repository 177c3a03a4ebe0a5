import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { ArgumentError, CodecError } from '../src/errors';
import { createCompressor } from '../src/frame/compression';
import { EnvelopeParser } from '../src/frame/envelope-parser';
import { beginEnvelope, endEnvelope } from '../src/frame/header';
import { V5_MAX_PAYLOAD, V5FrameDecoder, V5FrameEncoder } from '../src/frame/v5-framing';

const lz4 = createCompressor('lz4');

/** Envelopes with bodies of the given sizes; body bytes are compressible but not constant. */
function envelopes(sizes: readonly number[]): Buffer {
  const w = new ByteWriter(1024);
  sizes.forEach((n, i) => {
    const at = beginEnvelope(w, 0x05, 0, i & 0x7fff, 0x07);
    w.ensure(n);
    for (let j = 0; j < n; j++) w.buf[w.pos + j] = (j % 251) ^ (j >> 10) ^ i;
    w.pos += n;
    endEnvelope(w, at);
  });
  return w.toBuffer();
}

/** Frame headers of an encoded stream: [payloadLength, selfContained, uncompressedLength]. */
function frameHeaders(wire: Buffer, compressed: boolean): number[][] {
  const out: number[][] = [];
  let p = 0;
  while (p < wire.length) {
    if (compressed) {
      const comp = wire[p]! | (wire[p + 1]! << 8) | ((wire[p + 2]! & 1) << 16);
      const unc = (wire[p + 2]! >> 1) | (wire[p + 3]! << 7) | ((wire[p + 4]! & 3) << 15);
      out.push([comp, (wire[p + 4]! >> 2) & 1, unc]);
      p += 8 + comp + 4;
    } else {
      const len = wire[p]! | (wire[p + 1]! << 8) | ((wire[p + 2]! & 1) << 16);
      out.push([len, (wire[p + 2]! >> 1) & 1, 0]);
      p += 6 + len + 4;
    }
  }
  expect(p).toBe(wire.length);
  return out;
}

/** Decodes a wire stream pushed in the given parts, returning the envelope stream. */
function decodeAll(dec: V5FrameDecoder, parts: readonly Buffer[]): Buffer {
  const payloads: Buffer[] = [];
  for (const part of parts) {
    dec.push(part);
    for (let p = dec.next(); p !== null; p = dec.next()) payloads.push(Buffer.from(p));
  }
  return Buffer.concat(payloads);
}

/** Buffer equality without vitest's element-by-element diffing, which is slow on 300 KiB. */
function expectSame(a: Buffer, b: Buffer): void {
  expect(a.length).toBe(b.length);
  expect(a.equals(b)).toBe(true);
}

function encodeAll(enc: V5FrameEncoder, env: Buffer): Buffer {
  const w = new ByteWriter(64);
  enc.encode(env, 0, env.length, w);
  return w.toBuffer();
}

describe('V5FrameEncoder', () => {
  it('writes the header vectors of protocol-facts.md', () => {
    const enc = new V5FrameEncoder(null);
    const w = new ByteWriter(16);
    enc.writeFrame(Buffer.alloc(0), 0, 0, true, w);
    expect(w.toBuffer().toString('hex')).toBe('0000026a36c4' + 'd37e7744');
    w.reset();
    enc.writeFrame(Buffer.alloc(9), 0, 9, true, w);
    expect(w.toBuffer().subarray(0, 6).toString('hex')).toBe('090002a4c8c1');
  });

  it('packs many small envelopes into one self-contained frame', () => {
    const env = envelopes(Array.from({ length: 200 }, (_, i) => i % 50));
    const wire = encodeAll(new V5FrameEncoder(null), env);
    expect(frameHeaders(wire, false)).toEqual([[env.length, 1, 0]]);
    expectSame(decodeAll(new V5FrameDecoder(null), [wire]), env);
  });

  it('starts a new self-contained frame instead of splitting a small envelope', () => {
    const env = envelopes([60000, 60000, 60000]);
    const frames = frameHeaders(encodeAll(new V5FrameEncoder(null), env), false);
    expect(frames).toEqual([
      [2 * 60009, 1, 0],
      [60009, 1, 0],
    ]);
  });

  it('splits a 300 KiB envelope over frames that are not self-contained, between self-contained ones', () => {
    const env = envelopes([10, 300 * 1024, 20]);
    const wire = encodeAll(new V5FrameEncoder(null), env);
    const big = 9 + 300 * 1024;
    expect(frameHeaders(wire, false)).toEqual([
      [19, 1, 0],
      [V5_MAX_PAYLOAD, 0, 0],
      [V5_MAX_PAYLOAD, 0, 0],
      [big - 2 * V5_MAX_PAYLOAD, 0, 0],
      [29, 1, 0],
    ]);
    const dec = new V5FrameDecoder(null);
    dec.push(wire);
    expect(dec.next()!.length).toBe(19);
    expect(dec.selfContained).toBe(true);
    const large = dec.next()!;
    expect(large.length).toBe(big);
    expect(dec.selfContained).toBe(false);
    expectSame(large, env.subarray(19, 19 + big));
    expect(dec.next()!.length).toBe(29);
    expect(dec.next()).toBeNull();
  });

  it('compresses with LZ4 when it helps and stores raw when it does not', () => {
    const env = envelopes([10, 300 * 1024]);
    const wire = encodeAll(new V5FrameEncoder(lz4), env);
    const frames = frameHeaders(wire, true);
    expect(frames[0]).toEqual([19, 1, 0]); // too small to compress: stored, uncompressed length 0
    expect(frames.slice(1).every((f) => f[1] === 0 && f[2]! > 0 && f[0]! < f[2]!)).toBe(true);
    expect(wire.length).toBeLessThan(env.length / 2);
    expectSame(decodeAll(new V5FrameDecoder(lz4), [wire]), env);

    const random = randomBytes(5000);
    const w = new ByteWriter(64);
    const at = beginEnvelope(w, 5, 0, 0, 7);
    w.raw(random);
    endEnvelope(w, at);
    const rwire = encodeAll(new V5FrameEncoder(lz4), w.toBuffer());
    const [h] = frameHeaders(rwire, true);
    expect(h![2]).toBe(0);
    expectSame(decodeAll(new V5FrameDecoder(lz4), [rwire]), w.toBuffer());
  });

  it('refuses Snappy', () => {
    expect(() => new V5FrameEncoder(createCompressor('snappy'))).toThrow(ArgumentError);
    expect(() => new V5FrameDecoder(createCompressor('snappy'))).toThrow(ArgumentError);
  });
});

describe('V5FrameDecoder', () => {
  it('round-trips any envelopes, frame size and chunking, with and without LZ4 (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 10 }),
        fc.integer({ min: 9, max: 4096 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        (sizes, maxPayload, compressed, cuts) => {
          const c = compressed ? lz4 : null;
          const env = envelopes(sizes);
          const wire = encodeAll(new V5FrameEncoder(c, maxPayload), env);
          const points = [...new Set(cuts.map((x) => x % (wire.length + 1)))].sort((a, b) => a - b);
          const parts: Buffer[] = [];
          let prev = 0;
          for (const p of points) {
            parts.push(wire.subarray(prev, p));
            prev = p;
          }
          parts.push(wire.subarray(prev));
          const stream = decodeAll(new V5FrameDecoder(c), parts);
          expectSame(stream, env);
          // and the payloads hold whole envelopes the parser reads back
          const parser = new EnvelopeParser();
          parser.push(stream);
          let n = 0;
          while (parser.next()) n++;
          expect(n).toBe(sizes.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('returns a view of the chunk for a frame inside one chunk (no copy)', () => {
    const env = envelopes([5, 6]);
    const wire = encodeAll(new V5FrameEncoder(null), env);
    const dec = new V5FrameDecoder(null);
    dec.push(wire);
    const p = dec.next()!;
    expect(p.buffer).toBe(wire.buffer);
    expect(p.byteOffset).toBe(wire.byteOffset + 6);
  });

  it('raises CodecError on a corrupted header CRC24 or payload CRC32', () => {
    for (const c of [null, lz4]) {
      const wire = encodeAll(new V5FrameEncoder(c), envelopes([100]));
      const hs = c === null ? 6 : 8;
      for (const at of [0, 1, 2, hs - 1, hs, hs + 50, wire.length - 1]) {
        const bad = Buffer.from(wire);
        bad[at]! ^= 0x10;
        const dec = new V5FrameDecoder(c);
        dec.push(bad);
        expect(() => dec.next(), `byte ${at}`).toThrow(CodecError);
      }
    }
  });

  it('rejects a self-contained frame inside a multi-frame envelope, and extra bytes after it', () => {
    const enc = new V5FrameEncoder(null);
    const env = envelopes([40]);
    const w = new ByteWriter(64);
    enc.writeFrame(env, 0, 20, false, w);
    enc.writeFrame(env, 0, env.length, true, w);
    const dec = new V5FrameDecoder(null);
    dec.push(w.toBuffer());
    expect(() => dec.next()).toThrow(CodecError);

    w.reset();
    const two = envelopes([10, 10]);
    enc.writeFrame(two, 0, 5, false, w);
    enc.writeFrame(two, 5, two.length - 5, false, w);
    const dec2 = new V5FrameDecoder(null);
    dec2.push(w.toBuffer());
    expect(() => dec2.next()).toThrow(CodecError);
  });

  it('rejects a multi-frame envelope longer than the limit', () => {
    const enc = new V5FrameEncoder(null);
    const w = new ByteWriter(64);
    const head = Buffer.from('050000000700100000', 'hex'); // body of 1 MiB
    enc.writeFrame(head, 0, head.length, false, w);
    const dec = new V5FrameDecoder(null, 1000);
    dec.push(w.toBuffer());
    expect(() => dec.next()).toThrow(CodecError);
  });
});
