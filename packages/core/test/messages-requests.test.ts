import Long from 'long';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { ArgumentError } from '../src/errors';
import { encodeBatch, encodeExecute, encodePrepare, encodeQuery, newQueryParameters } from '../src/frame/request';
import type { BatchEntry, QueryParameters } from '../src/frame/request';
import { dataTypes, defaultCodecOptions, unset } from '../src/types';
import type { DataType } from '../src/types';

const codec = defaultCodecOptions();
const INT: DataType = { code: dataTypes.int, info: null };
const TEXT: DataType = { code: dataTypes.text, info: null };
const BIGINT: DataType = { code: dataTypes.bigint, info: null };

/** Hand-built byte vectors: numbers are bytes, strings are hex ("0001"), {s} is UTF-8 text. */
function bytes(...parts: (string | number | { s: string })[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += p.toString(16).padStart(2, '0');
    else if (typeof p === 'string') out += p.replace(/\s+/g, '');
    else out += Buffer.from(p.s, 'utf8').toString('hex');
  }
  return out;
}

function encode(fn: (w: ByteWriter) => void): string {
  const w = new ByteWriter(16); // small on purpose: exercises growth
  fn(w);
  return w.view().toString('hex');
}

function params(over: Partial<QueryParameters>): QueryParameters {
  return Object.assign(newQueryParameters(), over);
}

describe('QUERY (section 4.1.4)', () => {
  it('v4 without values: [long string], consistency, flags byte 0', () => {
    expect(encode((w) => encodeQuery(w, 4, 'SELECT 1', params({ consistency: 1 }), codec))).toBe(
      bytes('00000008', { s: 'SELECT 1' }, '0001', 0x00),
    );
  });

  it('v5 with every flag, in spec order', () => {
    const p = params({
      consistency: 4,
      values: [7, 'x'],
      valueTypes: [INT, TEXT],
      skipMetadata: true,
      pageSize: 100,
      pagingState: Buffer.from([1, 2, 3]),
      serialConsistency: 9,
      timestamp: Long.fromString('1700000000000000'),
      keyspace: 'ks',
      nowInSeconds: 42,
    });
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(1700000000000000n);
    expect(encode((w) => encodeQuery(w, 5, 'Q', p, codec))).toBe(
      bytes(
        '00000001',
        { s: 'Q' },
        '0004',
        '000001bf', // values|skip|page size|paging state|serial|timestamp|keyspace|now = 0x1bf (no names)
        '0002',
        '00000004 00000007',
        '00000001',
        { s: 'x' },
        '00000064',
        '00000003 010203',
        '0009',
        ts.toString('hex'),
        '0002',
        { s: 'ks' },
        '0000002a',
      ),
    );
  });

  it('v4 drops the v5-only keyspace and now_in_seconds', () => {
    const p = params({ consistency: 1, keyspace: 'ks', nowInSeconds: 5 });
    expect(encode((w) => encodeQuery(w, 4, 'Q', p, codec))).toBe(bytes('00000001', { s: 'Q' }, '0001', 0x00));
  });

  it('named values (0x40): [string] name before each [value]', () => {
    const p = params({ consistency: 1, values: [1], valueTypes: [INT], names: ['a'] });
    expect(encode((w) => encodeQuery(w, 4, 'Q', p, codec))).toBe(
      bytes('00000001', { s: 'Q' }, '0001', 0x41, '0001', '0001', { s: 'a' }, '00000004 00000001'),
    );
    expect(() => encode((w) => encodeQuery(w, 4, 'Q', params({ values: [1], names: ['a', 'b'] }), codec))).toThrow(ArgumentError);
  });

  it('null, undefined and unset need no type; a value whose type cannot be guessed is a TypeError', () => {
    const p = params({ consistency: 1, values: [null, unset, undefined] });
    expect(encode((w) => encodeQuery(w, 4, 'Q', p, codec))).toBe(
      bytes('00000001', { s: 'Q' }, '0001', 0x01, '0003', 'ffffffff', 'fffffffe', 'ffffffff'),
    );
    const bad = params({ values: [Symbol('x')] });
    expect(() => encode((w) => encodeQuery(w, 4, 'Q', bad, codec))).toThrow(TypeError);
    expect(() => encode((w) => encodeQuery(w, 4, 'Q', bad, codec))).toThrow(/Target data type could not be guessed/);
  });

  it('guesses types of unhinted values (number -> double, string -> text)', () => {
    const p = params({ consistency: 1, values: [1.5, 'é'], valueTypes: [null, null] });
    expect(encode((w) => encodeQuery(w, 4, 'Q', p, codec))).toBe(
      bytes('00000001', { s: 'Q' }, '0001', 0x01, '0002', '00000008 3ff8000000000000', '00000002 c3a9'),
    );
  });

  it('timestamps: Long, number and bigint give the same [long], negatives included', () => {
    for (const [a, b, c] of [
      [Long.fromNumber(1), 1, 1n],
      [Long.fromString('-5'), -5, -5n],
      [Long.fromString('9007199254740991'), 9007199254740991, 9007199254740991n],
      [Long.fromString('-4294967296'), -4294967296, -4294967296n],
    ] as const) {
      const hexA = encode((w) => encodeQuery(w, 4, 'Q', params({ timestamp: a }), codec));
      expect(encode((w) => encodeQuery(w, 4, 'Q', params({ timestamp: b }), codec))).toBe(hexA);
      expect(encode((w) => encodeQuery(w, 4, 'Q', params({ timestamp: c }), codec))).toBe(hexA);
      const ts = Buffer.alloc(8);
      ts.writeBigInt64BE(c);
      expect(hexA.endsWith(ts.toString('hex'))).toBe(true);
    }
    expect(() => encode((w) => encodeQuery(w, 4, 'Q', params({ timestamp: 1.5 }), codec))).toThrow(ArgumentError);
  });
});

