/**
 * Reads system_schema (Cassandra 3.0+, ScyllaDB) and system_virtual_schema (Cassandra 4.0+) into the
 * metadata objects, as cassandra-driver's SchemaParserV3 does. Pure row mapping: the queries go through
 * the `SchemaSource` given by the Metadata.
 */
import type { Row } from '@shardcql/core';
import { DataCollection, MaterializedView, TableMetadata, type ColumnInfo, type Udt } from './data-collection';
import { Index } from './schema-index';
import { Aggregate, SchemaFunction } from './schema-function';
import { parseSchemaType, type UdtResolver } from './schema-type';

/** Runs a system query and gives its rows. */
export type SchemaQuery = (cql: string) => Promise<Row[]>;

export interface KeyspaceInfo {
  name: string;
  durableWrites: boolean;
  strategy: string;
  strategyOptions: Record<string, string>;
  virtual: boolean;
}

type R = Record<string, unknown>;

/** A CQL string literal (single quotes doubled). */
export function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function asObject(v: unknown): Record<string, string> {
  if (v === null || v === undefined) return {};
  if (v instanceof Map) return Object.fromEntries(v as Map<string, string>);
  return { ...(v as Record<string, string>) };
}

function asArray<T>(v: unknown): T[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v as T[];
  if (v instanceof Set) return [...(v as Set<T>)];
  return [];
}

export function parseKeyspace(row: Row, virtual: boolean): KeyspaceInfo {
  const r = row as unknown as R;
  const replication = asObject(r['replication']);
  const strategy = replication['class'] ?? '';
  delete replication['class'];
  return {
    name: r['keyspace_name'] as string,
    durableWrites: (r['durable_writes'] as boolean | undefined) ?? false,
    // Virtual keyspaces have no replication: '' and {} (cassandra-driver leaves both undefined).
    strategy,
    strategyOptions: replication,
    virtual,
  };
}

/** Every keyspace, the virtual ones too (a node without system_virtual_schema just has none). */
export async function loadKeyspaces(query: SchemaQuery): Promise<Record<string, KeyspaceInfo>> {
  const [rows, vrows] = await Promise.all([
    query('SELECT * FROM system_schema.keyspaces'),
    query('SELECT * FROM system_virtual_schema.keyspaces').catch(() => [] as Row[]),
  ]);
  const out: Record<string, KeyspaceInfo> = {};
  for (const row of rows) {
    const ks = parseKeyspace(row, false);
    out[ks.name] = ks;
  }
  for (const row of vrows) {
    const ks = parseKeyspace(row, true);
    out[ks.name] = ks;
  }
  return out;
}

/** One keyspace (then the virtual one of that name); null when there is none. */
export async function loadKeyspace(query: SchemaQuery, name: string): Promise<KeyspaceInfo | null> {
  const rows = await query(`SELECT * FROM system_schema.keyspaces WHERE keyspace_name = ${literal(name)}`);
  if (rows.length > 0) return parseKeyspace(rows[0]!, false);
  const vrows = await query(`SELECT * FROM system_virtual_schema.keyspaces WHERE keyspace_name = ${literal(name)}`).catch(
    () => [] as Row[],
  );
  return vrows.length > 0 ? parseKeyspace(vrows[0]!, true) : null;
}

export async function loadUdt(query: SchemaQuery, keyspace: string, name: string, resolveUdt: UdtResolver): Promise<Udt | null> {
  const rows = await query(`SELECT * FROM system_schema.types WHERE keyspace_name = ${literal(keyspace)} AND type_name = ${literal(name)}`);
  const r = rows[0] as unknown as R | undefined;
  if (r === undefined) return null;
  const names = asArray<string>(r['field_names']);
  const types = asArray<string>(r['field_types']);
  const fields = await Promise.all(names.map(async (n, i) => ({ name: n, type: await parseSchemaType(keyspace, types[i]!, resolveUdt) })));
  return { keyspace, name, fields };
}

/**
 * A table: system_schema.tables, else (virtual === undefined or true) system_virtual_schema.tables;
 * then its columns and indexes. null when neither has it.
 */
