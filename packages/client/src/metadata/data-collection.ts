/**
 * Tables and materialized views as cassandra-driver's `lib/metadata` describes them (DataCollection,
 * TableMetadata, MaterializedView): the same property names and defaults, filled from system_schema rows
 * by schema-parser.ts.
 */
import type { Index } from './schema-index';
import type { SchemaDataType } from './schema-type';

/** A column of a table, view or UDT. */
export interface ColumnInfo {
  name: string;
  type: SchemaDataType;
  /** Tables and views only. */
  isStatic?: boolean;
}

/**
 * What tables and views share (cassandra-driver `DataCollection`). Fields that are null until the schema row
 * sets them are declared without null, as cassandra-driver declares them.
 */
export class DataCollection {
  name: string;
  bloomFilterFalsePositiveChance = 0;
  /** The caching map as JSON text, e.g. `{"keys":"ALL","rows_per_partition":"NONE"}`. */
  caching: string = null!;
  comment: string = null!;
  gcGraceSeconds = 0;
  compactionClass: string = null!;
  compactionOptions: Record<string, string> = null!;
  compression: Record<string, string> = null!;
  /** Removed in Cassandra 4.0 (then 0 unless the node still has the column). */
  localReadRepairChance = 0;
  readRepairChance = 0;
  extensions: Record<string, unknown> = null!;
  crcCheckChance: number = null!;
  populateCacheOnFlush = false;
  defaultTtl = 0;
  speculativeRetry = 'NONE';
  minIndexInterval = 128;
  maxIndexInterval = 2048;
  columns: ColumnInfo[] = [];
  columnsByName: Record<string, ColumnInfo> = {};
  partitionKeys: ColumnInfo[] = [];
  clusteringKeys: ColumnInfo[] = [];
  /** `'ASC'` or `'DESC'` per clustering key. */
  clusteringOrder: string[] = [];
  nodesync: unknown = null;

  constructor(name: string) {
    this.name = name;
  }
}

/** A table (cassandra-driver `TableMetadata`). */
export class TableMetadata extends DataCollection {
  replicateOnWrite = true;
  memtableFlushPeriod = 0;
  indexInterval: number | null = null;
  isCompact = false;
  indexes: Index[] = [];
  cdc: boolean | null = null;
  virtual = false;
}

/** A materialized view (cassandra-driver `MaterializedView`). */
export class MaterializedView extends DataCollection {
  tableName: string | null = null;
  whereClause: string | null = null;
  includeAllColumns = false;
}

/** A user-defined type (what cassandra-driver's `getUdt` gives, and the `info` of UDT column types). */
export interface Udt {
  keyspace: string;
  name: string;
  fields: ColumnInfo[];
}
