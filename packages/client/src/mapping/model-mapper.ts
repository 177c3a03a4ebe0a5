/**
 * The mapper of one model (cassandra-driver `mapping.ModelMapper`): get, find, findAll, insert, update,
 * remove and mapWithQuery. Statements are generated from the document's shape, prepared by the client, and
 * cached per shape; a write that spans several tables of the model goes as one batch.
 */
import { ArgumentError } from '@shardcql/core';
import type { ResultSet } from '../result-set';
import type { BatchQuery, Params } from '../client';
import type { QueryOptions } from '../execution-options';
import type { ExecutionProfile } from '../execution-profile';
import { QueryAssignment, QueryOperator } from './q';
import { ModelMappingInfo } from './model-mapping-info';
import { Result, type RowAdapter } from './result';
import { ModelBatchMapper } from './model-batch';
import { getTableKeys, type SchemaSource, type TableKeys } from './table-keys';
import {
  deleteStatement,
  insertStatement,
  selectStatement,
  updateStatement,
  type DocInfo,
  type PropertyInfo,
  type Statement,
} from './query-generator';

/** cassandra-driver's MappingExecutionOptions; a string is an execution profile name. */
export interface MappingExecutionOptions {
  executionProfile?: string | ExecutionProfile;
  isIdempotent?: boolean;
  logged?: boolean;
  timestamp?: QueryOptions['timestamp'];
  fetchSize?: number;
  pageState?: Buffer | string | null;
}
export type ExecutionOptionsArg = string | MappingExecutionOptions | null | undefined;

/** What the mapper needs from a Client. */
export interface MapperClient extends SchemaSource {
  keyspace?: string;
  execute(query: string, params?: Params, options?: QueryOptions | null): Promise<ResultSet>;
  batch(queries: BatchQuery[], options?: QueryOptions | null): Promise<ResultSet>;
  log?(level: string, message: string): void;
}

type Doc = Record<string, unknown>;
export type MutationKind = 'I' | 'U' | 'D';
type Executor = (doc: Doc | null, docInfo: DocInfo | null | undefined, options: ExecutionOptionsArg) => Promise<Result>;

/** Executors kept per shape; a model used with endlessly varying shapes should not grow memory forever. */
const CACHE_LIMIT = 1000;

// `T = any` as in cassandra-driver (`ModelMapper<T = any>`): pass a model type for checked documents.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's declaration (see above)
export class ModelMapper<T = any> {
  readonly name: string;
  private readonly tableKeys = new Map<string, Promise<TableKeys>>();
  private readonly executors = new Map<string, Promise<Executor>>();
  private readonly customAdapters = new Map<string, RowAdapter | null>();
  private readonly statements = new Map<string, Promise<Statement[]>>();
  private batchMapper: ModelBatchMapper | undefined;

  constructor(
    name: string,
    private readonly client: MapperClient,
    readonly info: ModelMappingInfo,
  ) {
    this.name = name;
  }

  /** The one row whose whole primary key is in `doc`, or null. */
  async get(doc: Doc, docInfo?: { fields?: string[] } | string | null, executionOptions?: ExecutionOptionsArg): Promise<T | null> {
    [docInfo, executionOptions] = shift(docInfo, executionOptions);
    const result = await this.select(doc, docInfo as DocInfo | null, executionOptions, true);
    return result.first();
  }

  /** Rows matching `doc` (partition key required; `q` operators allowed), with `fields`, `orderBy`, `limit`. */
  find(doc: Doc, docInfo?: DocInfo | string | null, executionOptions?: ExecutionOptionsArg): Promise<Result<T>> {
    [docInfo, executionOptions] = shift(docInfo, executionOptions);
    return this.select(doc, docInfo as DocInfo | null, executionOptions, false);
  }

  /** Every row of the model's first table (paged by `fetchSize` / `pageState`). */
  async findAll(docInfo?: DocInfo | string | null, executionOptions?: ExecutionOptionsArg): Promise<Result<T>> {
    [docInfo, executionOptions] = shift(docInfo, executionOptions);
    const info = docInfo as DocInfo | null;
    const key = `A|${fieldsKey(info)}`;
    const executor = await this.cached(key, async () => {
      const fields = this.propertiesOf(info?.fields ?? [], {});
      const orderBy = this.orderBy(info);
      const table = this.info.tables[0]!;
      const st = selectStatement(this.info.keyspace, table.name, [], { fields, orderBy, hasLimit: typeof info?.limit === 'number' });
      return this.selectExecutor(st);
    });
    return executor(null, info, executionOptions) as Promise<Result<T>>;
  }

