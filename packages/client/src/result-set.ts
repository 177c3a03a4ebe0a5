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

/**
 * `rs.info` as cassandra-driver declares it (`queriedHost: string`, `traceId: Uuid`, ...), so code written
 * against its declarations compiles unchanged. The values are those of {@link ExecutionInfo} (the exact types,
 * with their undefined and null cases: `strict.ResultSet`).
 */
export interface ResultSetInfo {
  queriedHost: string;
  /** Error or null per host address. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's declaration (types-corpus)
  triedHosts: { [key: string]: any };
  speculativeExecutions: number;
  achievedConsistency: number;
  traceId: Uuid;
  warnings: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's declaration (types-corpus)
  customPayload: any;
  isSchemaInAgreement: boolean;
}

/** A page fetcher: given the raw paging state, the next page's ResultSet. */
export type NextPageAsync = (pageState: Buffer) => Promise<ResultSet>;

const EMPTY_ROWS: readonly Row[] = Object.freeze([]) as readonly Row[];

/*
 * The field and method types are cassandra-driver's declarations (`first(): Row`, `columns: ColumnInfo[]`,
 * `pageState: string`), not the exact ones, so that code written against them compiles unchanged; the values
 * are unchanged. The exact types (null first row, null columns and page state) are `strict.ResultSet`.
 */
export class ResultSet implements Iterable<Row>, AsyncIterable<Row> {
  info: ResultSetInfo;
  /** Undefined for results without rows (void, schema change, set keyspace), as cassandra-driver. */
  rows: Row[];
  rowLength: number;
  /** Null for results without rows. */
  columns: ColumnInfo[];
  /** The paging state as hex, or null on the last page. */
  pageState: string;
  /** Set by eachRow (manual paging) and by execute when paging; undefined or null otherwise. */
  nextPage: (() => void) | null;
  /** @internal for async iteration across pages. */
  nextPageAsync: NextPageAsync | undefined;
  /** @internal */
  declare rawPageState: Buffer | undefined;

  constructor(rows: Row[] | undefined, columns: ColumnInfo[] | null, pagingState: Buffer | null, info: ExecutionInfo) {
    this.info = info as ResultSetInfo;
    this.rows = rows as Row[];
    this.rowLength = rows ? rows.length : (undefined as unknown as number);
    this.columns = columns as ColumnInfo[];
    this.pageState = null as unknown as string;
    this.nextPage = undefined as unknown as null;
    this.nextPageAsync = undefined;
    if (pagingState !== null) {
      this.pageState = pagingState.toString('hex');
      Object.defineProperty(this, 'rawPageState', { value: pagingState, enumerable: false, writable: true });
    }
  }

  /** The first row, or null when there is none (declared `Row` as in cassandra-driver). */
  first(): Row {
    return (this.rows && this.rows.length > 0 ? this.rows[0]! : null) as Row;
  }

  getPageState(): string {
    return this.pageState;
  }

  getColumns(): ColumnInfo[] {
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
