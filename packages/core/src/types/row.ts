import type { DataType } from './data-type';

/** A column of a result's metadata (spec section 4.2.5.2), as `cassandra-driver` gives `ResultSet.columns`. */
export interface ColumnInfo {
  ksname: string;
  tablename: string;
  name: string;
  type: DataType;
}

/**
 * A result row, as `cassandra-driver`'s `types.Row`: each column value is an own enumerable property named
 * after the column (set by the decoder); the columns are kept in the non-enumerable `__columns`.
 */
export class Row {
  // `any`, not `unknown`, as cassandra-driver's `types.Row`: code written against it (`row.name.length`,
  // `row['n'] + 1`) compiles unchanged. @shardcql/client's `strict.Row` is the `unknown` view.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's types.Row declares it
  [column: string]: any;
  declare readonly __columns: readonly ColumnInfo[];

  constructor(columns: readonly ColumnInfo[]) {
    if (!columns) throw new Error('Columns not defined');
    Object.defineProperty(this, '__columns', { value: columns, enumerable: false, writable: false });
  }

  /** The value of a column by name or by index in the metadata. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's types.Row declares it
  get(columnName: string | number): any {
    if (typeof columnName === 'number') return this[this.__columns[columnName]!.name];
    return this[columnName];
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's types.Row declares it
  values(): any[] {
    const out: unknown[] = [];
    for (const k of Object.keys(this)) out.push(this[k]);
    return out;
  }

  keys(): string[] {
    return Object.keys(this);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's types.Row declares it
  forEach(callback: (value: any, columnName: string) => void): void {
    for (const k of Object.keys(this)) callback(this[k], k);
  }
}
