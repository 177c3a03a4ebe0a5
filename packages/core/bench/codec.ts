/**
 * Codec micro-benchmark: ns per encode of the benchmark's EXECUTE (INSERT of 3 bigints) and per decode of a rows
 * result of 100 rows of (bigint, bigint, bigint) and of (text, blob, map<text,int>), with cassandra-driver 4.10's
 * own writer and row parser on the same inputs for comparison.
 *
 *   npx tsx packages/core/bench/codec.ts            (add --expose-gc through NODE_OPTIONS for the allocation figure)
 *
 * Short on purpose (a few seconds): the machine is shared.
 */
import { createRequire } from 'node:module';
import Long from 'long';
import { ByteWriter } from '../src/bytes';
import { encodeExecute, newQueryParameters } from '../src/frame/request';
import { decodeResult } from '../src/frame/response';
import type { RowsMetadata } from '../src/frame/response';
import { dataTypes, defaultCodecOptions } from '../src/types';
import type { DataType } from '../src/types';

const require = createRequire(__filename);
/* eslint-disable @typescript-eslint/no-explicit-any */
const cd: any = require('cassandra-driver');
const { ExecuteRequest }: any = require('cassandra-driver/lib/requests');
const { FrameReader }: any = require('cassandra-driver/lib/readers');
const Encoder: any = require('cassandra-driver/lib/encoder');

const codec = defaultCodecOptions();
const BIGINT: DataType = { code: dataTypes.bigint, info: null };
const TEXT: DataType = { code: dataTypes.varchar, info: null };
const BLOB: DataType = { code: dataTypes.blob, info: null };
const MAP: DataType = { code: dataTypes.map, info: [TEXT, { code: dataTypes.int, info: null }] };

let sink: unknown;

/**
 * Runs fn in rounds until ~`ms` elapsed; reports the best round's ns per call, both wall-clock and on-CPU
 * (process.cpuUsage: the CPU time of this process, much less disturbed when the shared box is loaded).
 */
function measure(name: string, fn: () => unknown, ms = 500): number {
  for (let i = 0; i < 3000; i++) sink = fn(); // warm up
  let bestWall = Infinity;
  let bestCpu = Infinity;
  let calls = 0;
  const n = 1000;
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = fn();
    const wall = Number(process.hrtime.bigint() - t0) / n;
    const c = process.cpuUsage(c0);
    const cpu = ((c.user + c.system) * 1000) / n;
    if (wall < bestWall) bestWall = wall;
    if (cpu > 0 && cpu < bestCpu) bestCpu = cpu;
    calls += n;
  }
  console.log(
    `${name.padEnd(66)} ${bestCpu.toFixed(0).padStart(8)} ns/op cpu ${bestWall.toFixed(0).padStart(8)} ns/op wall (${calls} calls)`,
  );
  return bestCpu;
}

function allocated(name: string, fn: () => unknown): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  const n = 200;
  const keep: unknown[] = new Array(n);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) keep[i] = fn();
  const after = process.memoryUsage().heapUsed;
  sink = keep;
  console.log(`${name.padEnd(64)} ${((after - before) / n).toFixed(0).padStart(8)} bytes retained per decode`);
}

// ---- EXECUTE: INSERT INTO bench.kv (a, b, c) VALUES (?, ?, ?) with three bigints, v4 ----
const id = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const resultId = Buffer.from('fedcba9876543210', 'hex');
const w = new ByteWriter(1024);
const p = newQueryParameters();
p.consistency = 6;
p.valueTypes = [BIGINT, BIGINT, BIGINT];
const values = [Long.fromNumber(1), Long.fromNumber(2), Long.fromNumber(3)];
p.values = values;
let counter = 0;
measure('encodeExecute v4, INSERT of 3 bigints (Long)', () => {
  values[0] = Long.fromNumber(counter++); // a fresh value each time, as an application would pass
  w.reset();
  encodeExecute(w, 4, id, resultId, p, codec);
  return w.pos;
});
measure('encodeExecute v5, INSERT of 3 bigints (Long)', () => {
  values[0] = Long.fromNumber(counter++);
  w.reset();
  encodeExecute(w, 5, id, resultId, p, codec);
  return w.pos;
});
const cdEncoder = new Encoder(4, {});
const cdOptions = {
  isQueryTracing: () => false,
  getCustomPayload: () => null,
  getOrGenerateTimestamp: () => null,
  getConsistency: () => 6,
  getFetchSize: () => undefined,
  getPageState: () => undefined,
  getSerialConsistency: () => undefined,
  getKeyspace: () => undefined,
};
const cdMeta = { columns: [{ type: BIGINT }, { type: BIGINT }, { type: BIGINT }] };
measure('  cassandra-driver ExecuteRequest.write (whole frame), same', () => {
  const req = new ExecuteRequest(
    'q',
    id,
    [cd.types.Long.fromNumber(counter++), cd.types.Long.fromNumber(2), cd.types.Long.fromNumber(3)],
    cdOptions,
    cdMeta,
  );
  return req.write(cdEncoder, 1);
});