  insert(doc: Doc, docInfo?: DocInfo | string | null, executionOptions?: ExecutionOptionsArg): Promise<Result<T>> {
    [docInfo, executionOptions] = shift(docInfo, executionOptions);
    return this.mutate('I', doc, docInfo as DocInfo | null, executionOptions);
  }

  update(doc: Doc, docInfo?: DocInfo | string | null, executionOptions?: ExecutionOptionsArg): Promise<Result<T>> {
    [docInfo, executionOptions] = shift(docInfo, executionOptions);
    return this.mutate('U', doc, docInfo as DocInfo | null, executionOptions);
  }

  remove(doc: Doc, docInfo?: DocInfo | string | null, executionOptions?: ExecutionOptionsArg): Promise<Result<T>> {
    [docInfo, executionOptions] = shift(docInfo, executionOptions);
    return this.mutate('D', doc, docInfo as DocInfo | null, executionOptions);
  }

  /** Items for `mapper.batch()`: the same writes, sent together in one BATCH. */
  get batching(): ModelBatchMapper {
    return (this.batchMapper ??= new ModelBatchMapper(this as ModelMapper<unknown>));
  }

  /**
   * A function running `query` with `paramsHandler(doc)` as parameters; its rows are mapped to the model.
   * Options given here win over those given per call, as cassandra-driver.
   */
  // `doc: any` as in cassandra-driver: the handler may declare its own document type, `(doc: { id: Uuid }) => [doc.id]`.
  mapWithQuery(
    query: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's declaration (see above)
    paramsHandler: (doc: any) => Params,
    executionOptions?: ExecutionOptionsArg,
  ): (doc: Doc, executionOptions?: ExecutionOptionsArg) => Promise<Result<T>> {
    if (typeof query !== 'string' || query.length === 0) throw new ArgumentError('mapWithQuery expects a query string');
    if (typeof paramsHandler !== 'function') throw new ArgumentError('mapWithQuery expects a paramsHandler function');
    const common = executionOptions ?? null;
    return async (doc: Doc, callOptions?: ExecutionOptionsArg): Promise<Result<T>> => {
      const rs = await this.client.execute(query, paramsHandler(doc), readOptions(common ?? callOptions, false));
      let adapter = this.customAdapters.get(query);
      if (adapter === undefined) {
        const cols = rs.columns;
        if (cols !== null && cols.length > 0 && cols[0]!.name === '[applied]') {
          // A conditional statement's columns depend on whether it applied: not cached.
          return new Result<T>(rs, conditionalAdapter(this.info, rs));
        }
        adapter = cols === null || cols.length === 0 ? null : this.selectAdapter(rs);
        if (this.customAdapters.size < CACHE_LIMIT) this.customAdapters.set(query, adapter);
      }
      return new Result<T>(rs, adapter);
    };
  }

  // ------------------------------------------------------------------ internals

  private async select(doc: Doc, info: DocInfo | null, options: ExecutionOptionsArg, allPrimaryKeys: boolean): Promise<Result<T>> {
    if (doc === null || typeof doc !== 'object' || Object.keys(doc).length === 0) throw new ArgumentError('Expected object with keys');
    const key = `S${allPrimaryKeys ? 1 : 0}|${shapeKey(doc)}|${fieldsKey(info)}`;
    const executor = await this.cached(key, async () => {
      const where = this.propertiesOf(Object.keys(doc), doc);
      const fields = this.propertiesOf(info?.fields ?? [], {});
      const orderBy = this.orderBy(info);
      const whereCols = where.map((p) => p.column);
      let chosen: TableKeys | null = null;
      for (const t of this.info.tables) {
        const keys = await this.keysOf(t.name, t.isView);
        const required = allPrimaryKeys ? [...keys.partitionKeys, ...keys.clusteringKeys] : keys.partitionKeys;
        if (!required.every((c) => whereCols.includes(c))) continue;
        // Filters only on key columns: anything else would need an index or ALLOW FILTERING.
        if (!whereCols.every((c) => isKey(keys, c)) || !fields.every((f) => keys.columns.has(f.column))) continue;
        if (!orderBy.every((o) => keys.clusteringKeys.includes(o[0]))) continue;
        chosen = keys;
        break;
      }
      if (chosen === null) {
        throw noTable(
          allPrimaryKeys
            ? 'No table matches the filter (all PKs have to be specified)'
            : 'No table matches the filter (partition key required)',
          where,
        );
      }
      return this.selectExecutor(
        selectStatement(this.info.keyspace, chosen.name, where, { fields, orderBy, hasLimit: typeof info?.limit === 'number' }),
      );
    });
    return executor(doc, info, options) as Promise<Result<T>>;
  }

