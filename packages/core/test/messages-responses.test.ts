import Long from 'long';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { CodecError, ResponseError } from '../src/errors';
import { decodeError, decodeResult, readResponsePrelude } from '../src/frame/response';
import type { RowsMetadata } from '../src/frame/response';
import { dataTypes, defaultCodecOptions, Row } from '../src/types';

const codec = defaultCodecOptions();

/** Builds a body with `junk` bytes before and after it, to check that decoders honour start/end. */
function body(build: (w: ByteWriter) => void): { buf: Buffer; start: number; end: number } {
  const w = new ByteWriter(8);
  w.raw(Buffer.from('deadbeef', 'hex'));
  const start = w.pos;
  build(w);
  const end = w.pos;
  w.raw(Buffer.from('ffffffffffffffff', 'hex'));
  return { buf: w.toBuffer(), start, end };
}

function err(version: number, build: (w: ByteWriter) => void, rateLimitCode = -1): ResponseError {
  const b = body(build);
  return decodeError(b.buf, b.start, b.end, version, rateLimitCode);
}

function ipv4(w: ByteWriter, a: number[]): void {
  w.u8(4);
  w.raw(Buffer.from(a));
}

describe('readResponsePrelude (section 2.2)', () => {
  it('no flags: the message starts at start', () => {
    const b = body((w) => w.i32(1));
    expect(readResponsePrelude(b.buf, b.start, b.end, 0)).toEqual({ traceId: null, warnings: null, customPayload: null, offset: b.start });
  });
  it('tracing id, then warnings, then custom payload, copied out of the receive buffer', () => {
    const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const b = body((w) => {
      w.raw(id);
      w.stringList(['w1', 'w2']);
      w.u16(3);
      w.string('k');
      w.bytes(Buffer.from([9]));
      w.string('n');
      w.bytes(null);
      w.string('__proto__');
      w.bytes(Buffer.from([1]));
      w.i32(1);
    });
    const p = readResponsePrelude(b.buf, b.start, b.end, 0x02 | 0x04 | 0x08);
    expect(p.traceId!.toString()).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(p.warnings).toEqual(['w1', 'w2']);
    expect(p.customPayload!['k']).toEqual(Buffer.from([9]));
    expect(p.customPayload!['n']).toBeNull();
    expect(Object.getPrototypeOf(p.customPayload)).toBe(Object.prototype);
    expect(Object.keys(p.customPayload!)).toEqual(['k', 'n', '__proto__']);
    expect(p.offset).toBe(b.end - 4);
    b.buf.fill(0);
    expect(p.traceId!.toString()).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(p.customPayload!['k']).toEqual(Buffer.from([9]));
  });
  it('a body shorter than its flags announce is a CodecError', () => {
    const b = body((w) => w.raw(Buffer.alloc(10)));
    expect(() => readResponsePrelude(b.buf, b.start, b.end, 0x02)).toThrow(CodecError);
  });
});