// ---- RESULT rows bodies ----
function rowsBody(
  cols: [string, DataType][],
  rows: number,
  cell: (w: ByteWriter, r: number, c: number) => void,
  noMetadata: boolean,
): Buffer {
  const b = new ByteWriter(1024);
  b.i32(2);
  b.i32(noMetadata ? 0x04 : 0x01);
  b.i32(cols.length);
  if (!noMetadata) {
    b.string('bench');
    b.string('t');
    for (const [name, t] of cols) {
      b.string(name);
      b.u16(t.code);
      if (t.code === dataTypes.map) {
        b.u16(dataTypes.varchar);
        b.u16(dataTypes.int);
      }
    }
  }
  b.i32(rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols.length; c++) cell(b, r, c);
  return b.toBuffer();
}

const bigCols: [string, DataType][] = [
  ['a', BIGINT],
  ['b', BIGINT],
  ['c', BIGINT],
];
const bigCell = (b: ByteWriter, r: number, c: number) => {
  b.i32(8);
  b.i64(r, r * 3 + c);
};
const big = rowsBody(bigCols, 100, bigCell, false);
const bigBare = rowsBody(bigCols, 100, bigCell, true);
const mixCols: [string, DataType][] = [
  ['t', TEXT],
  ['b', BLOB],
  ['m', MAP],
];
const mixCell = (b: ByteWriter, r: number, c: number) => {
  if (c === 0) {
    const s = Buffer.from(`text value ${r}`);
    b.i32(s.length);
    b.raw(s);
  } else if (c === 1) {
    b.i32(16);
    b.raw(Buffer.alloc(16, r));
  } else {
    const start = b.pos;
    b.i32(0);
    b.i32(3);
    for (let k = 0; k < 3; k++) {
      b.i32(2);
      b.raw(Buffer.from(`k${k}`));
      b.i32(4);
      b.i32(r + k);
    }
    b.patchI32(start, b.pos - start - 4);
  }
};
const mix = rowsBody(mixCols, 100, mixCell, false);
const mixBare = rowsBody(mixCols, 100, mixCell, true);

const known = (body: Buffer): RowsMetadata => {
  const res = decodeResult(body, 0, body.length, 4, codec, null);
  if (res.kind !== 2) throw new Error('not rows');
  return res.metadata;
};
const bigKnown = known(big);
const mixKnown = known(mix);

function cdDecode(body: Buffer): unknown[] {
  const reader = new FrameReader({ version: 4, flags: 0, opcode: 8 }, body, 4);
  const meta = reader.readMetadata(2);
  const n = reader.readInt();
  const rows = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = new cd.types.Row(meta.columns);
    for (let j = 0; j < meta.columns.length; j++) row[meta.columns[j].name] = cdEncoder.decode(reader.readBytes(), meta.columns[j].type);
    rows[i] = row;
  }
  return rows;
}

console.log('');
measure('decodeResult, 100 rows (bigint, bigint, bigint), with metadata', () => decodeResult(big, 0, big.length, 4, codec, null));
measure('decodeResult, 100 rows (bigint, bigint, bigint), No_metadata', () => decodeResult(bigBare, 0, bigBare.length, 4, codec, bigKnown));
measure('  cassandra-driver FrameReader + Parser row loop, same', () => cdDecode(big));
measure('decodeResult, 100 rows (text, blob, map<text,int>), with metadata', () => decodeResult(mix, 0, mix.length, 4, codec, null));
measure('decodeResult, 100 rows (text, blob, map<text,int>), No_metadata', () =>
  decodeResult(mixBare, 0, mixBare.length, 4, codec, mixKnown),
);
measure('  cassandra-driver FrameReader + Parser row loop, same', () => cdDecode(mix));
allocated('decodeResult, 100 rows (bigint x3), No_metadata', () => decodeResult(bigBare, 0, bigBare.length, 4, codec, bigKnown));
allocated('  cassandra-driver, 100 rows (bigint x3)', () => cdDecode(big));
void sink;
