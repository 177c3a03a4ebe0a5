/**
 * CQL text and parameter getters of the mapper's statements (cassandra-driver `QueryGenerator`). A statement
 * is generated once per document shape (which properties, which operators, which docInfo options) and cached
 * by the ModelMapper; its getter pulls the values of each new document in bind-marker order.
 */
import { QueryAssignment, QueryOperator } from './q';
import type { TableKeys } from './table-keys';

/** One property of a document (or of `fields`, or of `when`) with its column. */
export interface PropertyInfo {
  property: string;
  column: string;
  fromModel: ((value: unknown) => unknown) | null;
  /** The value of the document the statement was generated for: only its operator kind matters. */
  sample: unknown;
}

export type ParamsGetter = (doc: Record<string, unknown> | null, docInfo: DocInfo | null | undefined) => unknown[];

export interface DocInfo {
  fields?: string[];
  orderBy?: Record<string, string>;
  limit?: number;
  ttl?: number;
  ifNotExists?: boolean;
  ifExists?: boolean;
  when?: Record<string, unknown>;
  deleteOnlyColumns?: boolean;
}

export interface Statement {
  query: string;
  paramsGetter: ParamsGetter;
  isIdempotent: boolean;
  isCounter: boolean;
}

function quote(column: string): string {
  return `"${column.replace(/"/g, '""')}"`;
}

function convert(p: PropertyInfo, value: unknown): unknown {
  return p.fromModel !== null ? p.fromModel(value) : value;
}

/** `"c" = ?`, `"c" > ?`, `"c" IN ?`, `"c" >= ? AND "c" < ?`. */
function conditions(props: readonly PropertyInfo[]): string {
  const parts: string[] = [];
  for (const p of props) {
    const v = p.sample;
    if (v instanceof QueryOperator) {
      if (v.hasChildValues) {
        for (const child of v.value as unknown[]) {
          const op = child instanceof QueryOperator ? child.key : '=';
          parts.push(`${quote(p.column)} ${op} ?`);
        }
      } else {
        parts.push(`${quote(p.column)} ${v.key} ?`);
      }
    } else {
      parts.push(`${quote(p.column)} = ?`);
    }
  }
  return parts.join(' AND ');
}

/** Pushes the bound values of `conditions(props)` for `source` (a document, or docInfo.when). */
function pushConditionValues(out: unknown[], props: readonly PropertyInfo[], source: Record<string, unknown>): void {
  for (const p of props) {
    const v = source[p.property];
    if (v instanceof QueryOperator) {
      if (v.hasChildValues) {
        for (const child of v.value as unknown[]) out.push(convert(p, child instanceof QueryOperator ? child.value : child));
      } else if (v.isInOperator && Array.isArray(v.value)) {
        out.push((v.value as unknown[]).map((x) => convert(p, x)));
      } else {
        out.push(convert(p, v.value));
      }
    } else {
      out.push(convert(p, v));
    }
  }
}

function keyspaceTable(keyspace: string, table: string): string {
  return `${keyspace}.${table}`;
}

/** What a SELECT reads: the columns (none: `*`), the ORDER BY, and whether a LIMIT is bound. */
export interface SelectShape {
  fields: readonly PropertyInfo[];
  orderBy: ReadonlyArray<[string, string]>;
  hasLimit: boolean;
}

export function selectStatement(keyspace: string, table: string, where: readonly PropertyInfo[], shape: SelectShape): Statement {
  const { fields, orderBy, hasLimit } = shape;
  let query = `SELECT ${fields.length > 0 ? fields.map((f) => quote(f.column)).join(', ') : '*'} FROM ${keyspaceTable(keyspace, table)}`;
  if (where.length > 0) query += ` WHERE ${conditions(where)}`;
  if (orderBy.length > 0) query += ` ORDER BY ${orderBy.map((o) => `${quote(o[0])} ${o[1]}`).join(', ')}`;
  if (hasLimit) query += ' LIMIT ?';
  const paramsGetter: ParamsGetter = (doc, docInfo) => {
    const out: unknown[] = [];
    if (doc !== null) pushConditionValues(out, where, doc);
    if (hasLimit) out.push(docInfo?.limit);
    return out;
  };
  return { query, paramsGetter, isIdempotent: true, isCounter: false };
}