  private selectExecutor(st: Statement): Executor {
    let adapter: RowAdapter | null | undefined;
    return async (doc, docInfo, options) => {
      const rs = await this.client.execute(st.query, st.paramsGetter(doc, docInfo), readOptions(options, true));
      if (adapter === undefined) adapter = this.selectAdapter(rs);
      return new Result(rs, adapter);
    };
  }

  private async mutate(kind: MutationKind, doc: Doc, info: DocInfo | null, options: ExecutionOptionsArg): Promise<Result<T>> {
    const statements = await this.mutationStatements(kind, doc, info);
    const isIdempotent = statements.every((st) => st.isIdempotent);
    if (statements.length === 1) {
      const st = statements[0]!;
      const rs = await this.client.execute(st.query, st.paramsGetter(doc, info), writeOptions(options, isIdempotent));
      return new Result<T>(rs, mutationAdapter(this.info, rs));
    }
    const queries = statements.map((st) => ({ query: st.query, params: st.paramsGetter(doc, info) }));
    const rs = await this.client.batch(
      queries,
      batchOptions(
        options,
        isIdempotent,
        statements.some((st) => st.isCounter),
      ),
    );
    return new Result<T>(rs, mutationAdapter(this.info, rs));
  }

  /** @internal The statements of a write of this shape (one per table written), generated once per shape. */
  mutationStatements(kind: MutationKind, doc: Doc, info: DocInfo | null): Promise<Statement[]> {
    if (doc === null || typeof doc !== 'object' || Object.keys(doc).length === 0)
      return Promise.reject(new ArgumentError('Expected object with keys'));
    if (info?.when && info.ifExists) {
      return Promise.reject(new ArgumentError('Both when and ifExists conditions can not be applied to the same statement'));
    }
    const key = `${kind}|${shapeKey(doc)}|${fieldsKey(info)}`;
    let p = this.statements.get(key);
    if (p === undefined) {
      if (this.statements.size >= CACHE_LIMIT) {
        this.client.log?.(
          'warning',
          `ModelMapper cache of "${this.name}" reached ${CACHE_LIMIT} items: use few document shapes (undefined for unset values)`,
        );
        this.statements.clear();
      }
      const props = this.propertiesOf(info?.fields && info.fields.length > 0 ? info.fields : Object.keys(doc), doc);
      p =
        kind === 'I'
          ? this.insertStatements(props, info)
          : kind === 'U'
            ? this.updateStatements(props, info)
            : this.deleteStatements(props, info);
      this.statements.set(key, p);
      // A failed generation (unknown table, bad shape) is not kept: the next call tries again.
      p.catch(() => this.statements.delete(key));
    }
    return p;
  }

  private async insertStatements(props: PropertyInfo[], info: DocInfo | null): Promise<Statement[]> {
    const tables = await this.writableTables(props, (t, cols) => hasPrimaryKey(t, cols));
    if (tables.length === 0) throw noTable('No table matches (all PKs have to be specified)', props);
    if (tables.length > 1 && info?.ifNotExists) throw new ArgumentError('Batch with ifNotExists conditions cannot span multiple tables');
    return tables.map((t) => insertStatement(this.info.keyspace, t, props, info));
  }

  private async updateStatements(props: PropertyInfo[], info: DocInfo | null): Promise<Statement[]> {
    const when = this.whenOf(info);
    const tables = await this.writableTables(
      props,
      (t, cols) =>
        hasPrimaryKey(t, cols) && cols.some((c) => t.columns.has(c) && !isKey(t, c)) && when.every((w) => t.columns.has(w.column)),
    );
    if (tables.length === 0) throw noTable('No table matches (all PKs and columns to set have to be specified)', props);
    if (tables.length > 1 && (when.length > 0 || info?.ifExists)) {
      throw new ArgumentError('Batch with when or ifExists conditions cannot span multiple tables');
    }
    return tables.map((t) => updateStatement(this.info.keyspace, t, props, info, when));
  }

