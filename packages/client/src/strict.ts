/**
 * Exact types, opt-in. The drop-in declarations copy cassandra-driver's (so code written for it compiles
 * unchanged): `rs.first()` is a `Row`, row values are `any`, callbacks get `(err: Error, rs: ResultSet)`. These
 * say what the values are: the first row may be null, a value is `unknown` until checked, a callback gets a
 * null error on success and no result on error. Types only; annotate the client once:
 *
 *   import { Client, type strict } from '@shardcql/client';
 *   const client: strict.Client = new Client({ contactPoints, localDataCenter });
 *   const row = (await client.execute('SELECT name FROM users WHERE id = ?', [id], { prepare: true })).first();
 *   if (row !== null && typeof row.name === 'string') ...   // row: strict.Row, row.name: unknown
 */
import type { ColumnInfo, DataType } from '@shardcql/core';
import type { BatchQuery, Client as DropInClient, Params } from './client';
import type { QueryOptions } from './execution-options';
import type { ExecutionInfo } from './result-set';
import type { ResultStream } from './result-stream';

/** A row: column values are `unknown` (check or cast them). */
export interface Row {
  readonly [column: string]: unknown;
  get(columnName: string | number): unknown;
  keys(): string[];
  values(): unknown[];
  forEach(callback: (value: unknown, columnName: string) => void): void;
}

/** A result as it is: no rows, columns or page state for results without rows (void, schema change, USE). */
export interface ResultSet extends Iterable<Row>, AsyncIterable<Row> {
  info: ExecutionInfo;
  rows: Row[] | undefined;
  rowLength: number | undefined;
  columns: ColumnInfo[] | null;
  pageState: string | null;
  nextPage: (() => void) | null | undefined;
  first(): Row | null;
  wasApplied(): boolean;
  isPaged(): boolean;
  getPageState(): string | null;
  getColumns(): ColumnInfo[] | null;
}

/** Node-style: `err` is null on success; `result` is absent on error. */
export type Callback<T> = (err: Error | null, result?: T) => void;
export type { ColumnInfo, DataType, ExecutionInfo };

/** The Client with the exact result and callback types (the same object: `const c: strict.Client = new Client(o)`). */
export interface Client extends Omit<DropInClient, 'connect' | 'shutdown' | 'execute' | 'eachRow' | 'stream' | 'batch'> {
  connect(): Promise<void>;
  connect(callback: Callback<void>): void;
  shutdown(): Promise<void>;
  shutdown(callback: Callback<void>): void;
  execute(query: string, params?: Params, options?: QueryOptions | null): Promise<ResultSet>;
  execute(query: string, params: Params, options: QueryOptions | null | undefined, callback: Callback<ResultSet>): void;
  execute(query: string, params: Params, callback: Callback<ResultSet>): void;
  execute(query: string, callback: Callback<ResultSet>): void;
  eachRow(
    query: string,
    params: Params,
    options: QueryOptions | null | undefined,
    rowCallback: (n: number, row: Row) => void,
    callback?: Callback<ResultSet>,
  ): void;
  eachRow(query: string, params: Params, rowCallback: (n: number, row: Row) => void, callback?: Callback<ResultSet>): void;
  eachRow(query: string, rowCallback: (n: number, row: Row) => void, callback?: Callback<ResultSet>): void;
  stream(query: string, params?: Params, options?: QueryOptions | null, callback?: Callback<void>): ResultStream;
  batch(queries: BatchQuery[], options?: QueryOptions | null): Promise<ResultSet>;
  batch(queries: BatchQuery[], options: QueryOptions | null | undefined, callback: Callback<ResultSet>): void;
  batch(queries: BatchQuery[], callback: Callback<ResultSet>): void;
}
