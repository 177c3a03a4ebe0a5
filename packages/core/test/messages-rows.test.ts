// The row decoder's fast paths (frame/response/result.ts): generated row constructors, the shared metadata of
// No_metadata pages, and blob copies (types/decode.ts bufferOf). Behaviour must stay that of
// cassandra-driver's rows: own enumerable properties in column order, `instanceof Row`, get/keys/values/forEach.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { CodecError } from '../src/errors';
import { decodeResult } from '../src/frame/response';
import type { RowsMetadata } from '../src/frame/response';
import { dataTypes, defaultCodecOptions, Long, Row, type ColumnInfo } from '../src/types';

const codec = defaultCodecOptions();

/** A Rows body with global table spec ks.t, the given columns (all int) and rows of int cells (null: -1). */
function intRows(names: string[], rows: (number | null)[][]): Buffer {
  const w = new ByteWriter(64);
  w.i32(2);
  w.i32(0x01);
  w.i32(names.length);
  w.string('ks');
  w.string('t');
  for (const n of names) {
    w.string(n);
    w.u16(dataTypes.int);
  }
  w.i32(rows.length);
  for (const r of rows) {
    for (const v of r) {
      if (v === null) w.i32(-1);
      else {
        w.i32(4);
        w.i32(v);
      }
    }
  }
  return w.toBuffer();
}

