import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { CodecError } from '../src/errors';
import { createCompressor, type Compressor } from '../src/frame/compression';
import { crc24, crc32 } from '../src/frame/crc';
import { EnvelopeParser } from '../src/frame/envelope-parser';
import { beginEnvelope, endEnvelope } from '../src/frame/header';
import { V5FrameDecoder, V5FrameEncoder } from '../src/frame/v5-framing';

/**
 * Fuzzing of the two stream decoders with random and mutated byte streams: they may only throw
 * CodecError, must terminate, must agree whatever the chunking, and must never hand out bytes from
 * outside the input (checked against a whole-buffer reference or a whole-buffer run).
 */

/** xorshift32: fast, seeded, reproducible. */
class Rng {
  constructor(private s: number) {}
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

const MAX_BODY = 2048;

function validEnvelopes(rng: Rng, version: number): Buffer {
  const w = new ByteWriter(256);
  const n = rng.int(6);
  for (let i = 0; i < n; i++) {
    const at = beginEnvelope(w, version, rng.int(32), rng.int(65536) - 32768, rng.int(17));
    const len = rng.int(8) === 0 ? rng.int(MAX_BODY) : rng.int(40);
    w.raw(rng.bytes(len));
    endEnvelope(w, at);
  }
  return w.toBuffer();
}

function mutate(rng: Rng, src: Buffer): Buffer {
  const b = Buffer.from(src);
  const kind = rng.int(4);
  if (b.length === 0 || kind === 0) return Buffer.concat([b, rng.bytes(rng.int(32))]);
  if (kind === 1) return b.subarray(0, rng.int(b.length)); // truncation
  const flips = 1 + rng.int(4);
  for (let i = 0; i < flips; i++) {
    const at = rng.int(b.length);
    b[at] = kind === 2 ? b[at]! ^ (1 << rng.int(8)) : rng.int(256);
  }
  return b;
}

function chunks(rng: Rng, b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p < b.length) {
    const n = 1 + rng.int(rng.int(4) === 0 ? 8 : 600);
    out.push(b.subarray(p, p + n));
    p += n;
  }
  return out;
}

function isCodecError(e: unknown): boolean {
  return e instanceof CodecError;
}

/** The reference: envelopes of a whole buffer, as [header hex, body hex]; error when the spec says so. */
function referenceEnvelopes(b: Buffer): { envs: string[]; error: boolean } {
  const envs: string[] = [];
  let p = 0;
  while (b.length - p >= 9) {
    const len = b.readInt32BE(p + 5);
    if ((b[p]! & 0x7f) < 3 || len < 0 || len > MAX_BODY) return { envs, error: true };
    if (b.length - p - 9 < len) break;
    envs.push(b.toString('hex', p, p + 9 + len));
    p += 9 + len;
  }
  return { envs, error: false };
}

function runParser(parts: readonly Buffer[]): { envs: string[]; error: boolean } {
  const p = new EnvelopeParser(MAX_BODY);
  const envs: string[] = [];
  const hdr = Buffer.alloc(9);
  try {
    for (const part of parts) {
      p.push(part);
      let guard = part.length + 2;
      while (p.next()) {
        if (--guard < 0) throw new Error('EnvelopeParser does not make progress');
        if (p.bodyStart < 0 || p.bodyEnd > p.body.length || p.bodyStart > p.bodyEnd) throw new Error('body outside its buffer');
        hdr[0] = p.version | (p.isResponse ? 0x80 : 0);
        hdr[1] = p.flags;
        hdr.writeInt16BE(p.stream, 2);
        hdr[4] = p.opcode;
        hdr.writeInt32BE(p.bodyEnd - p.bodyStart, 5);
        envs.push(hdr.toString('hex') + p.body.toString('hex', p.bodyStart, p.bodyEnd));
      }
    }
  } catch (e) {
    if (!isCodecError(e)) throw e;
    return { envs, error: true };
  }
  return { envs, error: false };
}

function runDecoder(c: Compressor | null, parts: readonly Buffer[], maxEnvelope: number): { out: string; error: boolean } {
  const d = new V5FrameDecoder(c, maxEnvelope);
  const out: string[] = [];
  try {
    for (const part of parts) {
      d.push(part);
      let guard = part.length + 2;
      for (let p = d.next(); p !== null; p = d.next()) {
        if (--guard < 0) throw new Error('V5FrameDecoder does not make progress');
        out.push(p.toString('hex'));
      }
    }
  } catch (e) {
    if (!isCodecError(e)) throw e;
    return { out: out.join(''), error: true };
  }
  return { out: out.join(''), error: false };
}

