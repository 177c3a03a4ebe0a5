/**
 * Fuzzing the response decoders: random bodies and mutations of valid ones (bit flips, truncations, extreme
 * counts and lengths spliced in). The only exception allowed is CodecError; a decode must not depend on bytes
 * outside [start, end) (it would if it read past the end of its message).
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { CodecError, ResponseError } from '../src/errors';
import { decodeError, decodeResult, readResponsePrelude } from '../src/frame/response';
import type { RowsMetadata } from '../src/frame/response';
import { dataTypes, defaultCodecOptions } from '../src/types';

const codec = defaultCodecOptions();

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid bodies to mutate: every RESULT kind with several column types, every ERROR kind. */
function seeds(): { results: Buffer[]; errors: Buffer[] } {
  const results: Buffer[] = [];
  const errors: Buffer[] = [];
  const w = new ByteWriter(256);
  const done = (into: Buffer[]) => {
    into.push(w.toBuffer());
    w.reset();
  };
  const spec = (name: string, write: () => void) => {
    w.string(name);
    write();
  };
  // rows: global spec, several types (bigint, text, blob, map<text,int>, list<int>, set<uuid>, tuple<int,text>, udt)
  w.i32(2);
  w.i32(0x03);
  w.i32(8);
  w.bytes(Buffer.from([1, 2, 3]));
  w.string('ks');
  w.string('t');
  spec('a', () => w.u16(dataTypes.bigint));
  spec('b', () => w.u16(dataTypes.varchar));
  spec('c', () => w.u16(dataTypes.blob));
  spec('d', () => {
    w.u16(dataTypes.map);
    w.u16(dataTypes.varchar);
    w.u16(dataTypes.int);
  });
  spec('e', () => {
    w.u16(dataTypes.list);
    w.u16(dataTypes.int);
  });
  spec('f', () => {
    w.u16(dataTypes.set);
    w.u16(dataTypes.uuid);
  });
  spec('g', () => {
    w.u16(dataTypes.tuple);
    w.u16(2);
    w.u16(dataTypes.int);
    w.u16(dataTypes.varchar);
  });
  spec('h', () => {
    w.u16(dataTypes.udt);
    w.string('ks');
    w.string('u');
    w.u16(2);
    w.string('x');
    w.u16(dataTypes.int);
    w.string('y');
    w.u16(dataTypes.varchar);
  });
  w.i32(3);
  for (let r = 0; r < 3; r++) {
    w.i32(8);
    w.i64(r, 7);
    w.i32(3);
    w.raw(Buffer.from('abc'));
    w.i32(2);
    w.raw(Buffer.from([r, 9]));
    w.i32(4 + 2 * (4 + 1 + 4 + 4));
    w.i32(2);
    w.i32(1);
    w.raw(Buffer.from('k'));
    w.i32(4);
    w.i32(r);
    w.i32(1);
    w.raw(Buffer.from('j'));
    w.i32(4);
    w.i32(-r);
    w.i32(4 + 8 + 8);
    w.i32(2);
    w.i32(4);
    w.i32(1);
    w.i32(4);
    w.i32(2);
    w.i32(4 + 4 + 16);
    w.i32(1);
    w.i32(16);
    w.raw(Buffer.alloc(16, r));
    w.i32(4 + 4 + 4 + 2);
    w.i32(4);
    w.i32(5);
    w.i32(2);
    w.raw(Buffer.from('tt'));
    if (r === 2) w.i32(-1);
    else {
      w.i32(4 + 4 + 4 + 1);
      w.i32(4);
      w.i32(5);
      w.i32(1);
      w.raw(Buffer.from('u'));
    }
  }
  done(results);
  // rows, per-column table spec, v5 metadata changed
  w.i32(2);
  w.i32(0x08);
  w.i32(2);
  w.shortBytes(Buffer.from([5, 5]));
  for (const n of ['x', 'y']) {
    w.string('ks');
    w.string('t');
    w.string(n);
    w.u16(dataTypes.int);
  }
  w.i32(2);
  w.i32(4);
  w.i32(1);
  w.i32(-1);
  w.i32(4);
  w.i32(2);
  w.i32(0);
  done(results);
  // rows without metadata (decoded with known metadata)
  w.i32(2);
  w.i32(0x04);
  w.i32(2);
  w.i32(2);
  w.i32(4);
  w.i32(1);
  w.i32(4);
  w.i32(77);
  w.i32(-1);
  w.i32(0);
  done(results);
  // prepared (v5 layout: the result metadata id is there; a v4 decode of it is a mutation of its own)
  w.i32(4);
  w.shortBytes(Buffer.from([1, 2]));
  w.shortBytes(Buffer.from([3]));
  w.i32(1);
  w.i32(2);
  w.i32(1);
  w.u16(0);
  w.string('ks');
  w.string('t');
  w.string('k');
  w.u16(dataTypes.int);
  w.string('v');
  w.u16(dataTypes.varchar);
  w.i32(1);
  w.i32(1);
  w.string('ks');
  w.string('t');
  w.string('v');
  w.u16(dataTypes.varchar);
  done(results);
  w.i32(1);
  done(results);
  w.i32(3);
  w.string('ks');
  done(results);
  w.i32(5);
  w.string('CREATED');
  w.string('FUNCTION');
  w.string('ks');
  w.string('f');
  w.stringList(['int', 'text']);
  done(results);
  w.i32(5);
  w.string('UPDATED');
  w.string('TABLE');
  w.string('ks');
  w.string('t');
  done(results);

  const e = (code: number, rest: () => void) => {
    w.i32(code);
    w.string('message');
    rest();
    done(errors);
  };
  e(0x1000, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
  });
  e(0x1100, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.string('SIMPLE');
  });
  e(0x1200, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.u8(1);
  });
  e(0x1300, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.i32(2);
    w.u8(4);
    w.raw(Buffer.from([1, 2, 3, 4]));
    w.u16(1);
    w.u8(16);
    w.raw(Buffer.alloc(16, 1));
    w.u16(2);
    w.u8(0);
  });
  e(0x1300, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.i32(2);
    w.u8(0);
  });
  e(0x1400, () => {
    w.string('ks');
    w.string('f');
    w.stringList(['int']);
  });
  e(0x1500, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.i32(1);
    w.u8(4);
    w.raw(Buffer.from([1, 2, 3, 4]));
    w.u16(1);
    w.string('BATCH');
  });
  e(0x1600, () => {});
  e(0x1700, () => {
    w.u16(9);
    w.i32(0);
    w.i32(1);
  });
  e(0x2400, () => {
    w.string('ks');
    w.string('t');
  });
  e(0x2500, () => {
    w.shortBytes(Buffer.from([1, 2, 3]));
  });
  e(0xf000, () => {
    w.u8(1);
    w.u8(0);
  });
  e(0x2200, () => {});
  return { results, errors };
}

