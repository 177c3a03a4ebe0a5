// Microbenchmark of the row path on the main thread: what the client's toResultSet (request/result.ts) does with a RESULT Rows
// body (as an EXECUTE with Skip_metadata gets it: No_metadata, columns from the prepared statement): the
// response prelude, decodeResult, the execution info and the ResultSet. No I/O, no workers: it isolates the
// CPU per response and per row that the `selects` workload spends after the bytes arrive.
//
// Usage (from the repository root; shardcql comes from its build, `npx tsc -b` first):
//   taskset -c 0 node --import tsx bench/src/decode-rows.bench.ts [--slices 300] [--slice-ms 5] [--baseline DIR]
// --baseline DIR: also load another build, DIR/node_modules/@shardcql/{core,client} (copies of those packages'
//   package.json and dist/, e.g. of the commit before a change) and compare: the two builds run alternately in
//   slices of --slice-ms of CPU time, so that both see the same load on a shared machine, and the output gives
//   the median over the slice pairs of current/baseline.
// Times are process CPU time (GC threads included), per response and per row: on a shared box wall time
// measures the neighbours. Prints, per case, the median over the slices of ns per row.

import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as currentCore from '@shardcql/core';
import * as currentClient from '@shardcql/client';
import type { ColumnInfo, DataType, RowsMetadata } from '@shardcql/core';

type Core = typeof currentCore;
type Client = typeof currentClient;
type Cell = (w: InstanceType<Core['ByteWriter']>, row: number) => void;

interface Case {
  name: string;
  rows: number;
  columns: { name: string; type: DataType; cell: Cell }[];
  /** The body carries the column specs (a QUERY result) instead of No_metadata. */
  withMetadata?: boolean;
}

const { dataTypes } = currentCore;
const t = (code: number): DataType => ({ code, info: null }) as unknown as DataType;
const bigint =
  (k: number): Cell =>
  (w, row) => {
    w.i32(8);
    w.i64(0, row * k);
  };

const BENCH_TABLE = [
  { name: 'pk', type: t(dataTypes.bigint), cell: bigint(1) },
  { name: 'v1', type: t(dataTypes.bigint), cell: bigint(2) },
  { name: 'v2', type: t(dataTypes.bigint), cell: bigint(3) },
];
const UUID_BYTES = Buffer.from('c0a8e1f2d3b44c5d9e6f708192a3b4c5', 'hex');
const MIXED_TABLE = [
  {
    name: 'id',
    type: t(dataTypes.uuid),
    cell: ((w) => {
      w.i32(16);
      w.raw(UUID_BYTES);
    }) as Cell,
  },
  {
    name: 'n',
    type: t(dataTypes.int),
    cell: ((w, row) => {
      w.i32(4);
      w.i32(row);
    }) as Cell,
  },
  {
    name: 'name',
    type: t(dataTypes.text),
    cell: ((w, row) => {
      const s = Buffer.from(`name-${row}`);
      w.i32(s.length);
      w.raw(s);
    }) as Cell,
  },
  {
    name: 'at',
    type: t(dataTypes.timestamp),
    cell: ((w, row) => {
      w.i32(8);
      w.i64(0x18c, row * 1000);
    }) as Cell,
  },
  { name: 'total', type: t(dataTypes.bigint), cell: bigint(7) },
  {
    name: 'ok',
    type: t(dataTypes.boolean),
    cell: ((w, row) => {
      w.i32(1);
      w.u8(row & 1);
    }) as Cell,
  },
  {
    name: 'score',
    type: t(dataTypes.double),
    cell: ((w, row) => {
      w.i32(8);
      w.f64(row / 3);
    }) as Cell,
  },
  {
    name: 'note',
    type: t(dataTypes.text),
    cell: ((w) => {
      w.i32(-1);
    }) as Cell,
  },
];

const CASES: Case[] = [
  { name: '1 row x 3 bigint (benchmark)', rows: 1, columns: BENCH_TABLE },
  { name: '1 row x 3 bigint, unprepared', rows: 1, columns: BENCH_TABLE, withMetadata: true },
  { name: '5000 rows x 3 bigint', rows: 5000, columns: BENCH_TABLE },
  { name: '20 rows x 8 mixed', rows: 20, columns: MIXED_TABLE },
  { name: '5000 rows x 8 mixed', rows: 5000, columns: MIXED_TABLE },
];

/**
 * A RESULT body (section 4.2.5.2): <kind=Rows><flags><columns_count>[<global_table_spec><col_spec_i>...]
 * <rows_count><cells>, flags No_metadata or, withMetadata, Global_tables_spec and the column specs.
 */
