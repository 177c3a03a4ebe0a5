// Shared by the types-*.test.ts files: fast-check arbitraries for every CQL type, conversion of our values
// to cassandra-driver's (the oracle), and a normal form to compare values of either library.
import fc from 'fast-check';
import { createRequire } from 'node:module';
import * as T from '../src/types';

const require = createRequire(__filename);

export const cd: any = require('cassandra-driver');
export const ot = cd.types;

const d = T.dataTypes;
const simple = (code: number): T.DataType => ({ code, info: null });

export interface TypeCase {
  name: string;
  type: T.DataType;
  arb: fc.Arbitrary<unknown>;
  /** Values of this type nest in collections (false: empty encodings or quirks). */
  nestable: boolean;
}

const INT32 = { min: -2147483648, max: 2147483647 };
const bigint64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const longArb = fc.oneof(
  bigint64.map((b) => T.Long.fromString(b.toString())),
  fc.constantFrom(T.Long.MIN_VALUE, T.Long.MAX_VALUE, T.Long.ZERO, T.Long.NEG_ONE),
);
const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));

export const scalarCases: TypeCase[] = [
  { name: 'ascii', type: simple(d.ascii), arb: fc.string({ unit: 'binary-ascii', maxLength: 40 }), nestable: true },
  { name: 'bigint', type: simple(d.bigint), arb: longArb, nestable: true },
  { name: 'blob', type: simple(d.blob), arb: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), nestable: true },
  { name: 'boolean', type: simple(d.boolean), arb: fc.boolean(), nestable: true },
  { name: 'counter', type: simple(d.counter), arb: longArb, nestable: true },
  {
    name: 'decimal',
    type: simple(d.decimal),
    arb: fc
      .tuple(fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }), fc.integer({ min: -40, max: 40 }))
      .map(([u, s]) => new T.BigDecimal(T.Integer.fromString(u.toString()), s)),
    nestable: true,
  },
  { name: 'double', type: simple(d.double), arb: fc.double(), nestable: true },
  { name: 'float', type: simple(d.float), arb: fc.float(), nestable: true },
  { name: 'int', type: simple(d.int), arb: fc.oneof(fc.integer(INT32), fc.constantFrom(INT32.min, INT32.max, 0, -1)), nestable: true },
  { name: 'text', type: simple(d.text), arb: fc.string({ unit: 'binary', maxLength: 40 }), nestable: true },
  {
    name: 'timestamp',
    type: simple(d.timestamp),
    arb: fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms)),
    nestable: true,
  },
  { name: 'uuid', type: simple(d.uuid), arb: bytes16.map((b) => new T.Uuid(b)), nestable: true },
  { name: 'varchar', type: simple(d.varchar), arb: fc.string({ unit: 'binary', maxLength: 40 }), nestable: true },
  {
    name: 'varint',
    type: simple(d.varint),
    arb: fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).map((b) => T.Integer.fromString(b.toString())),
    nestable: true,
  },
  { name: 'timeuuid', type: simple(d.timeuuid), arb: bytes16.map((b) => new T.TimeUuid(b)), nestable: true },
  {
    name: 'inet',
    type: simple(d.inet),
    arb: fc
      .oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
      .map((a) => new T.InetAddress(Buffer.from(a))),
    nestable: true,
  },
  { name: 'date', type: simple(d.date), arb: fc.integer(INT32).map((n) => new T.LocalDate(n)), nestable: true },
  {
    name: 'time',
    type: simple(d.time),
    arb: fc.bigInt({ min: 0n, max: 86399999999999n }).map((n) => new T.LocalTime(T.Long.fromString(n.toString()))),
    nestable: true,
  },
  { name: 'smallint', type: simple(d.smallint), arb: fc.integer({ min: -32768, max: 32767 }), nestable: true },
  { name: 'tinyint', type: simple(d.tinyint), arb: fc.integer({ min: -128, max: 127 }), nestable: true },
  {
    name: 'duration',
    type: simple(d.duration),
    arb: fc
      .tuple(fc.integer(INT32), fc.integer(INT32), bigint64)
      .map(([m, dd, n]) => new T.Duration(m, dd, T.Long.fromString(n.toString()))),
    nestable: true,
  },
];

export const byName = (n: string): TypeCase => scalarCases.find((c) => c.name === n)!;