const EXTREMES = [0x7fffffff, -1, -2, 0x80000000 | 0, 0xffff, 0x10000, 0, 1, 17];

function mutate(rnd: () => number, src: Buffer): Buffer {
  const roll = rnd();
  if (roll < 0.15) return Buffer.from(src.subarray(0, Math.floor(rnd() * src.length))); // truncation
  const b = Buffer.from(src);
  if (b.length === 0) return b;
  if (roll < 0.55) {
    const flips = 1 + Math.floor(rnd() * 4);
    for (let i = 0; i < flips; i++) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
    return b;
  }
  if (roll < 0.8 && b.length >= 4) {
    const at = Math.floor(rnd() * (b.length - 3));
    b.writeInt32BE(EXTREMES[Math.floor(rnd() * EXTREMES.length)]!, at);
    return b;
  }
  if (b.length >= 2) {
    const at = Math.floor(rnd() * (b.length - 1));
    b.writeUInt16BE(rnd() < 0.5 ? 0xffff : Math.floor(rnd() * 0x40), at);
  }
  return b;
}

function randomBody(rnd: () => number): Buffer {
  const b = Buffer.alloc(Math.floor(rnd() * 64));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
  if (b.length >= 4 && rnd() < 0.7) b.writeInt32BE(1 + Math.floor(rnd() * 5), 0); // a plausible RESULT kind
  return b;
}