function rowsBody(core: Core, c: Case): Buffer {
  const w = new core.ByteWriter(64);
  w.i32(2);
  w.i32(c.withMetadata === true ? 0x01 : 0x04);
  w.i32(c.columns.length);
  if (c.withMetadata === true) {
    w.string('benchks');
    w.string('benchtab');
    for (const col of c.columns) {
      w.string(col.name);
      w.u16(col.type.code);
    }
  }
  w.i32(c.rows);
  for (let r = 0; r < c.rows; r++) for (const col of c.columns) col.cell(w, r);
  return w.toBuffer();
}

interface Options {
  slices: number;
  sliceMs: number;
  baseline: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { slices: 300, sliceMs: 5, baseline: null };
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i];
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--slices' && Number(v) > 0) o.slices = Math.floor(Number(v));
    else if (a === '--slice-ms' && Number(v) > 0) o.sliceMs = Number(v);
    else if (a === '--baseline') o.baseline = resolve(v);
    else throw new Error(`unknown or bad argument ${a} ${v}`);
  }
  return o;
}

const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

type Decode = (body: Buffer) => number;

/** What request/result.ts's toResultSet does per Rows response (the same calls, objects and shapes); returns rowLength. */
function pathOf(core: Core, client: Client, c: Case): Decode {
  const columns: ColumnInfo[] = c.columns.map((col) => ({ ksname: 'ks', tablename: 'tab', name: col.name, type: col.type }));
  const known: RowsMetadata = { flags: 0, columns, pagingState: null, newMetadataId: null, pkIndexes: null, columnCount: columns.length };
  const codec = core.defaultCodecOptions();
  codec.copyBuffer = true; // the facade's default (encoding.copyBuffer !== false)
  const triedHosts = { '127.0.0.1:9042': null };
  const { readResponsePrelude, decodeResult } = core;
  const { ResultSet } = client;
  return (body) => {
    const prelude = readResponsePrelude(body, 0, body.length, 0);
    const result = decodeResult(body, prelude.offset, body.length, 4, codec, c.withMetadata === true ? null : known);
    if (result.kind !== 2) throw new Error('not rows');
    const info = {
      queriedHost: '127.0.0.1:9042',
      triedHosts,
      speculativeExecutions: 0,
      achievedConsistency: 1,
      traceId: prelude.traceId,
      warnings: prelude.warnings,
      customPayload: prelude.customPayload,
      isSchemaInAgreement: true,
    };
    return new ResultSet(result.rows, result.metadata.columns ?? known.columns, result.metadata.pagingState, info).rowLength;
  };
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const builds: { name: string; core: Core; client: Client }[] = [{ name: 'current', core: currentCore, client: currentClient }];
  if (o.baseline !== null) {
    const req = createRequire(join(o.baseline, 'node_modules', 'index.js'));
    builds.push({ name: 'baseline', core: req('@shardcql/core') as Core, client: req('@shardcql/client') as Client });
  }
  let sink = 0;
  for (const c of CASES) {
    const body = rowsBody(currentCore, c);
    const paths = builds.map((b) => pathOf(b.core, b.client, c));
    for (const p of paths) if (p(body) !== c.rows) throw new Error(`${c.name}: bad decode`);
    const perCall = Math.max(1, Math.round(200 / c.rows));
    const nsPerRow: number[][] = builds.map(() => []);
    const ratios: number[] = [];
    // The first 20 slices warm up the optimizing compilers and are not counted; the order alternates per slice.
    for (let s = -20; s < o.slices; s++) {
      const pair: number[] = [];
      for (let k = 0; k < paths.length; k++) {
        const b = s & 1 ? paths.length - 1 - k : k;
        const path = paths[b]!;
        let n = 0;
        const start = cpuNs();
        const until = start + o.sliceMs * 1e6;
        let now = start;
        while (now < until) {
          for (let i = 0; i < perCall; i++) sink += path(body);
          n += perCall;
          now = cpuNs();
        }
        pair[b] = (now - start) / n / c.rows;
      }
      if (s < 0) continue;
      pair.forEach((v, b) => nsPerRow[b]!.push(v));
      if (pair.length === 2) ratios.push(pair[0]! / pair[1]!);
    }
    const cells = builds.map((b, i) => `${b.name} ${median(nsPerRow[i]!).toFixed(1).padStart(7)} ns/row`);
    if (ratios.length > 0) cells.push(`current/baseline ${median(ratios).toFixed(3)}`);
    console.log(`${c.name.padEnd(30)}  ${cells.join('  ')}`);
  }
  if (sink === 0) console.log('');
}

main();