  private async deleteStatements(props: PropertyInfo[], info: DocInfo | null): Promise<Statement[]> {
    const when = this.whenOf(info);
    const tables = await this.writableTables(props, (t, cols) => hasPrimaryKey(t, cols) && when.every((w) => t.columns.has(w.column)));
    if (tables.length === 0) throw noTable('No table matches (all PKs have to be specified)', props);
    if (tables.length > 1 && (when.length > 0 || info?.ifExists)) {
      throw new ArgumentError('Batch with when or ifExists conditions cannot span multiple tables');
    }
    return tables.map((t) => deleteStatement(this.info.keyspace, t, props, info, when));
  }

  private cached(key: string, create: () => Promise<Executor>): Promise<Executor> {
    let p = this.executors.get(key);
    if (p === undefined) {
      if (this.executors.size >= CACHE_LIMIT) {
        this.client.log?.(
          'warning',
          `ModelMapper cache of "${this.name}" reached ${CACHE_LIMIT} items: use few document shapes (undefined for unset values)`,
        );
        this.executors.clear();
      }
      p = create();
      this.executors.set(key, p);
      // A failed generation (unknown table, bad shape) is not kept: the next call tries again.
      p.catch(() => this.executors.delete(key));
    }
    return p;
  }

  private keysOf(table: string, isView: boolean): Promise<TableKeys> {
    let p = this.tableKeys.get(table);
    if (p === undefined) {
      p = getTableKeys(this.client, this.info.keyspace, table, isView);
      this.tableKeys.set(table, p);
      p.catch(() => this.tableKeys.delete(table));
    }
    return p;
  }

  /** The model's tables (not views) that `accept` the columns of `props`. */
  private async writableTables(props: readonly PropertyInfo[], accept: (t: TableKeys, columns: string[]) => boolean): Promise<TableKeys[]> {
    const columns = props.map((p) => p.column);
    const out: TableKeys[] = [];
    for (const t of this.info.tables) {
      if (t.isView) continue;
      const keys = await this.keysOf(t.name, false);
      if (accept(keys, columns)) out.push(keys);
    }
    return out;
  }

  private propertiesOf(names: readonly string[], doc: Doc): PropertyInfo[] {
    return names.map((property) => ({
      property,
      column: this.info.getColumnName(property),
      fromModel: this.info.getFromModelFn(property),
      sample: doc[property],
    }));
  }

  private whenOf(info: DocInfo | null): PropertyInfo[] {
    const when = info?.when;
    if (!when) return [];
    return Object.keys(when).map((property) => ({
      property,
      column: this.info.getColumnName(property),
      fromModel: this.info.getFromModelFn(property),
      sample: when[property],
    }));
  }

  private orderBy(info: DocInfo | null): Array<[string, string]> {
    const orderBy = info?.orderBy;
    if (!orderBy) return [];
    return Object.keys(orderBy).map((property) => {
      const value = orderBy[property];
      const ordering = typeof value === 'string' ? value.toUpperCase() : value;
      if (ordering !== 'ASC' && ordering !== 'DESC')
        throw new ArgumentError(`Order must be either "ASC" or "DESC", obtained: ${String(value)}`);
      return [this.info.getColumnName(property), ordering];
    });
  }

  private selectAdapter(rs: ResultSet): RowAdapter {
    const cols = rs.columns ?? [];
    const info = this.info;
    const names = cols.map((c) => c.name);
    const props = names.map((n) => info.getPropertyName(n));
    const toModel = names.map((n) => info.getToModelFn(n));
    return (row) => {
      const item = info.newInstance();
      for (let i = 0; i < names.length; i++) {
        const v = row[names[i]!];
        const fn = toModel[i];
        item[props[i]!] = fn ? fn(v) : v;
      }
      return item;
    };
  }
}

/** A write's result: nothing, or for a conditional write that was not applied, the row the node sent. */
export function mutationAdapter(info: ModelMappingInfo, rs: ResultSet): RowAdapter | null {
  const cols = rs.columns;
  if (cols === null || cols.length === 0) return null;
  if (cols.length === 1 && cols[0]!.name === '[applied]') return null;
  return conditionalAdapter(info, rs);
}

/** The columns after `[applied]`, by property name. */
function conditionalAdapter(info: ModelMappingInfo, rs: ResultSet): RowAdapter {
  const cols = rs.columns ?? [];
  return (row) => {
    const item = info.newInstance();
    for (let i = 1; i < cols.length; i++) item[info.getPropertyName(cols[i]!.name)] = row[cols[i]!.name];
    return item;
  };
}

