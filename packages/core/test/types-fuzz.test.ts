// Fuzzing readValue: random and mutated bytes for every type either decode or throw CodecError, and the
// result never depends on bytes outside [off, off+len) (the same bytes inside different garbage decode
// to the same value).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../src/bytes';
import { CodecError } from '../src/errors';
import * as T from '../src/types';
import { complexCases, norm, scalarCases } from './types-arbitraries';

const opts = T.defaultCodecOptions();
const w = new ByteWriter(64);

function decodeIn(bytes: Uint8Array, before: Uint8Array, after: Uint8Array, type: T.DataType): unknown {
  const buf = Buffer.concat([before, bytes, after]);
  try {
    return norm(T.readValue(buf, before.length, bytes.length, type, opts));
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    return 'CodecError';
  }
}

const garbage = fc.uint8Array({ maxLength: 12 });
const all = [...scalarCases, ...complexCases()];
let total = 0;

describe('readValue fuzz', () => {
  for (const c of all) {
    it(c.name, () => {
      // Valid encodings, then mutated: flipped bytes, truncation, extension.
      const mutated = c.arb.chain((v) => {
        w.reset();
        T.writeValue(w, v, c.type, opts);
        const len = w.buf.readInt32BE(0);
        const enc = len < 0 ? new Uint8Array(0) : Uint8Array.from(w.buf.subarray(4, 4 + len));
        return fc
          .tuple(
            fc.constant(enc),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
            fc.nat(),
            fc.uint8Array({ maxLength: 4 }),
          )
          .map(([e, flips, cut, ext]) => {
            const out = Uint8Array.from(e);
            for (const [i, b] of flips) if (out.length > 0) out[i % out.length] = b;
            const kept = out.subarray(0, cut % (out.length + 1));
            return Math.random() < 0.5 ? kept : Uint8Array.from([...out, ...ext]);
          });
      });
      const bytes = fc.oneof(fc.uint8Array({ maxLength: 48 }), mutated);
      const runs = c.nestable ? 2000 : 600;
      fc.assert(
        fc.property(bytes, garbage, garbage, fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 12 }), (b, g1, g2, g3, g4) => {
          total++;
          expect(decodeIn(b, g1, g2, c.type)).toEqual(decodeIn(b, g3, g4, c.type));
        }),
        { numRuns: runs },
      );
    });
  }

  it('readTypeSpec on random bytes throws only CodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        total++;
        try {
          T.readTypeSpec(new ByteReader(Buffer.from(b)));
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 20000 },
    );
    // A deeply nested list<list<...>> is refused, not a stack overflow.
    const deep = Buffer.alloc(2 * 100000);
    for (let i = 0; i < 100000; i++) deep.writeUInt16BE(0x20, 2 * i);
    expect(() => T.readTypeSpec(new ByteReader(deep))).toThrow(CodecError);
  });

  it('ran at least 100,000 cases', () => {
    expect(total).toBeGreaterThanOrEqual(100000);
  });
});
