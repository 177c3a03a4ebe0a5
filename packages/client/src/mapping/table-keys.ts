/**
 * The columns and keys of a mapped table or view. The one place the mapper reads schema: from
 * `client.metadata.getTable` / `getMaterializedView` when the client has them, else straight from
 * system_schema.columns (Cassandra 3+ and ScyllaDB), so the mapper works before full schema metadata exists.
 */
import { ArgumentError } from '@shardcql/core';

export interface TableKeys {
  name: string;
  isView: boolean;
  partitionKeys: string[];
  clusteringKeys: string[];
  /** Every column, by name, with its CQL type as text (`int`, `list<text>`, `counter`). */
  columns: Map<string, string>;
  staticColumns: Set<string>;
}

/** What the mapper needs from a client. */
export interface SchemaSource {
  execute(query: string, params?: unknown[], options?: { prepare?: boolean }): Promise<{ rows: unknown[] }>;
  metadata?: unknown;
}

interface ColumnLike {
  name: string;
  type?: unknown;
  isStatic?: boolean;
  kind?: string;
}
interface TableLike {
  name?: string;
  partitionKeys: ColumnLike[];
  clusteringKeys: ColumnLike[];
  columns: ColumnLike[];
}
type Getter = (keyspace: string, name: string) => Promise<TableLike | null>;

export async function getTableKeys(client: SchemaSource, keyspace: string, table: string, isView: boolean): Promise<TableKeys> {
  const md = client.metadata as Record<string, unknown> | undefined;
  const getter = md !== undefined && md !== null ? md[isView ? 'getMaterializedView' : 'getTable'] : undefined;
  if (typeof getter === 'function') {
    const t = await (getter as Getter).call(md, keyspace, table);
    if (t === null || t === undefined)
      throw new ArgumentError(`${isView ? 'View' : 'Table'} "${keyspace}.${table}" could not be retrieved`);
    return fromMetadata(table, isView, t);
  }
  return fromSystemSchema(client, keyspace, table, isView);
}

function typeText(type: unknown): string {
  if (typeof type === 'string') return type;
  const code = (type as { code?: number } | undefined)?.code;
  // Only list (0x20) and counter (0x05) change what the mapper generates.
  return code === 0x05 ? 'counter' : code === 0x20 ? 'list<>' : 'other';
}

function fromMetadata(name: string, isView: boolean, t: TableLike): TableKeys {
  const columns = new Map<string, string>();
  const staticColumns = new Set<string>();
  for (const c of t.columns) {
    columns.set(c.name, typeText(c.type));
    if (c.isStatic === true || c.kind === 'static') staticColumns.add(c.name);
  }
  return {
    name,
    isView,
    partitionKeys: t.partitionKeys.map((c) => c.name),
    clusteringKeys: t.clusteringKeys.map((c) => c.name),
    columns,
    staticColumns,
  };
}

async function fromSystemSchema(client: SchemaSource, keyspace: string, table: string, isView: boolean): Promise<TableKeys> {
  const rs = await client.execute(
    'SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, table],
    { prepare: true },
  );
  if (rs.rows.length === 0) throw new ArgumentError(`${isView ? 'View' : 'Table'} "${keyspace}.${table}" could not be retrieved`);
  const pk: Array<[number, string]> = [];
  const ck: Array<[number, string]> = [];
  const columns = new Map<string, string>();
  const staticColumns = new Set<string>();
  for (const row of rs.rows as Array<Record<string, unknown>>) {
    const name = String(row['column_name']);
    const kind = String(row['kind']);
    columns.set(name, String(row['type']));
    if (kind === 'partition_key') pk.push([Number(row['position']), name]);
    else if (kind === 'clustering') ck.push([Number(row['position']), name]);
    else if (kind === 'static') staticColumns.add(name);
  }
  const byPosition = (a: [number, string], b: [number, string]): number => a[0] - b[0];
  return {
    name: table,
    isView,
    partitionKeys: pk.sort(byPosition).map((e) => e[1]),
    clusteringKeys: ck.sort(byPosition).map((e) => e[1]),
    columns,
    staticColumns,
  };
}