describe('PREPARE (section 4.1.5)', () => {
  it('v4: only the query; v5: flags [int] and the optional keyspace', () => {
    expect(encode((w) => encodePrepare(w, 4, 'Q', 'ks'))).toBe(bytes('00000001', { s: 'Q' }));
    expect(encode((w) => encodePrepare(w, 5, 'Q', null))).toBe(bytes('00000001', { s: 'Q' }, '00000000'));
    expect(encode((w) => encodePrepare(w, 5, 'Q', 'ks'))).toBe(bytes('00000001', { s: 'Q' }, '00000001', '0002', { s: 'ks' }));
  });
});

describe('EXECUTE (section 4.1.6)', () => {
  const id = Buffer.from('cafe', 'hex');
  const md = Buffer.from('beef01', 'hex');
  it('v4: [short bytes] id then the parameters', () => {
    const p = params({ consistency: 6, values: [Long.fromNumber(3)], valueTypes: [BIGINT], pageSize: 5000 });
    expect(encode((w) => encodeExecute(w, 4, id, md, p, codec))).toBe(
      bytes('0002 cafe', '0006', 0x05, '0001', '00000008 0000000000000003', '00001388'),
    );
  });
  it('v5: the result metadata id follows the id; the keyspace is never sent', () => {
    const p = params({ consistency: 6, keyspace: 'ks', nowInSeconds: 1 });
    expect(encode((w) => encodeExecute(w, 5, id, md, p, codec))).toBe(bytes('0002 cafe', '0003 beef01', '0006', '00000100', '00000001'));
    expect(() => encode((w) => encodeExecute(w, 5, id, null, p, codec))).toThrow(ArgumentError);
  });
});

describe('BATCH (section 4.1.7)', () => {
  const entries: BatchEntry[] = [
    { query: 'INSERT a', id: null, values: [1], valueTypes: [INT] },
    { query: null, id: Buffer.from('0a0b', 'hex'), values: null, valueTypes: null },
    { query: 'INSERT b', id: null, values: ['s'], valueTypes: null },
  ];
  const body = bytes(
    '0003',
    0x00,
    '00000008',
    { s: 'INSERT a' },
    '0001',
    '00000004 00000001',
    0x01,
    '0002 0a0b',
    '0000',
    0x00,
    '00000008',
    { s: 'INSERT b' },
    '0001',
    '00000001',
    { s: 's' },
  );
  it('v4: type, entries, consistency, flags byte, serial, timestamp', () => {
    const p = params({ consistency: 4, serialConsistency: 8, timestamp: 10, keyspace: 'ks', nowInSeconds: 3 });
    expect(encode((w) => encodeBatch(w, 4, 1, entries, p, codec))).toBe(bytes(0x01, body, '0004', 0x30, '0008', '000000000000000a'));
  });
  it('v5: flags [int], keyspace and now_in_seconds', () => {
    const p = params({ consistency: 4, serialConsistency: 8, timestamp: 10, keyspace: 'ks', nowInSeconds: 3 });
    expect(encode((w) => encodeBatch(w, 5, 2, entries, p, codec))).toBe(
      bytes(0x02, body, '0004', '000001b0', '0008', '000000000000000a', '0002', { s: 'ks' }, '00000003'),
    );
    expect(encode((w) => encodeBatch(w, 5, 0, entries, params({ consistency: 1 }), codec))).toBe(bytes(0x00, body, '0001', '00000000'));
  });
  it('rejects an empty batch and an entry with neither query nor id', () => {
    expect(() => encode((w) => encodeBatch(w, 4, 0, [], params({}), codec))).toThrow(ArgumentError);
    expect(() =>
      encode((w) => encodeBatch(w, 4, 0, [{ query: null, id: null, values: null, valueTypes: null }], params({}), codec)),
    ).toThrow(ArgumentError);
  });
});
