import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { encodeExecute, newQueryParameters, writeQueryParameters } from '../src/frame/request';
import { defaultCodecOptions } from '../src/types';

const codec = defaultCodecOptions();

/** The fixed fields as Buffer's own write methods lay them out (ByteWriter stores in-range values byte by byte). */
function reference(version: number, consistency: number, flags: number, pageSize: number): string {
  const b = Buffer.alloc(11);
  let at = b.writeUInt16BE(consistency, 0);
  at = version >= 5 ? b.writeInt32BE(flags, at) : b.writeUInt8(flags, at);
  if (pageSize > 0) at = b.writeInt32BE(pageSize, at);
  return b.subarray(0, at).toString('hex');
}

describe('writeQueryParameters fixed fields', () => {
  it('writes consistency, flags and page size as the ByteWriter methods do, v4 and v5, at any writer position', () => {
    for (const version of [4, 5]) {
      for (const consistency of [0, 1, 0x0a, 0xff, 0x100, 0xffff]) {
        for (const pageSize of [0, 1, 5000, 0x7fffffff]) {
          for (const prefix of [0, 1, 13]) {
            const p = newQueryParameters();
            p.consistency = consistency;
            p.pageSize = pageSize;
            const w = new ByteWriter(8); // small: the fields land across a growth
            for (let i = 0; i < prefix; i++) w.u8(0xee);
            writeQueryParameters(w, version, p, codec, false);
            const got = w
              .view()
              .toString('hex')
              .slice(prefix * 2);
            expect(got).toBe(reference(version, consistency, pageSize > 0 ? 0x04 : 0, pageSize));
          }
        }
      }
    }
  });

  it('refuses what ByteWriter refuses: a consistency or page size out of range is a RangeError', () => {
    const p = newQueryParameters();
    p.consistency = 0x10000;
    expect(() => writeQueryParameters(new ByteWriter(8), 4, p, codec, false)).toThrow(RangeError);
    const q = newQueryParameters();
    q.pageSize = 2 ** 31;
    expect(() => writeQueryParameters(new ByteWriter(8), 5, q, codec, false)).toThrow(RangeError);
  });

  it('ByteWriter.u16 and i32 lay out every in-range value as Buffer does, and refuse the rest with its RangeError', () => {
    const u16s = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];
    const i32s = [0, 1, -1, 0xff, -0x100, 0x7fffffff, -0x80000000, 123456789, -987654321, -0];
    for (const v of u16s) {
      const w = new ByteWriter(1);
      w.u8(0xee);
      w.u16(v);
      const ref = Buffer.alloc(3, 0xee);
      ref.writeUInt16BE(v, 1);
      expect(w.view().equals(ref)).toBe(true);
    }
    for (const v of i32s) {
      const w = new ByteWriter(1);
      w.u8(0xee);
      w.i32(v);
      const ref = Buffer.alloc(5, 0xee);
      ref.writeInt32BE(v, 1);
      expect(w.view().equals(ref)).toBe(true);
    }
    for (const v of [-1, 0x10000]) expect(() => new ByteWriter(4).u16(v)).toThrow(RangeError);
    for (const v of [2 ** 31, -(2 ** 31) - 1]) expect(() => new ByteWriter(4).i32(v)).toThrow(RangeError);
    // What Buffer accepts outside the fast path (fractions: it truncates) it still writes, the same bytes.
    const u = new ByteWriter(4);
    u.u16(1.5);
    u.i32(-2.5);
    const ref = Buffer.alloc(6);
    ref.writeUInt16BE(1.5, 0);
    ref.writeInt32BE(-2.5, 2);
    expect(u.view().equals(ref)).toBe(true);
  });

  it('writes statement ids of any length as [short bytes]', () => {
    for (const n of [0, 1, 16, 20, 32, 33, 300]) {
      const id = Buffer.alloc(n, 0xab);
      const w = new ByteWriter(4);
      encodeExecute(w, 4, id, null, newQueryParameters(), codec);
      const out = w.view();
      expect(out.readUInt16BE(0)).toBe(n);
      expect(out.subarray(2, 2 + n).equals(id)).toBe(true);
    }
  });
});