export async function loadTable(
  query: SchemaQuery,
  keyspace: string,
  name: string,
  virtual: boolean | undefined,
  resolveUdt: UdtResolver,
): Promise<TableMetadata | null> {
  const where = `WHERE keyspace_name = ${literal(keyspace)} AND table_name = ${literal(name)}`;
  let isVirtual = virtual === true;
  let rows = isVirtual ? [] : await query(`SELECT * FROM system_schema.tables ${where}`);
  if (rows.length === 0 && virtual !== false) {
    rows = await query(`SELECT * FROM system_virtual_schema.tables ${where}`).catch(() => [] as Row[]);
    isVirtual = rows.length > 0;
  }
  if (rows.length === 0) return null;
  const table = new TableMetadata(name);
  const columnRows = await query(`SELECT * FROM ${isVirtual ? 'system_virtual_schema' : 'system_schema'}.columns ${where}`);
  await parseColumns(table, keyspace, columnRows, resolveUdt);
  if (isVirtual) {
    // A virtual table has no options: only its columns mean something.
    table.virtual = true;
    return table;
  }
  const r = rows[0] as unknown as R;
  parseOptions(table, r);
  const cdc = r['cdc'];
  if (cdc !== undefined) table.cdc = cdc as boolean | null;
  const indexRows = await query(`SELECT * FROM system_schema.indexes ${where}`);
  table.indexes = indexRows.map((row) => {
    const ir = row as unknown as R;
    const options = asObject(ir['options']);
    return new Index(ir['index_name'] as string, options['target'] ?? '', ir['kind'] as string | null, options);
  });
  const flags = new Set(asArray<string>(r['flags']));
  const isDense = flags.has('dense');
  const isSuper = flags.has('super');
  const isCompound = flags.has('compound');
  table.isCompact = isSuper || isDense || !isCompound;
  if (!isSuper && !isDense && !isCompound) pruneStaticCompact(table);
  else if (isDense) pruneDense(table);
  return table;
}

export async function loadView(
  query: SchemaQuery,
  keyspace: string,
  name: string,
  resolveUdt: UdtResolver,
): Promise<MaterializedView | null> {
  const rows = await query(`SELECT * FROM system_schema.views WHERE keyspace_name = ${literal(keyspace)} AND view_name = ${literal(name)}`);
  const r = rows[0] as unknown as R | undefined;
  if (r === undefined) return null;
  const view = new MaterializedView(name);
  const columnRows = await query(
    `SELECT * FROM system_schema.columns WHERE keyspace_name = ${literal(keyspace)} AND table_name = ${literal(name)}`,
  );
  await parseColumns(view, keyspace, columnRows, resolveUdt);
  parseOptions(view, r);
  view.tableName = r['base_table_name'] as string;
  view.whereClause = r['where_clause'] as string;
  view.includeAllColumns = r['include_all_columns'] as boolean;
  return view;
}

/** Functions (or aggregates) of that name, keyed by signature joined with ','. */
export async function loadFunctions(
  query: SchemaQuery,
  keyspace: string,
  name: string,
  aggregate: boolean,
  resolveUdt: UdtResolver,
): Promise<Map<string, SchemaFunction | Aggregate>> {
  const cql = aggregate
    ? `SELECT * FROM system_schema.aggregates WHERE keyspace_name = ${literal(keyspace)} AND aggregate_name = ${literal(name)}`
    : `SELECT * FROM system_schema.functions WHERE keyspace_name = ${literal(keyspace)} AND function_name = ${literal(name)}`;
  const rows = await query(cql);
  const parsed = await Promise.all(rows.map((row) => (aggregate ? parseAggregate(row, resolveUdt) : parseFunction(row, resolveUdt))));
  const out = new Map<string, SchemaFunction | Aggregate>();
  for (const f of parsed) out.set(f.signature.join(','), f);
  return out;
}

async function parseFunction(row: Row, resolveUdt: UdtResolver): Promise<SchemaFunction> {
  const r = row as unknown as R;
  const ks = r['keyspace_name'] as string;
  const f = new SchemaFunction();
  f.name = r['function_name'] as string;
  f.keyspaceName = ks;
  f.signature = asArray<string>(r['argument_types']);
  f.argumentNames = asArray<string>(r['argument_names']);
  f.body = r['body'] as string;
  f.calledOnNullInput = r['called_on_null_input'] as boolean;
  f.language = r['language'] as string;
  f.deterministic = (r['deterministic'] as boolean | undefined) || false;
  f.monotonic = (r['monotonic'] as boolean | undefined) || false;
  f.monotonicOn = asArray<string>(r['monotonic_on']);
  f.argumentTypes = await Promise.all(f.signature.map((t) => parseSchemaType(ks, t, resolveUdt)));
  f.returnType = await parseSchemaType(ks, r['return_type'] as string, resolveUdt);
  return f;
}

async function parseAggregate(row: Row, resolveUdt: UdtResolver): Promise<Aggregate> {
  const r = row as unknown as R;
  const ks = r['keyspace_name'] as string;
  const a = new Aggregate();
  a.name = r['aggregate_name'] as string;
  a.keyspaceName = ks;
  a.signature = asArray<string>(r['argument_types']);
  a.stateFunction = r['state_func'] as string;
  a.finalFunction = (r['final_func'] as string | null | undefined) ?? null;
  a.initConditionRaw = (r['initcond'] as string | null | undefined) ?? null;
  a.initCondition = a.initConditionRaw;
  a.deterministic = (r['deterministic'] as boolean | undefined) || false;
  a.argumentTypes = await Promise.all(a.signature.map((t) => parseSchemaType(ks, t, resolveUdt)));
  a.stateType = await parseSchemaType(ks, r['state_type'] as string, resolveUdt);
  a.returnType = await parseSchemaType(ks, r['return_type'] as string, resolveUdt);
  return a;
}

