/**
 * What mapper calls return (cassandra-driver `mapping.Result`): the rows of one page mapped to model
 * objects, lazily, plus `wasApplied()` for conditional statements and the page state.
 */
import type { ResultSet } from '../result-set';

export type RowAdapter = (row: Record<string, unknown>) => Record<string, unknown>;

export class Result<T = Record<string, unknown>> implements Iterable<T> {
  /** Rows in this page. */
  readonly length: number;
  /** Hex paging state, or null on the last page (pass it as `pageState` to fetch the next page). */
  readonly pageState: string | null;
  private readonly rs: ResultSet;
  private readonly adapter: RowAdapter | null;
  /** An LWT that applied answers one `[applied]` row which maps to nothing. */
  private readonly emptyLwt: boolean;

  constructor(rs: ResultSet, adapter: RowAdapter | null) {
    this.rs = rs;
    this.adapter = adapter;
    const cols = rs.columns;
    this.emptyLwt = adapter === null || (cols !== null && cols.length === 1 && cols[0]!.name === '[applied]');
    this.length = this.emptyLwt || !rs.rows ? 0 : rs.rows.length;
    this.pageState = rs.pageState;
  }

  /** False when a conditional statement (IF ...) was not applied. */
  wasApplied(): boolean {
    return this.rs.wasApplied();
  }

  first(): T | null {
    if (this.length === 0) return null;
    return this.adapter!(this.rs.rows[0] as unknown as Record<string, unknown>) as T;
  }

  toArray(): T[] {
    if (this.length === 0) return [];
    return this.rs.rows.map((row) => this.adapter!(row as unknown as Record<string, unknown>) as T);
  }

  forEach(callback: (item: T, index: number) => void, thisArg?: unknown): void {
    let i = 0;
    for (const item of this) callback.call(thisArg ?? this, item, i++);
  }

  *[Symbol.iterator](): Iterator<T> {
    if (this.length === 0) return;
    const rows = this.rs.rows;
    for (let i = 0; i < rows.length; i++) yield this.adapter!(rows[i] as unknown as Record<string, unknown>) as T;
  }
}