export function insertStatement(
  keyspace: string,
  table: TableKeys,
  props: readonly PropertyInfo[],
  docInfo: DocInfo | null | undefined,
): Statement {
  const cols = props.filter((p) => table.columns.has(p.column));
  const ifNotExists = docInfo?.ifNotExists === true;
  const hasTtl = typeof docInfo?.ttl === 'number';
  let query = `INSERT INTO ${keyspaceTable(keyspace, table.name)} (${cols.map((p) => quote(p.column)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
  if (ifNotExists) query += ' IF NOT EXISTS';
  if (hasTtl) query += ' USING TTL ?';
  const paramsGetter: ParamsGetter = (doc, info) => {
    const out = cols.map((p) => convert(p, doc![p.property]));
    if (hasTtl) out.push(info?.ttl);
    return out;
  };
  return { query, paramsGetter, isIdempotent: !ifNotExists, isCounter: false };
}

export function updateStatement(
  keyspace: string,
  table: TableKeys,
  props: readonly PropertyInfo[],
  docInfo: DocInfo | null | undefined,
  when: readonly PropertyInfo[],
): Statement {
  const primary = new Set([...table.partitionKeys, ...table.clusteringKeys]);
  const inTable = props.filter((p) => table.columns.has(p.column));
  const sets = inTable.filter((p) => !primary.has(p.column));
  const keys = inTable.filter((p) => primary.has(p.column));
  const ifExists = docInfo?.ifExists === true;
  const hasTtl = typeof docInfo?.ttl === 'number';
  let isIdempotent = !ifExists && when.length === 0;
  let isCounter = false;
  const assignments = sets.map((p) => {
    const type = table.columns.get(p.column) ?? '';
    if (type === 'counter') {
      // Replaying a counter update counts twice.
      isCounter = true;
      isIdempotent = false;
    } else if (type.startsWith('list<') && p.sample instanceof QueryAssignment) {
      isIdempotent = false;
    }
    const v = p.sample;
    if (v instanceof QueryAssignment) {
      return v.inverted ? `${quote(p.column)} = ? ${v.sign} ${quote(p.column)}` : `${quote(p.column)} = ${quote(p.column)} ${v.sign} ?`;
    }
    return `${quote(p.column)} = ?`;
  });
  let query = `UPDATE ${keyspaceTable(keyspace, table.name)} ${hasTtl ? 'USING TTL ? ' : ''}SET ${assignments.join(', ')} WHERE ${conditions(keys)}`;
  if (ifExists) query += ' IF EXISTS';
  else if (when.length > 0) query += ` IF ${conditions(when)}`;
  const paramsGetter: ParamsGetter = (doc, info) => {
    const out: unknown[] = [];
    if (hasTtl) out.push(info?.ttl);
    for (const p of sets) {
      const v = doc![p.property];
      out.push(convert(p, v instanceof QueryAssignment ? v.value : v));
    }
    pushConditionValues(out, keys, doc!);
    if (!ifExists && when.length > 0) pushConditionValues(out, when, info!.when!);
    return out;
  };
  return { query, paramsGetter, isIdempotent, isCounter };
}

export function deleteStatement(
  keyspace: string,
  table: TableKeys,
  props: readonly PropertyInfo[],
  docInfo: DocInfo | null | undefined,
  when: readonly PropertyInfo[],
): Statement {
  const primary = new Set([...table.partitionKeys, ...table.clusteringKeys]);
  const inTable = props.filter((p) => table.columns.has(p.column));
  const keys = inTable.filter((p) => primary.has(p.column));
  const only = docInfo?.deleteOnlyColumns === true ? inTable.filter((p) => !primary.has(p.column)) : [];
  const ifExists = docInfo?.ifExists === true;
  let query = `DELETE ${only.length > 0 ? only.map((p) => quote(p.column)).join(', ') + ' ' : ''}FROM ${keyspaceTable(keyspace, table.name)} WHERE ${conditions(keys)}`;
  if (ifExists) query += ' IF EXISTS';
  else if (when.length > 0) query += ` IF ${conditions(when)}`;
  const paramsGetter: ParamsGetter = (doc, info) => {
    const out: unknown[] = [];
    pushConditionValues(out, keys, doc!);
    if (!ifExists && when.length > 0) pushConditionValues(out, when, info!.when!);
    return out;
  };
  return { query, paramsGetter, isIdempotent: !ifExists && when.length === 0, isCounter: false };
}
