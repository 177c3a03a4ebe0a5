// Differential tests: cassandra-driver 4.10's own Encoder is the oracle. For every type, random values
// encode to the same bytes on both sides, and each side decodes the other's bytes to equal values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import * as T from '../src/types';
import { cd, complexCases, norm, ot, scalarCases, toOracle, toOracleType, type TypeCase } from './types-arbitraries';

const oracle = new cd.Encoder(4, {});
const w = new ByteWriter(64);
const opts = T.defaultCodecOptions();

/** Our [value] bytes without the length prefix (null for a null [value]). */
function encode(value: unknown, type: T.DataType): Buffer | null {
  w.reset();
  T.writeValue(w, value, type, opts);
  const len = w.buf.readInt32BE(0);
  return len < 0 ? null : Buffer.from(w.buf.subarray(4, 4 + len));
}

function decode(bytes: Buffer | null, type: T.DataType): unknown {
  return bytes === null ? null : T.readValue(bytes, 0, bytes.length, type, opts);
}

function check(c: TypeCase, numRuns: number): void {
  const otype = toOracleType(c.type);
  fc.assert(
    fc.property(c.arb, (value) => {
      const mine = encode(value, c.type);
      const theirs: Buffer | null = oracle.encode(toOracle(value, c.type), otype);
      expect(mine?.toString('hex') ?? null).toBe(theirs?.toString('hex') ?? null);
      if (theirs === null) return;
      // Each side reads the other's bytes (they are equal, so both read the same bytes).
      expect(norm(decode(theirs, c.type))).toEqual(norm(oracle.decode(mine, otype)));
    }),
    { numRuns },
  );
}

