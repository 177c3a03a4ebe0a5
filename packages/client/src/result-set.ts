/**
 * The result of one request (cassandra-driver `lib/types/result-set.js`): rows of one page, the columns, the
 * execution info, and paging (`pageState`, `nextPage`, `for await` across pages).
 */
import { DriverInternalError, type ColumnInfo, type Row, type Uuid } from '@shardcql/core';

export interface ExecutionInfo {
  queriedHost: string | undefined;
  triedHosts: Record<string, Error | null>;
  speculativeExecutions: number;
  achievedConsistency: number | undefined;
  traceId: Uuid | null;
  warnings: string[] | null;
  customPayload: Record<string, Buffer | null> | null;
  isSchemaInAgreement: boolean;
}

/** A page fetcher: given the raw paging state, the next page's ResultSet. */
export type NextPageAsync = (pageState: Buffer) => Promise<ResultSet>;

const EMPTY_ROWS: readonly Row[] = Object.freeze([]) as readonly Row[];

export class ResultSet implements Iterable<Row>, AsyncIterable<Row> {
  info: ExecutionInfo;
  /** Undefined for results without rows (void, schema change, set keyspace), as cassandra-driver. */
  rows: Row[];
  rowLength: number;
  columns: ColumnInfo[] | null;
  /** The paging state as hex, or null on the last page. */
  pageState: string | null;
  /** Set by eachRow (manual paging) and by execute when paging; null otherwise. */
  nextPage: ((...args: unknown[]) => unknown) | undefined | null;
  /** @internal for async iteration across pages. */
  nextPageAsync: NextPageAsync | undefined;
  /** @internal */
  declare rawPageState: Buffer | undefined;

  constructor(rows: Row[] | undefined, columns: ColumnInfo[] | null, pagingState: Buffer | null, info: ExecutionInfo) {
    this.info = info;
    this.rows = rows as Row[];
    this.rowLength = rows ? rows.length : (undefined as unknown as number);
    this.columns = columns;
    this.pageState = null;
    this.nextPage = undefined;
    this.nextPageAsync = undefined;
    if (pagingState !== null) {
      this.pageState = pagingState.toString('hex');
      Object.defineProperty(this, 'rawPageState', { value: pagingState, enumerable: false, writable: true });
    }
  }

  first(): Row | null {
    return this.rows && this.rows.length > 0 ? this.rows[0]! : null;
  }

  getPageState(): string | null {
    return this.pageState;
  }

  getColumns(): ColumnInfo[] | null {
    return this.columns;
  }

  /** For LWT: the `[applied]` column of the first row; true when there is none. */
  wasApplied(): boolean {
    if (!this.rows || this.rows.length === 0) return true;
    const applied = (this.rows[0] as unknown as Record<string, unknown>)['[applied]'];
    return typeof applied === 'boolean' ? applied : true;
  }

  isPaged(): boolean {
    return !!this.rawPageState;
  }

  [Symbol.iterator](): Iterator<Row> {
    return (this.rows ?? EMPTY_ROWS)[Symbol.iterator]();
  }

  /** Iterates every row of every page, fetching the next page when this one is consumed. */
  [Symbol.asyncIterator](): AsyncIterator<Row> {
    let index = 0;
    let pageState = this.rawPageState;
    let rows: readonly Row[] = this.rows ?? EMPTY_ROWS;
    const done: IteratorResult<Row> = { done: true, value: undefined };
    if (rows.length === 0 && !pageState) return { next: () => Promise.resolve(done) };
    const fetch = this.nextPageAsync;
    return {
      async next(): Promise<IteratorResult<Row>> {
        // A page may come back empty while still carrying a paging state: keep fetching.
        while (index >= rows.length && pageState) {
          if (!fetch) throw new DriverInternalError('Property nextPageAsync should be set when pageState is defined');
          const rs = await fetch(pageState);
          rows = rs.rows ?? EMPTY_ROWS;
          index = 0;
          pageState = rs.rawPageState;
        }
        if (index < rows.length) return { done: false, value: rows[index++]! };
        return done;
      },
    };
  }
}