/** Runs `fn`; returns the value, or the CodecError it threw. Anything else fails the test. */
function run(fn: () => unknown, what: string, input: Buffer): unknown {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw new Error(`${what} threw ${(e as Error)?.name}: ${(e as Error)?.message} on ${input.toString('hex')}`);
  }
}

function sameOutcome(a: unknown, b: unknown): boolean {
  if (a instanceof CodecError || b instanceof CodecError) return a instanceof CodecError && b instanceof CodecError;
  return isDeepStrictEqual(a, b);
}

describe('response decoders under fuzzing', () => {
  it('throw only CodecError on 120,000 random and mutated bodies, and never read outside [start, end)', () => {
    const rnd = prng(20240601);
    const { results, errors } = seeds();
    const known = decodeResult(results[1]!, 0, results[1]!.length, 5, codec, null);
    const knownMetadata: RowsMetadata | null = known.kind === 2 ? known.metadata : null;
    expect(knownMetadata).not.toBeNull();
    for (const s of results)
      expect(run(() => decodeResult(s, 0, s.length, 5, codec, knownMetadata), 'seed', s)).not.toBeInstanceOf(CodecError);
    for (const s of errors) {
      const v5 = run(() => decodeError(s, 0, s.length, 5, 0xf000), 'seed', s);
      expect(v5 instanceof ResponseError ? v5 : run(() => decodeError(s, 0, s.length, 4, 0xf000), 'seed', s)).toBeInstanceOf(ResponseError);
    }

    const CASES = 120_000;
    let codecErrors = 0;
    let decoded = 0;
    let padded = 0;
    for (let i = 0; i < CASES; i++) {
      const kind = i % 3;
      const pool = kind === 1 ? errors : results;
      const input = rnd() < 0.1 ? randomBody(rnd) : mutate(rnd, pool[Math.floor(rnd() * pool.length)]!);
      const version = rnd() < 0.5 ? 4 : 5;
      let decode: (buf: Buffer, start: number, end: number) => unknown;
      if (kind === 0) {
        const km = rnd() < 0.5 ? knownMetadata : null;
        decode = (buf, start, end) => decodeResult(buf, start, end, version, codec, km);
      } else if (kind === 1) {
        decode = (buf, start, end) => decodeError(buf, start, end, version, 0xf000);
      } else {
        const flags = Math.floor(rnd() * 16);
        decode = (buf, start, end) => {
          const p = readResponsePrelude(buf, start, end, flags);
          return { ...p, offset: p.offset - start };
        };
      }
      const out = run(() => decode(input, 0, input.length), `decoder ${kind}`, input);
      if (out instanceof CodecError) codecErrors++;
      else decoded++;
      // Every 8th case: the same bytes inside a larger buffer, random bytes around them; same outcome required.
      if (i % 8 === 0) {
        const before = Math.floor(rnd() * 16);
        const big = Buffer.alloc(before + input.length + 64);
        for (let k = 0; k < big.length; k++) big[k] = Math.floor(rnd() * 256);
        input.copy(big, before);
        const out2 = run(() => decode(big, before, before + input.length), `decoder ${kind} (padded)`, input);
        if (!sameOutcome(out, out2)) throw new Error(`decoder ${kind} depends on bytes outside its body: ${input.toString('hex')}`);
        padded++;
      }
    }
    expect(codecErrors + decoded).toBe(CASES);
    // Both outcomes must be well represented, or the fuzzer is not exploring anything.
    expect(codecErrors).toBeGreaterThan(CASES / 20);
    expect(decoded).toBeGreaterThan(CASES / 20);
    console.log(`fuzz: ${CASES} cases, ${codecErrors} CodecError, ${decoded} decoded, ${padded} padded re-decodes`);
  });
});