/** Columns in system_schema.columns order; keys sorted by `position`. */
async function parseColumns(target: DataCollection, keyspace: string, rows: Row[], resolveUdt: UdtResolver): Promise<void> {
  const pk: Array<{ c: ColumnInfo; i: number }> = [];
  const ck: Array<{ c: ColumnInfo; i: number; order: string }> = [];
  const byName: Record<string, ColumnInfo> = {};
  target.columns = await Promise.all(
    rows.map(async (row) => {
      const r = row as unknown as R;
      const c: ColumnInfo = {
        name: r['column_name'] as string,
        type: await parseSchemaType(keyspace, r['type'] as string, resolveUdt),
        isStatic: false,
      };
      byName[c.name] = c;
      const position = (r['position'] as number | null) || 0;
      switch (r['kind']) {
        case 'partition_key':
          pk.push({ c, i: position });
          break;
        case 'clustering':
          ck.push({ c, i: position, order: r['clustering_order'] === 'desc' ? 'DESC' : 'ASC' });
          break;
        case 'static':
          c.isStatic = true;
          break;
      }
      return c;
    }),
  );
  target.columnsByName = byName;
  pk.sort((a, b) => a.i - b.i);
  ck.sort((a, b) => a.i - b.i);
  target.partitionKeys = pk.map((x) => x.c);
  target.clusteringKeys = ck.map((x) => x.c);
  target.clusteringOrder = ck.map((x) => x.order);
}

/** The options shared by tables and views (system_schema.tables / views columns). */
function parseOptions(t: DataCollection, r: R): void {
  t.bloomFilterFalsePositiveChance = r['bloom_filter_fp_chance'] as number;
  t.caching = JSON.stringify(asObject(r['caching']));
  t.comment = r['comment'] as string;
  const compaction = asObject(r['compaction']);
  t.compactionClass = compaction['class'] ?? null!; // null when absent, as the field's initial value (cassandra-driver declares a string)
  delete compaction['class'];
  t.compactionOptions = compaction;
  t.compression = asObject(r['compression']);
  t.gcGraceSeconds = r['gc_grace_seconds'] as number;
  // Gone since Cassandra 4.0: keep the defaults when the node has no such column.
  if (r['dclocal_read_repair_chance'] !== undefined) t.localReadRepairChance = r['dclocal_read_repair_chance'] as number;
  if (r['read_repair_chance'] !== undefined) t.readRepairChance = r['read_repair_chance'] as number;
  t.extensions = asObject(r['extensions']);
  t.crcCheckChance = ((r['crc_check_chance'] as number | undefined) ?? null) as number;
  if (t instanceof TableMetadata) t.memtableFlushPeriod = (r['memtable_flush_period_in_ms'] as number) || t.memtableFlushPeriod;
  t.defaultTtl = (r['default_time_to_live'] as number) || t.defaultTtl;
  t.speculativeRetry = (r['speculative_retry'] as string) || t.speculativeRetry;
  t.minIndexInterval = (r['min_index_interval'] as number) || t.minIndexInterval;
  t.maxIndexInterval = (r['max_index_interval'] as number) || t.maxIndexInterval;
  t.nodesync = r['nodesync'] || t.nodesync;
}

/**
 * Thrift-era static compact tables carry a surrogate clustering column and value column that CQL never
 * shows; drop them and the static flag (as cassandra-driver does).
 */
function pruneStaticCompact(t: TableMetadata): void {
  for (const c of t.clusteringKeys) {
    t.columns.splice(t.columns.indexOf(c), 1);
    delete t.columnsByName[c.name];
  }
  t.clusteringKeys = [];
  t.clusteringOrder = [];
  for (let i = t.columns.length - 1; i >= 0; i--) {
    const c = t.columns[i]!;
    if (!c.isStatic && !t.partitionKeys.includes(c)) {
      t.columns.splice(i, 1);
      delete t.columnsByName[c.name];
      continue;
    }
    c.isStatic = false;
  }
}

/** Dense compact tables: drop the surrogate `value` column of type 'empty'. */
function pruneDense(t: TableMetadata): void {
  for (let i = t.columns.length - 1; i >= 0; i--) {
    const c = t.columns[i]!;
    if (!c.isStatic && c.type.code === 0 && c.type.info === 'empty') {
      t.columns.splice(i, 1);
      delete t.columnsByName[c.name];
      continue;
    }
    c.isStatic = false;
  }
}
