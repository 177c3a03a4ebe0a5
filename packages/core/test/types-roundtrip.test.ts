// Property tests: writeValue then readValue gives back an equal value, for every type and option set.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../src/bytes';
import { CodecError } from '../src/errors';
import * as T from '../src/types';
import { complexCases, norm, scalarCases } from './types-arbitraries';

const w = new ByteWriter(16);

function roundTrip(value: unknown, type: T.DataType, opts: T.CodecOptions): unknown {
  w.reset();
  w.u8(0xee); // the value does not start at offset 0 of the buffer
  T.writeValue(w, value, type, opts);
  const len = w.buf.readInt32BE(1);
  if (len < 0) return len === -2 ? T.unset : null;
  return T.readValue(w.buf, 5, len, type, opts);
}

/** The value as it decodes: a top-level empty list/set is sent as null (as cassandra-driver does). */
function expected(value: unknown, type: T.DataType): unknown {
  if ((type.code === T.dataTypes.list || type.code === T.dataTypes.set) && Array.isArray(value) && value.length === 0) return null;
  return value;
}

describe('codec round trip', () => {
  const opts = T.defaultCodecOptions();
  for (const c of scalarCases) {
    it(c.name, () => {
      fc.assert(
        fc.property(c.arb, (v) => void expect(norm(roundTrip(v, c.type, opts))).toEqual(norm(v))),
        { numRuns: 1000 },
      );
    });
  }
  for (const c of complexCases()) {
    it(c.name, () => {
      fc.assert(
        fc.property(c.arb, (v) => void expect(norm(roundTrip(v, c.type, opts))).toEqual(norm(expected(v, c.type)))),
        { numRuns: 200 },
      );
    });
  }

  it('nested empty collections stay empty (cassandra-driver cannot encode them)', () => {
    const t = T.parseTypeName('list<frozen<list<int>>>');
    expect(roundTrip([[], [1]], t, opts)).toEqual([[], [1]]);
    const m = T.parseTypeName('map<text,frozen<set<int>>>');
    expect(roundTrip({ a: [] }, m, opts)).toEqual({ a: [] });
  });

  it('bigint and varint as JS bigint', () => {
    const o = { ...opts, useBigIntAsLong: true, useBigIntAsVarint: true };
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }), (a, b) => {
        expect(roundTrip(a, T.parseTypeName('bigint'), o)).toBe(a);
        expect(roundTrip(a, T.parseTypeName('counter'), o)).toBe(a);
        expect(roundTrip(b, T.parseTypeName('varint'), o)).toBe(b);
        // Long values and numbers are accepted in bigint mode as well.
        expect(roundTrip(T.Long.fromString(a.toString()), T.parseTypeName('bigint'), o)).toBe(a);
      }),
      { numRuns: 1000 },
    );
  });

  it('bigint from numbers and JS bigint in Long mode', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n, b) => {
        expect(String(roundTrip(n, T.parseTypeName('bigint'), opts))).toBe(String(n));
        expect(String(roundTrip(b, T.parseTypeName('bigint'), opts))).toBe(String(b));
        expect((roundTrip(n, T.parseTypeName('timestamp'), opts) as Date).getTime()).toBe(Math.abs(n) <= 8.64e15 ? n : NaN);
      }),
      { numRuns: 1000 },
    );
  });

  it('Map and Set options', () => {
    const o = { ...opts, map: Map, set: Set } as T.CodecOptions;
    const t = T.parseTypeName('map<int,frozen<set<text>>>');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer(), fc.uniqueArray(fc.string(), { minLength: 1 })), { maxLength: 5 }), (entries) => {
        const m = new Map(entries.map(([k, v]) => [k, new Set(v)]));
        expect(roundTrip(m, t, o)).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  it('copyBuffer gives blobs, uuids and inets their own memory', () => {
    const o = { ...opts, copyBuffer: true };
    const src = Buffer.from('0000000401020304', 'hex');
    const view = T.readValue(src, 4, 4, T.parseTypeName('blob'), opts) as Buffer;
    const copy = T.readValue(src, 4, 4, T.parseTypeName('blob'), o) as Buffer;
    const inet = T.readValue(src, 4, 4, T.parseTypeName('inet'), o) as T.InetAddress;
    src[4] = 9;
    expect(view[0]).toBe(9);
    expect(copy[0]).toBe(1);
    expect(inet.toString()).toBe('1.2.3.4');
  });

  it('null, undefined and unset', () => {
    const t = T.parseTypeName('int');
    for (const [v, o, len] of [
      [null, opts, -1],
      [undefined, opts, -1],
      [undefined, { ...opts, useUndefinedAsUnset: true }, -2],
      [T.unset, opts, -2],
    ] as const) {
      w.reset();
      T.writeValue(w, v, t, o);
      expect(w.view().readInt32BE(0)).toBe(len);
      expect(w.pos).toBe(4);
    }
    // In a UDT, a missing field follows the same rule (-2 with useUndefinedAsUnset).
    const udt: T.DataType = {
      code: T.dataTypes.udt,
      info: {
        keyspace: 'k',
        name: 'u',
        fields: [
          { name: 'a', type: t },
          { name: 'b', type: t },
        ],
      },
    };
    w.reset();
    T.writeValue(w, { a: 1 }, udt, { ...opts, useUndefinedAsUnset: true });
    expect(w.view().toString('hex')).toBe('0000000c' + '0000000400000001' + 'fffffffe');
  });

  it('rejects values a type cannot take with TypeError (RangeError when out of range), like cassandra-driver', () => {
    const bad: [unknown, string, ErrorConstructor][] = [
      ['abc', 'int', TypeError],
      [{}, 'int', TypeError],
      [2147483648, 'int', RangeError],
      [40000, 'smallint', RangeError],
      [128, 'tinyint', RangeError],
      [1, 'text', TypeError],
      [1, 'ascii', TypeError],
      ['abc', 'blob', TypeError],
      [{}, 'bigint', TypeError],
      ['x', 'double', TypeError],
      [T.Long.ONE, 'float', TypeError],
      ['not-a-uuid', 'uuid', TypeError],
      [1, 'uuid', TypeError],
      ['1.2.3', 'inet', TypeError],
      [1, 'inet', TypeError],
      [{}, 'decimal', TypeError],
      [{}, 'varint', TypeError],
      ['nope', 'date', TypeError],
      [1, 'date', TypeError],
      [1, 'time', TypeError],
      ['x', 'duration', TypeError],
      ['invalid date', 'timestamp', TypeError],
      [1, 'list<int>', TypeError],
      [[1, null], 'list<int>', TypeError],
      [[undefined], 'set<int>', TypeError],
      [{ a: null }, 'map<text,int>', TypeError],
      [1, 'map<text,int>', TypeError],
      [new T.Vector([1, 2]), 'vector<float,3>', TypeError],
      ['x', 'vector<float,1>', TypeError],
      [1, 'tuple<int>', TypeError],
    ];
    for (const [v, name, cls] of bad) {
      w.reset();
      expect(() => T.writeValue(w, v, T.parseTypeName(name), opts), `${name} ${String(v)}`).toThrow(cls);
    }
  });

  it('readValue refuses ranges outside the buffer', () => {
    const b = Buffer.alloc(8);
    expect(() => T.readValue(b, 6, 4, T.parseTypeName('int'), opts)).toThrow(CodecError);
    expect(() => T.readValue(b, -1, 4, T.parseTypeName('int'), opts)).toThrow(CodecError);
  });

  it('type specs round trip through writeTypeSpec/readTypeSpec', () => {
    const names = [
      'int',
      'map<text,frozen<list<int>>>',
      'tuple<int,text,vector<float,3>>',
      'vector<varchar,2>',
      'set<timeuuid>',
      'duration',
      'list<vector<bigint,4>>',
    ];
    for (const n of names) {
      const t = T.parseTypeName(n);
      w.reset();
      T.writeTypeSpec(w, t);
      const r = new ByteReader(w.toBuffer());
      expect(T.readTypeSpec(r)).toEqual(t);
      expect(r.remaining()).toBe(0);
    }
    const udt: T.DataType = {
      code: T.dataTypes.udt,
      info: { keyspace: 'ks', name: 'u', fields: [{ name: 'a', type: T.parseTypeName('list<int>') }] },
    };
    w.reset();
    T.writeTypeSpec(w, udt);
    expect(T.readTypeSpec(new ByteReader(w.toBuffer()))).toEqual(udt);
    // A vector arrives as the custom class name (Cassandra 5).
    w.reset();
    w.u16(0);
    w.string('org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType,3)');
    expect(T.readTypeSpec(new ByteReader(w.toBuffer()))).toEqual(T.parseTypeName('vector<float,3>'));
  });
});