const udtType: T.DataType = {
  code: d.udt,
  info: {
    keyspace: 'ks',
    name: 'address',
    fields: [
      { name: 'street', type: simple(d.text) },
      { name: 'zip', type: simple(d.int) },
      { name: 'tags', type: { code: d.list, info: simple(d.text) } },
      { name: 'when', type: simple(d.timestamp) },
    ],
  },
};
const udtArb = fc.record({
  street: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
  zip: fc.option(fc.integer(INT32), { nil: null }),
  tags: fc.option(fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 3 }), { nil: null }),
  when: fc.option(byName('timestamp').arb, { nil: null }),
});

/** Collections, UDTs, tuples and vectors (no empty nested collections: cassandra-driver cannot encode those). */
export function complexCases(): TypeCase[] {
  const out: TypeCase[] = [];
  for (const c of scalarCases) {
    out.push({ name: `list<${c.name}>`, type: { code: d.list, info: c.type }, arb: fc.array(c.arb, { maxLength: 6 }), nestable: false });
    out.push({ name: `set<${c.name}>`, type: { code: d.set, info: c.type }, arb: fc.array(c.arb, { maxLength: 6 }), nestable: false });
    out.push({
      name: `map<text,${c.name}>`,
      type: { code: d.map, info: [simple(d.text), c.type] },
      arb: fc.dictionary(fc.string({ maxLength: 8 }), c.arb, { maxKeys: 5 }),
      nestable: false,
    });
  }
  out.push({
    name: 'map<int,bigint>',
    type: { code: d.map, info: [simple(d.int), simple(d.bigint)] },
    arb: fc.dictionary(fc.integer(INT32).map(String), longArb, { maxKeys: 5 }),
    nestable: false,
  });
  out.push({
    name: 'list<frozen<list<int>>>',
    type: { code: d.list, info: { code: d.list, info: simple(d.int) } },
    arb: fc.array(fc.array(fc.integer(INT32), { minLength: 1, maxLength: 4 }), { maxLength: 4 }),
    nestable: false,
  });
  out.push({
    name: 'map<text,frozen<map<int,text>>>',
    type: { code: d.map, info: [simple(d.text), { code: d.map, info: [simple(d.int), simple(d.text)] }] },
    arb: fc.dictionary(
      fc.string({ maxLength: 4 }),
      fc.dictionary(fc.integer(INT32).map(String), fc.string({ maxLength: 4 }), { minKeys: 1, maxKeys: 3 }),
      { maxKeys: 3 },
    ),
    nestable: false,
  });
  out.push({ name: 'udt', type: udtType, arb: udtArb, nestable: false });
  out.push({ name: 'list<frozen<udt>>', type: { code: d.list, info: udtType }, arb: fc.array(udtArb, { maxLength: 4 }), nestable: false });
  const tupleType: T.DataType = { code: d.tuple, info: [simple(d.int), simple(d.text), simple(d.bigint), udtType] };
  out.push({
    name: 'tuple<int,text,bigint,udt>',
    type: tupleType,
    arb: fc
      .tuple(
        fc.option(fc.integer(INT32), { nil: null }),
        fc.option(fc.string({ maxLength: 6 }), { nil: null }),
        fc.option(longArb, { nil: null }),
        fc.option(udtArb, { nil: null }),
      )
      .map((a) => T.Tuple.fromArray(a)),
    nestable: false,
  });
  out.push({
    name: 'list<frozen<tuple<int,text>>>',
    type: { code: d.list, info: { code: d.tuple, info: [simple(d.int), simple(d.text)] } },
    arb: fc.array(
      fc.tuple(fc.integer(INT32), fc.string({ maxLength: 5 })).map((a) => T.Tuple.fromArray(a)),
      { maxLength: 4 },
    ),
    nestable: false,
  });
  for (const sub of ['float', 'double', 'int', 'bigint', 'text', 'uuid', 'boolean', 'varint', 'smallint', 'date', 'decimal', 'timestamp']) {
    const c = byName(sub);
    for (const dim of [1, 3, 8]) {
      out.push({
        name: `vector<${sub},${dim}>`,
        type: T.vectorType(c.type, dim),
        arb: fc.array(c.arb, { minLength: dim, maxLength: dim }).map((a) => new T.Vector(a, sub)),
        nestable: false,
      });
    }
  }
  out.push({
    name: 'vector<list<int>,2>',
    type: T.vectorType({ code: d.list, info: simple(d.int) }, 2),
    arb: fc
      .array(fc.array(fc.integer(INT32), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 2 })
      .map((a) => new T.Vector(a, 'list<int>')),
    nestable: false,
  });
  out.push({
    name: 'vector<vector<float,2>,2>',
    type: T.vectorType(T.vectorType(simple(d.float), 2), 2),
    arb: fc
      .array(
        fc.array(fc.float(), { minLength: 2, maxLength: 2 }).map((a) => new T.Vector(a, 'float')),
        { minLength: 2, maxLength: 2 },
      )
      .map((a) => new T.Vector(a)),
    nestable: false,
  });
  return out;
}

