import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { encodeExecute, newQueryParameters, writeQueryParameters } from '../src/frame/request';
import { defaultCodecOptions } from '../src/types';

const codec = defaultCodecOptions();

/** The fixed fields as ByteWriter's own methods write them (what writeQueryParameters stores byte by byte). */
function reference(version: number, consistency: number, flags: number, pageSize: number): string {
  const w = new ByteWriter(4);
  w.u16(consistency);
  if (version >= 5) w.i32(flags);
  else w.u8(flags);
  if (pageSize > 0) w.i32(pageSize);
  return w.view().toString('hex');
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
            const got = w.view().toString('hex').slice(prefix * 2);
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

  it('writes statement ids of any length as [short bytes]', () => {
    for (const n of [0, 1, 16, 20, 300]) {
      const id = Buffer.alloc(n, 0xab);
      const w = new ByteWriter(4);
      encodeExecute(w, 4, id, null, newQueryParameters(), codec);
      const out = w.view();
      expect(out.readUInt16BE(0)).toBe(n);
      expect(out.subarray(2, 2 + n).equals(id)).toBe(true);
    }
  });
});