describe('decodeError (v4 section 9, v5 section 8)', () => {
  it('plain codes: code and message only', () => {
    const e = err(4, (w) => {
      w.i32(0x2200);
      w.string('bad query');
    });
    expect(e).toBeInstanceOf(ResponseError);
    expect(e.code).toBe(0x2200);
    expect(e.message).toBe('bad query');
  });
  it('unavailable', () => {
    const e = err(4, (w) => {
      w.i32(0x1000);
      w.string('x');
      w.u16(4);
      w.i32(2);
      w.i32(1);
    });
    expect([e.consistencies, e.required, e.alive]).toEqual([4, 2, 1]);
    expect(e.message).toBe('Not enough replicas available for query at consistency QUORUM (2 required but only 1 alive)');
  });
  it('write timeout, with the batch log message', () => {
    const e = err(4, (w) => {
      w.i32(0x1100);
      w.string('x');
      w.u16(1);
      w.i32(0);
      w.i32(1);
      w.string('BATCH_LOG');
    });
    expect([e.consistencies, e.received, e.blockFor, e.writeType]).toEqual([1, 0, 1, 'BATCH_LOG']);
    expect(e.message).toMatch(/^Server timeout during batchlog write at consistency ONE/);
  });
  it('read timeout: data present as a boolean', () => {
    const e = err(4, (w) => {
      w.i32(0x1200);
      w.string('x');
      w.u16(6);
      w.i32(2);
      w.i32(2);
      w.u8(0);
    });
    expect([e.received, e.blockFor, e.isDataPresent]).toEqual([2, 2, false]);
    expect(e.message).toBe(
      "Server timeout during read query at consistency LOCAL_QUORUM (the replica queried for the data didn't respond)",
    );
  });
  it('read failure: v4 count, v5 reason map', () => {
    const v4 = err(4, (w) => {
      w.i32(0x1300);
      w.string('x');
      w.u16(4);
      w.i32(1);
      w.i32(2);
      w.i32(1);
      w.u8(1);
    });
    expect([v4.failures, v4.reasons, v4.isDataPresent]).toEqual([1, undefined, true]);
    const v5 = err(5, (w) => {
      w.i32(0x1300);
      w.string('x');
      w.u16(4);
      w.i32(1);
      w.i32(2);
      w.i32(2);
      ipv4(w, [10, 0, 0, 1]);
      w.u16(3);
      w.u8(16);
      w.raw(Buffer.from('20010db8000000000000000000000001', 'hex'));
      w.u16(0);
      w.u8(1);
    });
    expect(v5.failures).toBe(2);
    expect(v5.reasons).toEqual({ '10.0.0.1': 3, '2001:db8::1': 0 });
  });
  it('write failure v5: reason map then write type', () => {
    const e = err(5, (w) => {
      w.i32(0x1500);
      w.string('x');
      w.u16(5);
      w.i32(1);
      w.i32(3);
      w.i32(1);
      ipv4(w, [1, 2, 3, 4]);
      w.u16(1);
      w.string('SIMPLE');
    });
    expect([e.consistencies, e.received, e.blockFor, e.failures, e.reasons, e.writeType]).toEqual([5, 1, 3, 1, { '1.2.3.4': 1 }, 'SIMPLE']);
    expect(e.message).toBe(
      'Server failure during write query at consistency ALL (3 responses were required but only 1 replicas responded, 1 failed)',
    );
  });
  it('function failure, already exists, unprepared (copied)', () => {
    const f = err(4, (w) => {
      w.i32(0x1400);
      w.string('m');
      w.string('ks');
      w.string('fn');
      w.stringList(['int', 'text']);
    });
    expect([f.keyspace, f.functionName, f.argTypes]).toEqual(['ks', 'fn', ['int', 'text']]);
    const ks = err(4, (w) => {
      w.i32(0x2400);
      w.string('m');
      w.string('ks');
      w.string('');
    });
    expect([ks.keyspace, ks.table]).toEqual(['ks', undefined]);
    const t = err(4, (w) => {
      w.i32(0x2400);
      w.string('m');
      w.string('ks');
      w.string('t');
    });
    expect(t.table).toBe('t');
    const b = body((w) => {
      w.i32(0x2500);
      w.string('m');
      w.shortBytes(Buffer.from('abcd', 'hex'));
    });
    const u = decodeError(b.buf, b.start, b.end, 4);
    b.buf.fill(0);
    expect(u.queryId).toEqual(Buffer.from('abcd', 'hex'));
  });
  it('v5 CDC write failure and CAS write unknown', () => {
    expect(
      err(5, (w) => {
        w.i32(0x1600);
        w.string('cdc');
      }).message,
    ).toBe('cdc');
    const c = err(5, (w) => {
      w.i32(0x1700);
      w.string('cas');
      w.u16(9);
      w.i32(1);
      w.i32(2);
    });
    expect([c.message, c.consistencies, c.received, c.blockFor]).toEqual(['cas', 9, 1, 2]);
  });
  it('ScyllaDB rate limit, at the code the server announced', () => {
    const e = err(
      4,
      (w) => {
        w.i32(0xf000);
        w.string('rl');
        w.u8(1);
        w.u8(1);
      },
      0xf000,
    );
    expect([e.opType, e.rejectedByCoordinator]).toEqual([1, true]);
    const notNegotiated = err(4, (w) => {
      w.i32(0xf000);
      w.string('rl');
      w.u8(1);
      w.u8(1);
    });
    expect(notNegotiated.opType).toBeUndefined();
  });
  it('truncated extra fields are a CodecError', () => {
    expect(() =>
      err(4, (w) => {
        w.i32(0x1000);
        w.string('x');
        w.u16(4);
      }),
    ).toThrow(CodecError);
  });
});