function rowsOf(body: Buffer, known: RowsMetadata | null = null): { rows: Row[]; metadata: RowsMetadata } {
  const res = decodeResult(body, 0, body.length, 4, codec, known);
  if (res.kind !== 2) throw new Error('not rows');
  return res;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('rows of generated constructors', () => {
  it('any column name: quotes, backslashes, line separators, digits, reserved words, constructor', () => {
    const names = ['a"b', "c'd", 'e\\f', 'g\nh', 'i\u2028j', '0', '12', 'class', 'constructor', 'x y', '[applied]', 'ünï', '$_'];
    const values = names.map((_, i) => i * 10);
    const { rows } = rowsOf(intRows(names, [values]));
    const row = rows[0]!;
    expect(row).toBeInstanceOf(Row);
    // Object.keys puts integer-like keys first, as for cassandra-driver's `row[name] = value`.
    const expected: Record<string, number> = {};
    names.forEach((n, i) => (expected[n] = values[i]!));
    expect(Object.keys(row)).toEqual(Object.keys(expected));
    expect({ ...row }).toEqual(expected);
    names.forEach((n, i) => {
      expect(row.get(n)).toBe(values[i]);
      expect(row.get(i)).toBe(values[i]);
    });
    // A column named constructor is an own property, shadowing Row's.
    expect(Object.prototype.hasOwnProperty.call(row, 'constructor')).toBe(true);
  });

  it('a column named __proto__ is an own property; the row keeps Row.prototype (generated and fallback)', () => {
    for (const stub of [false, true]) {
      if (stub) {
        vi.stubGlobal('Function', function NoCodegen(): never {
          throw new EvalError('Code generation from strings disallowed for this context');
        });
      }
      const first = stub ? 'fallback_k' : 'k';
      const { rows } = rowsOf(
        intRows(
          [first, '__proto__'],
          [
            [1, 2],
            [3, null],
          ],
        ),
      );
      vi.unstubAllGlobals();
      for (const row of rows) {
        expect(row).toBeInstanceOf(Row);
        expect(Object.keys(row)).toEqual([first, '__proto__']);
        expect(Object.getOwnPropertyDescriptor(row, '__proto__')).toMatchObject({ enumerable: true, writable: true });
      }
      expect(rows[0]!.get('__proto__')).toBe(2);
      expect(rows[1]!.values()).toEqual([3, null]);
      expect(JSON.stringify(rows[0])).toBe(`{"${first}":1,"__proto__":2}`);
    }
  });

  it('a repeated column name keeps the last value, as row[name] = value does', () => {
    const { rows } = rowsOf(intRows(['a', 'b', 'a'], [[1, 2, 3]]));
    expect(Object.keys(rows[0]!)).toEqual(['a', 'b']);
    expect(rows[0]!['a']).toBe(3);
    expect(rows[0]!.get(2)).toBe(3);
    expect(rows[0]!.constructor).toBe(Row);
  });

  it('rows of a page are independent objects; nulls are null; zero columns give empty rows', () => {
    const { rows } = rowsOf(
      intRows(
        ['k', 'v'],
        [
          [1, null],
          [2, 20],
          [3, null],
        ],
      ),
    );
    expect(rows.map((r) => r.values())).toEqual([
      [1, null],
      [2, 20],
      [3, null],
    ]);
    rows[0]!['v'] = 5;
    expect(rows[2]!['v']).toBeNull();
    const empty = rowsOf(intRows([], [[], []])).rows;
    expect(empty).toHaveLength(2);
    expect(Object.keys(empty[0]!)).toEqual([]);
    expect(empty[0]).toBeInstanceOf(Row);
  });

  it('without code generation (--disallow-code-generation-from-strings), rows are built by keyed stores', () => {
    vi.stubGlobal('Function', function NoCodegen(): never {
      throw new EvalError('Code generation from strings disallowed for this context');
    });
    // Names no other test uses: the factory cache must not already hold a generated constructor.
    const { rows } = rowsOf(
      intRows(
        ['nocodegen_a', 'nocodegen "b"', '7'],
        [
          [1, 2, 3],
          [4, null, 6],
        ],
      ),
    );
    vi.unstubAllGlobals();
    expect(rows[0]).toBeInstanceOf(Row);
    expect(Object.keys(rows[0]!)).toEqual(['7', 'nocodegen_a', 'nocodegen "b"']);
    expect(rows[1]!.values()).toEqual([6, 4, null]);
    expect(rows[1]!.get(1)).toBeNull();
    expect(rows[0]!.get('nocodegen "b"')).toBe(2);
  });

  it('a decode error mid-row is a CodecError and the next result decodes normally', () => {
    const good = intRows(['p', 'q'], [[1, 2]]);
    const bad = Buffer.from(good);
    bad.writeInt32BE(3, bad.length - 8); // the length of the row's last cell: an int of 3 bytes
    expect(() => rowsOf(bad)).toThrow(CodecError);
    expect(rowsOf(good).rows[0]!.values()).toEqual([1, 2]);
  });
});

describe('No_metadata pages (EXECUTE with Skip_metadata)', () => {
  const columns: ColumnInfo[] = ['pk', 'v'].map((name) => ({
    ksname: 'ks',
    tablename: 't',
    name,
    type: { code: dataTypes.bigint, info: null },
  }));
  const known: RowsMetadata = { flags: 0, columns, pagingState: null, newMetadataId: null, pkIndexes: null, columnCount: 2 };

  function bare(flags: number, count: number, rows: number[][], pagingState?: Buffer): Buffer {
    const w = new ByteWriter(64);
    w.i32(2);
    w.i32(flags);
    w.i32(count);
    if (pagingState) w.bytes(pagingState);
    w.i32(rows.length);
    for (const r of rows) {
      for (const v of r) {
        w.i32(8);
        w.i64(v < 0 ? -1 : 0, v);
      }
    }
    return w.toBuffer();
  }

  it('share one frozen metadata per known metadata; rows decode with its columns', () => {
    const a = rowsOf(bare(0x04, 2, [[1, 2]]), known);
    const b = rowsOf(bare(0x04, 2, [[3, -4]]), known);
    expect(a.metadata).toBe(b.metadata);
    expect(Object.isFrozen(a.metadata)).toBe(true);
    expect(a.metadata).toEqual({ flags: 0x04, columns, pagingState: null, newMetadataId: null, pkIndexes: null, columnCount: 2 });
    expect(a.rows[0]!['pk']).toBeInstanceOf(Long);
    expect((b.rows[0]!['v'] as Long).toNumber()).toBe(-4);
    expect(Object.keys(b.rows[0]!)).toEqual(['pk', 'v']);
  });

  it('a page with a paging state gets its own metadata', () => {
    const paged = rowsOf(bare(0x04 | 0x02, 2, [[5, 6]], Buffer.from([1, 2, 3])), known);
    expect(paged.metadata.pagingState).toEqual(Buffer.from([1, 2, 3]));
    expect(paged.metadata.columns).toBe(columns);
    expect(Object.isFrozen(paged.metadata)).toBe(false);
  });

  it('a new known metadata (v5 Metadata_changed) is followed; a column count other than known is a CodecError', () => {
    expect(() => rowsOf(bare(0x04, 3, [[1, 2, 3]]), known)).toThrow(CodecError);
    rowsOf(bare(0x04, 2, [[1, 2]]), known); // cached now
    expect(() => rowsOf(bare(0x04, 1, [[1]]), known)).toThrow(CodecError);
    const wider: RowsMetadata = { ...known, columns: [...columns, { ...columns[0]!, name: 'w' }], columnCount: 3 };
    const r = rowsOf(bare(0x04, 3, [[1, 2, 3]]), wider);
    expect(r.metadata.columns).toBe(wider.columns);
    expect(Object.keys(r.rows[0]!)).toEqual(['pk', 'v', 'w']);
    expect(rowsOf(bare(0x04, 2, [[7, 8]]), known).metadata.columns).toBe(columns);
    expect(() => rowsOf(bare(0x04, 2, [[1, 2]]), { ...known, columns: null })).toThrow(CodecError);
  });
});

describe('copyBuffer copies of blobs (small ones by a loop, larger natively)', () => {
  it('copies are equal to the cell and do not share its memory, at every size', () => {
    const copying = { ...codec, copyBuffer: true };
    for (const size of [0, 1, 16, 31, 32, 33, 64, 1000, 5000]) {
      const cell = Buffer.alloc(size);
      for (let i = 0; i < size; i++) cell[i] = (i * 31 + 7) & 0xff;
      const w = new ByteWriter(64);
      w.i32(2);
      w.i32(0x01);
      w.i32(1);
      w.string('ks');
      w.string('t');
      w.string('b');
      w.u16(dataTypes.blob);
      w.i32(1);
      w.i32(size);
      w.raw(cell);
      const body = w.toBuffer();
      const res = decodeResult(body, 0, body.length, 4, copying, null);
      if (res.kind !== 2) throw new Error('not rows');
      const got = res.rows[0]!['b'] as Buffer;
      expect(Buffer.isBuffer(got)).toBe(true);
      expect(got.equals(cell)).toBe(true);
      body.fill(0xee);
      expect(got.equals(cell)).toBe(true);
    }
  });
});

describe('column specs of results with metadata, cached by their bytes', () => {
  /** A Rows body with full metadata: per-column table specs unless global; `types` writes each column's [option]. */
  function withSpecs(
    global: boolean,
    cols: [string, (w: ByteWriter) => void][],
    cells: (w: ByteWriter) => void = () => {},
    rows = 0,
  ): Buffer {
    const w = new ByteWriter(64);
    w.i32(2);
    w.i32(global ? 0x01 : 0);
    w.i32(cols.length);
    if (global) {
      w.string('ks');
      w.string('t');
    }
    for (const [name, type] of cols) {
      if (!global) {
        w.string('ks');
        w.string('t');
      }
      w.string(name);
      type(w);
    }
    w.i32(rows);
    cells(w);
    return w.toBuffer();
  }
  const int = (w: ByteWriter): void => w.u16(dataTypes.int);
  const nested = (w: ByteWriter): void => {
    // map<text, frozen<list<tuple<int, udt ks.u {a: set<bigint>, b: custom vector}>>>>
    w.u16(dataTypes.map);
    w.u16(dataTypes.text);
    w.u16(dataTypes.list);
    w.u16(dataTypes.tuple);
    w.u16(2);
    w.u16(dataTypes.int);
    w.u16(dataTypes.udt);
    w.string('ks');
    w.string('u');
    w.u16(2);
    w.string('a');
    w.u16(dataTypes.set);
    w.u16(dataTypes.bigint);
    w.string('b');
    w.u16(dataTypes.custom);
    w.string('org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType, 3)');
  };

  it('results of the same specs share one columns array and decode their own rows', () => {
    const spec: [string, (w: ByteWriter) => void][] = [
      ['cached_a', int],
      ['cached_b', nested],
    ];
    const one = (v: number): Buffer =>
      withSpecs(
        true,
        spec,
        (w) => {
          w.i32(4);
          w.i32(v);
          w.i32(-1);
        },
        1,
      );
    const a = rowsOf(one(1));
    const b = rowsOf(one(2));
    expect(b.metadata.columns).toBe(a.metadata.columns);
    expect(a.metadata).not.toBe(b.metadata);
    expect(a.rows[0]!.values()).toEqual([1, null]);
    expect(b.rows[0]!.values()).toEqual([2, null]);
    const t = b.metadata.columns![1]!.type;
    expect(t.code).toBe(dataTypes.map);
    expect(JSON.stringify(t)).toBe(JSON.stringify(a.metadata.columns![1]!.type));
    expect(JSON.stringify(t)).toContain('"dimension":3');
  });

  it('specs that differ in a name, a type, the table spec layout or the count get their own columns', () => {
    const base = rowsOf(
      withSpecs(true, [
        ['d_a', int],
        ['d_b', int],
      ]),
    ).metadata.columns!;
    const renamed = rowsOf(
      withSpecs(true, [
        ['d_a', int],
        ['d_c', int],
      ]),
    ).metadata.columns!;
    const retyped = rowsOf(
      withSpecs(true, [
        ['d_a', int],
        ['d_b', (w) => w.u16(dataTypes.text)],
      ]),
    ).metadata.columns!;
    const perColumn = rowsOf(
      withSpecs(false, [
        ['d_a', int],
        ['d_b', int],
      ]),
    ).metadata.columns!;
    const fewer = rowsOf(withSpecs(true, [['d_a', int]])).metadata.columns!;
    for (const other of [renamed, retyped, perColumn, fewer]) expect(other).not.toBe(base);
    expect(renamed.map((c) => c.name)).toEqual(['d_a', 'd_c']);
    expect(retyped[1]!.type.code).toBe(dataTypes.text);
    expect(perColumn.map((c) => [c.ksname, c.tablename, c.name])).toEqual([
      ['ks', 't', 'd_a'],
      ['ks', 't', 'd_b'],
    ]);
    expect(fewer).toHaveLength(1);
  });

  it('truncated specs and unknown type codes are CodecErrors, cached or not', () => {
    const good = withSpecs(true, [['e_a', nested]]);
    rowsOf(good);
    for (let cut = 20; cut < good.length - 4; cut += 7) {
      const res = (): unknown => decodeResult(good, 0, cut, 4, codec, null);
      expect(res).toThrow(CodecError);
    }
    expect(() => rowsOf(withSpecs(true, [['e_b', (w) => w.u16(0x0099)]]))).toThrow(CodecError);
  });

  it('many distinct specs (past the cache bound) and specs too large to cache still decode', () => {
    for (let i = 0; i < 300; i++) {
      const { metadata, rows } = rowsOf(
        withSpecs(
          true,
          [[`many_${i}`, int]],
          (w) => {
            w.i32(4);
            w.i32(i);
          },
          1,
        ),
      );
      expect(metadata.columns![0]!.name).toBe(`many_${i}`);
      expect(rows[0]!.get(0)).toBe(i);
    }
    const wide = Array.from({ length: 1200 }, (_, i): [string, (w: ByteWriter) => void] => [`wide_column_${i}`, int]);
    const a = rowsOf(withSpecs(false, wide)).metadata.columns!;
    const b = rowsOf(withSpecs(false, wide)).metadata.columns!;
    expect(a).toHaveLength(1200);
    expect(b).not.toBe(a); // over 16 KiB of specs: parsed each time
    expect(b.map((c) => c.name)).toEqual(a.map((c) => c.name));
  });
});