/** Frames with random header fields and random payloads but valid checksums: reach past the CRC checks. */
function validCrcFrames(rng: Rng, compressed: boolean): Buffer {
  const w = new ByteWriter(256);
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const len = rng.int(4) === 0 ? rng.int(300) : rng.int(40);
    const payload =
      rng.int(3) === 0 ? Buffer.concat([Buffer.from([0x05, 0, 0, 0, 7, 0, 0, 0, rng.int(60)]), rng.bytes(len)]) : rng.bytes(len);
    const sc = rng.int(2);
    const at = w.pos;
    if (compressed) {
      const unc = rng.int(3) === 0 ? 0 : rng.int(0x20000);
      const plen = payload.length;
      w.raw(
        Buffer.from([
          plen & 0xff,
          (plen >> 8) & 0xff,
          ((plen >> 16) & 1) | ((unc & 0x7f) << 1),
          (unc >> 7) & 0xff,
          ((unc >> 15) & 3) | (sc << 2),
        ]),
      );
      const c = crc24(w.buf, at, 5);
      w.raw(Buffer.from([c & 0xff, (c >> 8) & 0xff, c >> 16]));
    } else {
      const plen = payload.length;
      w.raw(Buffer.from([plen & 0xff, (plen >> 8) & 0xff, ((plen >> 16) & 1) | (sc << 1)]));
      const c = crc24(w.buf, at, 3);
      w.raw(Buffer.from([c & 0xff, (c >> 8) & 0xff, c >> 16]));
    }
    w.raw(payload);
    const t = Buffer.alloc(4);
    t.writeUInt32LE(crc32(payload, 0, payload.length), 0);
    w.raw(t);
  }
  return w.toBuffer();
}

describe('fuzzing the stream decoders', () => {
  it('EnvelopeParser: 100,000 random and mutated streams agree with the reference in any chunking', () => {
    const rng = new Rng(0x9e3779b9);
    let errors = 0;
    for (let i = 0; i < 100_000; i++) {
      let input: Buffer;
      const k = i % 3;
      if (k === 0) input = rng.bytes(rng.int(64));
      else if (k === 1) input = mutate(rng, validEnvelopes(rng, 0x84));
      else input = validEnvelopes(rng, 0x05);
      const ref = referenceEnvelopes(input);
      const got = runParser(chunks(rng, input));
      if (got.error !== ref.error || got.envs.length !== ref.envs.length || got.envs.join() !== ref.envs.join()) {
        throw new Error(`case ${i} differs: input ${input.toString('hex')}`);
      }
      if (got.error) errors++;
    }
    expect(errors).toBeGreaterThan(10_000); // the corpus reaches the error paths
  }, 180_000);

  it('V5FrameDecoder (plain and LZ4): 100,000 random, mutated and valid-CRC streams only throw CodecError and agree across chunkings', () => {
    const rng = new Rng(0x12345678);
    const lz4 = createCompressor('lz4');
    const encoders = [new V5FrameEncoder(null, 64), new V5FrameEncoder(lz4, 64), new V5FrameEncoder(null), new V5FrameEncoder(lz4)];
    const w = new ByteWriter(1024);
    let ok = 0;
    let errors = 0;
    for (let i = 0; i < 100_000; i++) {
      const compressed = (i & 1) === 1;
      const c = compressed ? lz4 : null;
      let input: Buffer;
      const k = (i >> 1) % 4;
      if (k === 0) {
        input = rng.bytes(rng.int(80));
      } else if (k === 3) {
        input = validCrcFrames(rng, compressed);
      } else {
        w.reset();
        const env = validEnvelopes(rng, 0x05);
        encoders[(compressed ? 1 : 0) + 2 * rng.int(2)]!.encode(env, 0, env.length, w);
        input = k === 1 ? mutate(rng, w.toBuffer()) : w.toBuffer();
        if (k === 2) {
          // unmutated: must decode to exactly the envelopes
          const r = runDecoder(c, chunks(rng, input), 1 << 20);
          if (r.error || r.out !== env.toString('hex')) throw new Error(`case ${i}: valid stream not decoded`);
          ok++;
          continue;
        }
      }
      const whole = runDecoder(c, [input], 4096);
      const split = runDecoder(c, chunks(rng, input), 4096);
      if (whole.error !== split.error || whole.out !== split.out) {
        throw new Error(`case ${i} (${compressed ? 'lz4' : 'plain'}) differs across chunkings: ${input.toString('hex')}`);
      }
      if (whole.error) errors++;
      else ok++;
    }
    expect(errors).toBeGreaterThan(30_000);
    expect(ok).toBeGreaterThan(20_000);
  }, 180_000);
});