/** Our type descriptor as cassandra-driver wants it (vector info is `[subtype, dimension]` there). */
export function toOracleType(t: T.DataType): unknown {
  const v = T.getVectorInfo(t);
  if (v !== null) return { code: d.custom, customTypeName: 'vector', info: [toOracleType(v.subtype), v.dimension] };
  switch (t.code) {
    case d.list:
    case d.set:
      return { code: t.code, info: toOracleType(t.info as T.DataType) };
    case d.map:
    case d.tuple:
      return { code: t.code, info: (t.info as T.DataType[]).map(toOracleType) };
    case d.udt: {
      const u = t.info as T.UdtInfo;
      return { code: t.code, info: { ...u, fields: u.fields.map((f) => ({ name: f.name, type: toOracleType(f.type) })) } };
    }
    default:
      return t;
  }
}

/** Our value as the equivalent cassandra-driver value. */
export function toOracle(v: unknown, t: T.DataType): unknown {
  if (v === null || v === undefined) return v;
  const vec = T.getVectorInfo(t);
  if (vec !== null) {
    const els = (v as T.Vector).elements.map((e) => toOracle(e, vec.subtype));
    return new ot.Vector(els, (v as T.Vector).subtype);
  }
  switch (t.code) {
    case d.bigint:
    case d.counter:
      return ot.Long.fromString(String(v));
    case d.varint:
      return ot.Integer.fromString(String(v));
    case d.decimal: {
      const b = v as T.BigDecimal;
      return new ot.BigDecimal(ot.Integer.fromString(b._intVal.toString()), b._scale);
    }
    case d.uuid:
      return new ot.Uuid((v as T.Uuid).buffer);
    case d.timeuuid:
      return new ot.TimeUuid((v as T.Uuid).buffer);
    case d.inet:
      return new ot.InetAddress((v as T.InetAddress).buffer);
    case d.date:
      return new ot.LocalDate((v as T.LocalDate).daysSinceEpoch());
    case d.time:
      return ot.LocalTime.fromBuffer((v as T.LocalTime).toBuffer());
    case d.duration: {
      const x = v as T.Duration;
      return new ot.Duration(x.months, x.days, ot.Long.fromString(x.nanoseconds.toString()));
    }
    case d.list:
    case d.set:
      return (v as unknown[]).map((e) => toOracle(e, t.info as T.DataType));
    case d.map: {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toOracle(x, (t.info as T.DataType[])[1]!);
      return out;
    }
    case d.udt: {
      const out: Record<string, unknown> = {};
      for (const f of (t.info as T.UdtInfo).fields) out[f.name] = toOracle((v as Record<string, unknown>)[f.name], f.type);
      return out;
    }
    case d.tuple:
      return ot.Tuple.fromArray((v as T.Tuple).elements.map((e, i) => toOracle(e, (t.info as T.DataType[])[i]!)));
    default:
      return v;
  }
}

/** A library-neutral form for comparing values (either library's classes, by their public API). */
export function norm(v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v;
  if (typeof v === 'bigint') return `n:${v}`;
  if (typeof v !== 'object') return v;
  if (Buffer.isBuffer(v)) return `hex:${v.toString('hex')}`;
  if (v instanceof Date) return `date:${v.getTime()}`;
  if (Array.isArray(v)) return v.map(norm);
  if (v instanceof Map) return ['Map', [...v.entries()].map(([k, x]) => [norm(k), norm(x)])];
  if (v instanceof Set) return ['Set', [...v].map(norm)];
  const name = (v as object).constructor?.name;
  switch (name) {
    case 'BigDecimal': {
      // Not toString: a corrupt scale of 2^30 would build a gigabyte of zeros.
      const x = v as T.BigDecimal;
      return `BigDecimal:${x._intVal.toString()}e-${x._scale}`;
    }
    case 'Long':
    case 'Integer':
    case 'Uuid':
    case 'TimeUuid':
    case 'InetAddress':
    case 'LocalDate':
    case 'LocalTime':
      return `${name}:${String(v)}`;
    case 'Duration': {
      const x = v as T.Duration;
      return `Duration:${x.months}/${x.days}/${x.nanoseconds.toString()}`;
    }
    case 'Tuple':
      return ['Tuple', Array.from((v as T.Tuple).elements, norm)];
    case 'Vector':
      return ['Vector', Array.from((v as T.Vector).elements, norm)];
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = norm((v as Record<string, unknown>)[k]);
  return out;
}