describe('codec vs cassandra-driver Encoder (oracle)', () => {
  for (const c of scalarCases) it(`${c.name}`, () => check(c, 1000));
  for (const c of complexCases()) it(`${c.name}`, () => check(c, 150));

  it('agrees on edge values', () => {
    const t = (n: string): T.DataType => T.parseTypeName(n);
    const cases: [unknown, string][] = [
      [T.Long.MIN_VALUE, 'bigint'],
      [T.Long.MAX_VALUE, 'bigint'],
      [-2147483648, 'int'],
      [2147483647, 'int'],
      [NaN, 'double'],
      [Infinity, 'double'],
      [-Infinity, 'double'],
      [-0, 'double'],
      [-0, 'float'],
      [NaN, 'float'],
      [Number.MAX_VALUE, 'double'],
      [Number.MIN_VALUE, 'double'],
      ['', 'text'],
      ['', 'ascii'],
      [Buffer.alloc(0), 'blob'],
      [9007199254740991, 'bigint'],
      [-9007199254740991, 'bigint'],
      [1e20, 'bigint'],
      [-1e20, 'bigint'],
      [1.9, 'bigint'],
      [-1.9, 'bigint'],
      ['-9223372036854775808', 'bigint'],
      [1.9, 'int'],
      [-1.9, 'int'],
      ['42', 'int'],
      [true, 'int'],
      [-32768, 'smallint'],
      [127, 'tinyint'],
      [-128, 'tinyint'],
      ['3.25', 'double'],
      ['3.25', 'float'],
      [12345.678, 'decimal'],
      ['-0.001', 'decimal'],
      [1e-7, 'decimal'],
      [123, 'varint'],
      [-129, 'varint'],
      ['-98765432109876543210', 'varint'],
      [0, 'varint'],
      [-1, 'varint'],
      [128, 'varint'],
      ['1.2.3.4', 'inet'],
      ['::1', 'inet'],
      ['fe80::1:2', 'inet'],
      ['1:2:3:4:5:6:7:8', 'inet'],
      ['::', 'inet'],
      ['2020-02-29', 'date'],
      ['-0001-01-01', 'date'],
      [new Date(2020, 1, 3, 4, 5), 'date'],
      ['23:59:59.999999999', 'time'],
      ['00:00', 'time'],
      ['2019-01-01T10:00:00Z', 'timestamp'],
      [1577836800000, 'timestamp'],
      [new Date(-1), 'timestamp'],
      [T.Long.fromNumber(5), 'timestamp'],
      ['550e8400-e29b-41d4-a716-446655440000', 'uuid'],
      ['550E8400-E29B-41D4-A716-446655440000', 'timeuuid'],
      [[], 'list<int>'],
      [[], 'set<text>'],
      [{}, 'map<text,int>'],
      ['x', 'boolean'],
      [0, 'boolean'],
      [T.Duration.fromString('-2y3mo'), 'duration'],
      [T.Duration.fromString('P1Y2M3DT4H5M6S'), 'duration'],
      [T.Duration.fromString('89h4m48s'), 'duration'],
      [T.Duration.fromString('P2W'), 'duration'],
      [new T.Vector([1, 2, 3]), 'vector<float,3>'],
      [new Float32Array([1.5, -2]), 'vector<float,2>'],
      [new T.Vector([T.Long.MIN_VALUE, T.Long.MAX_VALUE]), 'vector<bigint,2>'],
      [Buffer.from('00000001', 'hex'), 'int'],
      [Buffer.from('ff', 'hex'), 'text'],
    ];
    for (const [value, name] of cases) {
      const type = t(name);
      const otype = toOracleType(type);
      const theirValue =
        value instanceof Float32Array
          ? value
          : value instanceof T.Vector
            ? new ot.Vector(value.elements.map((e) => (T.Long.isLong(e) ? ot.Long.fromString(e.toString()) : e)))
            : T.Long.isLong(value)
              ? ot.Long.fromString(value.toString())
              : value instanceof T.Duration
                ? toOracle(value, type)
                : value;
      const mine = encode(value, type);
      const theirs: Buffer | null = oracle.encode(theirValue, otype);
      expect(mine?.toString('hex') ?? null, `${name} ${String(value)}`).toBe(theirs?.toString('hex') ?? null);
      if (theirs !== null) expect(norm(decode(theirs, type)), `${name} ${String(value)}`).toEqual(norm(oracle.decode(theirs, otype)));
    }
  });

  it('decodes empty values as cassandra-driver does (null unless text/blob/custom)', () => {
    const empty = Buffer.alloc(0);
    for (const c of scalarCases) {
      expect(norm(T.readValue(empty, 0, 0, c.type, opts)), c.name).toEqual(norm(oracle.decode(empty, toOracleType(c.type))));
    }
  });

  it('decodes vectors given as a custom class name, as cassandra-driver does', () => {
    const type: T.DataType = { code: 0, info: 'org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType,3)' };
    const bytes = encode(new T.Vector([1, 2, 3]), type)!;
    expect(bytes.toString('hex')).toBe('3f8000004000000040400000');
    expect(norm(decode(bytes, type))).toEqual(norm(oracle.decode(bytes, type)));
  });

  it('reads cassandra-driver encodings with BigInt and collection options', () => {
    const o2 = { ...T.defaultCodecOptions(), useBigIntAsLong: true, useBigIntAsVarint: true, map: Map, set: Set } as T.CodecOptions;
    const oracle2 = new cd.Encoder(4, { encoding: { useBigIntAsLong: true, useBigIntAsVarint: true, map: Map, set: Set } });
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 90n), max: 2n ** 90n }), (a, b) => {
        for (const [v, n] of [
          [a, 'bigint'],
          [b, 'varint'],
        ] as const) {
          const type = T.parseTypeName(n);
          w.reset();
          T.writeValue(w, v, type, o2);
          const mine = Buffer.from(w.view().subarray(4));
          const theirs: Buffer = oracle2.encode(v, n);
          expect(mine.toString('hex')).toBe(theirs.toString('hex'));
          expect(T.readValue(theirs, 0, theirs.length, type, o2)).toBe(oracle2.decode(theirs, { code: type.code }));
        }
        const mt = T.parseTypeName('map<text,set<int>>');
        const m = new Map([['k', new Set([1, 2])]]);
        w.reset();
        T.writeValue(w, m, mt, o2);
        const mine = Buffer.from(w.view().subarray(4));
        expect(mine.toString('hex')).toBe(oracle2.encode(m, toOracleType(mt)).toString('hex'));
        expect(norm(T.readValue(mine, 0, mine.length, mt, o2))).toEqual(norm(oracle2.decode(mine, toOracleType(mt))));
      }),
      { numRuns: 300 },
    );
  });
});
