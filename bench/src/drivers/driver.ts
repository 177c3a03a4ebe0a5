// The one interface every benchmarked driver implements. Adapters keep per-op overhead minimal:
// no closures per op, constant option objects, and insert/select return the driver's own promise
// wherever no check is needed.

export const KEYSPACE_CQL = "CREATE KEYSPACE IF NOT EXISTS benchks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";
export const TABLE_CQL = 'CREATE TABLE IF NOT EXISTS benchks.benchtab (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)';
export const INSERT_CQL = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';
export const SELECT_CQL = 'SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?';

/**
 * Requests per connection the adapters allow. cassandra-driver's default (2048 on protocol v3+)
 * rejects requests beyond it with BusyConnectionError at concurrency 4096, so every adapter raises
 * it to the protocol's stream-id limit: the benchmark measures drivers, not their default caps.
 */
export const MAX_REQUESTS_PER_CONNECTION = 32768;

/** Protocol compression a run asks for (`--compression`); 'none' is the default. */
export type Compression = 'none' | 'lz4' | 'snappy';
export const COMPRESSIONS: readonly Compression[] = ['none', 'lz4', 'snappy'];

export interface ConnectOptions {
  compression: Compression;
}

export interface BenchDriver {
  readonly name: string;
  /** Rejects when the driver cannot use `options` (e.g. a compression it does not implement). */
  connect(contactPoint: string, port: number, options: ConnectOptions): Promise<void>;
  /** Runs a CQL statement without parameters (schema set-up). */
  run(cql: string): Promise<void>;
  /** Prepares INSERT_CQL and SELECT_CQL (before the timer starts). */
  prepare(): Promise<void>;
  /** Inserts (pk, 2pk, 3pk) with the prepared INSERT. */
  insert(pk: number): Promise<unknown>;
  /** Selects pk with the prepared SELECT; rejects unless the row is (pk, 2pk, 3pk). */
  select(pk: number): Promise<void>;
  close(): Promise<void>;
}

export class ValueMismatchError extends Error {
  constructor(pk: number, got: string) {
    super(`select of pk ${pk} returned ${got}, expected (${pk}, ${2 * pk}, ${3 * pk})`);
    this.name = 'ValueMismatchError';
  }
}

/** Anything with toNumber() (a Long), a bigint or a number, as a number. */
export function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return NaN;
}

/** The data center drivers are told is local: the stub's, or the test bed's (`scripts/db.mjs` names it dc1). */
export const LOCAL_DC = process.env['SHARDCQL_BENCH_DC'] ?? 'datacenter1';

/** Checks a benchmark row is (pk, 2pk, 3pk); throws ValueMismatchError otherwise (both Node adapters use it). */
export function checkRow(pk: number, row: Record<string, unknown> | undefined): void {
  if (row === undefined || asNumber(row['pk']) !== pk || asNumber(row['v1']) !== 2 * pk || asNumber(row['v2']) !== 3 * pk) {
    throw new ValueMismatchError(pk, row === undefined ? 'no row' : JSON.stringify(row));
  }
}