/** `find(doc, 'profile')`: a string in the docInfo position is the execution options. */
function shift<D>(docInfo: D | string | null | undefined, options: ExecutionOptionsArg): [D | null, ExecutionOptionsArg] {
  if (options === undefined && typeof docInfo === 'string') return [null, docInfo];
  return [(docInfo ?? null) as D | null, options];
}

function isKey(t: TableKeys, column: string): boolean {
  return t.partitionKeys.includes(column) || t.clusteringKeys.includes(column);
}

/** Every partition and clustering key column given, or (static columns only) every partition key column. */
function hasPrimaryKey(t: TableKeys, columns: string[]): boolean {
  if (!t.partitionKeys.every((c) => columns.includes(c))) return false;
  if (t.clusteringKeys.every((c) => columns.includes(c))) return true;
  return t.staticColumns.size > 0 && columns.every((c) => t.partitionKeys.includes(c) || t.staticColumns.has(c));
}

function noTable(message: string, props: readonly PropertyInfo[]): ArgumentError {
  return new ArgumentError(`${message}, fields: [${props.map((p) => p.property).join(',')}]`);
}

/** The document's property names and the operator kind of each value. */
function shapeKey(doc: Doc): string {
  let key = '';
  for (const k of Object.keys(doc)) {
    const v = doc[k];
    key += k;
    if (v instanceof QueryOperator) {
      key += `#${v.key}`;
      if (v.hasChildValues) for (const c of v.value as unknown[]) key += `#${c instanceof QueryOperator ? c.key : '='}`;
    } else if (v instanceof QueryAssignment) {
      key += `#${v.sign}${v.inverted ? 'i' : ''}`;
    }
    key += ',';
  }
  return key;
}

/** The parts of docInfo that change the statement text. */
function fieldsKey(info: DocInfo | null | undefined): string {
  if (!info) return '';
  let key = info.fields ? info.fields.join(',') : '';
  key += `|${
    info.orderBy
      ? Object.keys(info.orderBy)
          .map((k) => `${k}:${String(info.orderBy![k])}`)
          .join(',')
      : ''
  }`;
  key += `|${typeof info.limit === 'number' ? 'L' : ''}${typeof info.ttl === 'number' ? 'T' : ''}${info.ifNotExists ? 'N' : ''}`;
  key += `${info.ifExists ? 'E' : ''}${info.deleteOnlyColumns ? 'C' : ''}`;
  if (info.when) key += `|${shapeKey(info.when)}`;
  return key;
}

/** Options of reads: prepared, idempotent, paging options passed through. */
function readOptions(o: ExecutionOptionsArg, idempotent: boolean): QueryOptions {
  const out: QueryOptions = { prepare: true };
  if (typeof o === 'string') out.executionProfile = o;
  else if (o !== null && o !== undefined) {
    if (o.executionProfile !== undefined) out.executionProfile = o.executionProfile;
    if (o.fetchSize !== undefined) out.fetchSize = o.fetchSize;
    if (o.pageState !== undefined) out.pageState = o.pageState;
    if (o.timestamp !== undefined) out.timestamp = o.timestamp;
    if (o.isIdempotent !== undefined) out.isIdempotent = o.isIdempotent;
  }
  if (idempotent) out.isIdempotent = true;
  return out;
}

/** Options of a BATCH: logged unless `logged: false`, a counter batch when a statement updates counters. */
export function batchOptions(o: ExecutionOptionsArg, isIdempotent: boolean, isCounter: boolean): QueryOptions {
  const out = writeOptions(o, isIdempotent);
  out.counter = isCounter;
  if (o !== null && typeof o === 'object' && o.logged !== undefined) out.logged = o.logged !== false;
  return out;
}

function writeOptions(o: ExecutionOptionsArg, isIdempotent: boolean): QueryOptions {
  const out: QueryOptions = { prepare: true, isIdempotent };
  if (typeof o === 'string') out.executionProfile = o;
  else if (o !== null && o !== undefined) {
    if (o.executionProfile !== undefined) out.executionProfile = o.executionProfile;
    if (o.timestamp !== undefined) out.timestamp = o.timestamp;
    if (o.isIdempotent !== undefined) out.isIdempotent = o.isIdempotent;
  }
  return out;
}