const BIGINT = { code: dataTypes.bigint, info: null };
const TEXT = { code: dataTypes.varchar, info: null };

function colSpec(w: ByteWriter, name: string, code: number, global: boolean): void {
  if (!global) {
    w.string('ks');
    w.string('t');
  }
  w.string(name);
  w.u16(code);
}

describe('decodeResult (section 4.2.5)', () => {
  it('void, set_keyspace', () => {
    let b = body((w) => w.i32(1));
    expect(decodeResult(b.buf, b.start, b.end, 4, codec, null)).toEqual({ kind: 1 });
    b = body((w) => {
      w.i32(3);
      w.string('ks1');
    });
    expect(decodeResult(b.buf, b.start, b.end, 4, codec, null)).toEqual({ kind: 3, keyspace: 'ks1' });
  });
  it('schema_change for keyspace, table and function', () => {
    let b = body((w) => {
      w.i32(5);
      w.string('CREATED');
      w.string('KEYSPACE');
      w.string('ks');
    });
    expect(decodeResult(b.buf, b.start, b.end, 4, codec, null)).toEqual({
      kind: 5,
      change: 'CREATED',
      target: 'KEYSPACE',
      keyspace: 'ks',
      name: null,
      argTypes: null,
    });
    b = body((w) => {
      w.i32(5);
      w.string('UPDATED');
      w.string('TABLE');
      w.string('ks');
      w.string('t');
    });
    expect(decodeResult(b.buf, b.start, b.end, 4, codec, null)).toEqual({
      kind: 5,
      change: 'UPDATED',
      target: 'TABLE',
      keyspace: 'ks',
      name: 't',
      argTypes: null,
    });
    b = body((w) => {
      w.i32(5);
      w.string('DROPPED');
      w.string('FUNCTION');
      w.string('ks');
      w.string('f');
      w.stringList(['int']);
    });
    expect(decodeResult(b.buf, b.start, b.end, 4, codec, null)).toEqual({
      kind: 5,
      change: 'DROPPED',
      target: 'FUNCTION',
      keyspace: 'ks',
      name: 'f',
      argTypes: ['int'],
    });
  });
  it('rows with per-column table specs, nulls and a paging state', () => {
    const b = body((w) => {
      w.i32(2);
      w.i32(0x02);
      w.i32(2);
      w.bytes(Buffer.from([7, 7]));
      colSpec(w, 'a', dataTypes.bigint, false);
      colSpec(w, 'b', dataTypes.varchar, false);
      w.i32(2);
      w.i32(8);
      w.i64(0, 5);
      w.i32(2);
      w.raw(Buffer.from('hi'));
      w.i32(-1);
      w.i32(0);
    });
    const res = decodeResult(b.buf, b.start, b.end, 4, codec, null);
    if (res.kind !== 2) throw new Error('not rows');
    expect(res.metadata.columns!.map((c) => [c.ksname, c.tablename, c.name, c.type.code])).toEqual([
      ['ks', 't', 'a', dataTypes.bigint],
      ['ks', 't', 'b', dataTypes.varchar],
    ]);
    expect(res.metadata.pagingState).toEqual(Buffer.from([7, 7]));
    expect(res.rows).toHaveLength(2);
    expect(Object.keys(res.rows[0]!)).toEqual(['a', 'b']);
    expect((res.rows[0]!['a'] as Long).toString()).toBe('5');
    expect(res.rows[0]!.get('b')).toBe('hi');
    expect(res.rows[1]!['a']).toBeNull();
    expect(res.rows[1]!.get(1)).toBe('');
  });
  it('decoded rows behave as Row: instanceof, get by name and index, keys, values, forEach, JSON', () => {
    const b = body((w) => {
      w.i32(2);
      w.i32(0x01);
      w.i32(2);
      w.string('ks');
      w.string('t');
      colSpec(w, 'id', dataTypes.int, true);
      colSpec(w, 'name', dataTypes.varchar, true);
      w.i32(2);
      w.i32(4);
      w.i32(1);
      w.i32(1);
      w.raw(Buffer.from('a'));
      w.i32(4);
      w.i32(2);
      w.i32(-1);
    });
    const res = decodeResult(b.buf, b.start, b.end, 4, codec, null);
    if (res.kind !== 2) throw new Error('not rows');
    const [r0, r1] = res.rows as [Row, Row];
    expect(r0).toBeInstanceOf(Row);
    expect(r0.get('name')).toBe('a');
    expect(r0.get(0)).toBe(1);
    expect(r0.keys()).toEqual(['id', 'name']);
    expect(r1.values()).toEqual([2, null]);
    const seen: [string, unknown][] = [];
    r0.forEach((v, k) => seen.push([k, v]));
    expect(seen).toEqual([
      ['id', 1],
      ['name', 'a'],
    ]);
    expect(JSON.stringify(r0)).toBe('{"id":1,"name":"a"}');
    expect(Object.keys(r0)).toEqual(['id', 'name']);
    expect(r0.__columns.map((c) => c.name)).toEqual(['id', 'name']);
    // A later result of the same columns gives rows of the same constructor (one hidden class per statement).
    const again = decodeResult(b.buf, b.start, b.end, 4, codec, null);
    if (again.kind !== 2) throw new Error('not rows');
    expect(Object.getPrototypeOf(again.rows[0])).toBe(Object.getPrototypeOf(r0));
    // Name lists that would collide if joined with a separator still get their own row shapes.
    const one = body((w) => {
      w.i32(2);
      w.i32(0x01);
      w.i32(1);
      w.string('ks');
      w.string('t');
      colSpec(w, 'id\u0000name', dataTypes.int, true);
      w.i32(1);
      w.i32(4);
      w.i32(5);
    });
    const r2 = decodeResult(one.buf, one.start, one.end, 4, codec, null);
    if (r2.kind !== 2) throw new Error('not rows');
    expect(r2.rows[0]!.get(0)).toBe(5);
    expect(r0.get(1)).toBe('a');
  });

  it('rows with a global table spec; No_metadata rows use the known metadata; v5 Metadata_changed', () => {
    const full = body((w) => {
      w.i32(2);
      w.i32(0x01);
      w.i32(1);
      w.string('ks');
      w.string('tb');
      colSpec(w, 'x', dataTypes.bigint, true);
      w.i32(1);
      w.i32(8);
      w.i64(-1, -1);
    });
    const r1 = decodeResult(full.buf, full.start, full.end, 4, codec, null);
    if (r1.kind !== 2) throw new Error('not rows');
    expect(r1.metadata.columns![0]).toMatchObject({ ksname: 'ks', tablename: 'tb', name: 'x' });
    expect(r1.rows[0]!['x']!.toString()).toBe('-1');

    const bare = body((w) => {
      w.i32(2);
      w.i32(0x04);
      w.i32(1);
      w.i32(1);
      w.i32(8);
      w.i64(0, 9);
    });
    expect(() => decodeResult(bare.buf, bare.start, bare.end, 4, codec, null)).toThrow(CodecError);
    const r2 = decodeResult(bare.buf, bare.start, bare.end, 4, codec, r1.metadata);
    if (r2.kind !== 2) throw new Error('not rows');
    expect(r2.rows[0]!['x']!.toString()).toBe('9');
    expect(r2.metadata.columns).toBe(r1.metadata.columns);
    const wrongKnown: RowsMetadata = { ...r1.metadata, columns: [], columnCount: 0 };
    expect(() => decodeResult(bare.buf, bare.start, bare.end, 4, codec, wrongKnown)).toThrow(CodecError);

    const changed = body((w) => {
      w.i32(2);
      w.i32(0x08 | 0x01);
      w.i32(1);
      w.shortBytes(Buffer.from('aa01', 'hex'));
      w.string('ks');
      w.string('tb');
      colSpec(w, 'x', dataTypes.bigint, true);
      w.i32(0);
    });
    const r3 = decodeResult(changed.buf, changed.start, changed.end, 5, codec, null);
    if (r3.kind !== 2) throw new Error('not rows');
    expect(r3.metadata.newMetadataId).toEqual(Buffer.from('aa01', 'hex'));
    expect(r3.rows).toEqual([]);
  });
  it('prepared v4 and v5: id, result metadata id, bind metadata with pk indexes, result metadata', () => {
    const build = (v5: boolean) => (w: ByteWriter) => {
      w.i32(4);
      w.shortBytes(Buffer.from('0102', 'hex'));
      if (v5) w.shortBytes(Buffer.from('0304', 'hex'));
      w.u32(0x80000001);
      w.i32(2);
      w.i32(2);
      w.u16(1);
      w.u16(0);
      w.string('ks');
      w.string('t');
      colSpec(w, 'k1', dataTypes.varchar, true);
      colSpec(w, 'k2', dataTypes.bigint, true);
      w.i32(0x04);
      w.i32(3);
    };
    for (const v of [4, 5]) {
      const b = body(build(v === 5));
      const res = decodeResult(b.buf, b.start, b.end, v, codec, null);
      if (res.kind !== 4) throw new Error('not prepared');
      b.buf.fill(0);
      expect(res.id).toEqual(Buffer.from('0102', 'hex'));
      expect(res.resultMetadataId).toEqual(v === 5 ? Buffer.from('0304', 'hex') : null);
      expect(res.bindMetadata.flags).toBe(0x80000001);
      expect(res.bindMetadata.pkIndexes).toEqual([1, 0]);
      expect(res.bindMetadata.columns!.map((c) => [c.name, c.type])).toEqual([
        ['k1', TEXT],
        ['k2', BIGINT],
      ]);
      expect(res.resultMetadata).toMatchObject({ flags: 4, columns: null, columnCount: 3, pkIndexes: null });
    }
  });
  it('unknown kinds and counts the body cannot hold are CodecErrors', () => {
    let b = body((w) => w.i32(9));
    expect(() => decodeResult(b.buf, b.start, b.end, 4, codec, null)).toThrow(CodecError);
    b = body((w) => {
      w.i32(2);
      w.i32(0);
      w.i32(0x7fffffff);
    });
    expect(() => decodeResult(b.buf, b.start, b.end, 4, codec, null)).toThrow(CodecError);
    b = body((w) => {
      w.i32(2);
      w.i32(0x01);
      w.i32(1);
      w.string('k');
      w.string('t');
      colSpec(w, 'x', 2, true);
      w.i32(0x7fffffff);
    });
    expect(() => decodeResult(b.buf, b.start, b.end, 4, codec, null)).toThrow(CodecError);
    // a cell length that runs past `end` into the trailing bytes
    b = body((w) => {
      w.i32(2);
      w.i32(0x01);
      w.i32(1);
      w.string('k');
      w.string('t');
      colSpec(w, 'x', 3, true);
      w.i32(1);
      w.i32(4);
    });
    expect(() => decodeResult(b.buf, b.start, b.end, 4, codec, null)).toThrow(CodecError);
  });
});
