/**
 * `client.metadata` (cassandra-driver `lib/metadata/index.js`): keyspaces, tables, views, UDTs, functions
 * and aggregates read from system_schema; the token ring; traces; schema agreement.
 *
 * Caching: with `isMetadataSyncEnabled` (the default) the keyspaces are loaded at connect and each object is
 * fetched once on first use, then kept per keyspace until a SCHEMA_CHANGE (event or DDL result) names it;
 * an object of a keyspace that is not known gives null, as cassandra-driver. With
 * `isMetadataSyncEnabled: false` every call queries the cluster and nothing is kept. Concurrent calls for the
 * same object share one query (the cache holds promises).
 */
import { ArgumentError, DriverError, getDataTypeNameByCode, type DataType, type Row, type Uuid } from '@shardcql/core';
import type { Host } from '../host';
import { optionalCallback, type EmptyCallback, type SomeCallback, type ValueCallback } from '../promise-utils';
import type { MaterializedView, TableMetadata, Udt } from './data-collection';
import { fetchTrace, type QueryTrace } from './query-trace';
import type { Aggregate, SchemaFunction } from './schema-function';
import {
  loadFunctions,
  loadKeyspace,
  loadKeyspaces,
  loadTable,
  loadUdt,
  loadView,
  type KeyspaceInfo,
  type SchemaQuery,
} from './schema-parser';
import { TokenMap } from './token-map';
import { Token, TokenRange, murmur3Tokenizer } from './token';

/** What the Metadata needs from its client. */
export interface MetadataSource {
  querySystem(cql: string, hostIndex?: number, consistency?: number): Promise<Row[]>;
  clearPrepared(): void;
  hosts: { values(): Host[] };
  /** Absent: sync on. */
  options?: { isMetadataSyncEnabled?: boolean };
  /** Schema lookups need a connected client. */
  connected?: boolean;
  /** The engine's one schema agreement check (Engine.checkSchemaAgreement); absent: no engine, false. */
  checkSchemaAgreement?(): Promise<boolean>;
}

/** A schema change as the server describes it (EVENT or RESULT SCHEMA_CHANGE, spec section 4.2.6). */
export interface SchemaChangeEvent {
  type: string;
  change?: string;
  target?: string;
  keyspace?: string;
  name?: string | null;
}

/** Per keyspace: the objects fetched so far (promises, so concurrent callers share a query). */
interface KeyspaceCache {
  tables: Map<string, Promise<TableMetadata | null>>;
  views: Map<string, Promise<MaterializedView | null>>;
  udts: Map<string, Promise<Udt | null>>;
  functions: Map<string, Promise<Map<string, SchemaFunction | Aggregate>>>;
  aggregates: Map<string, Promise<Map<string, SchemaFunction | Aggregate>>>;
}

type Signature = Array<string | DataType>;

export class Metadata {
  /** Keyspaces by name (virtual keyspaces too, with `virtual: true`). */
  keyspaces: Record<string, KeyspaceInfo> = {};

  private readonly caches = new Map<string, KeyspaceCache>();
  /** The keyspace load in flight (connect, refreshKeyspaces): object lookups wait for it. */
  private keyspacesLoad: Promise<Record<string, KeyspaceInfo>> | null = null;
  /** Ordering of keyspace loads: full loads in flight, the start of the newest applied one, single changes. */
  private ksEpoch = 0;
  private fullLoads = 0;
  private fullApplied = 0;
  private readonly ksTouched = new Map<string, number>();
  private tokenMapKey = '';
  private tokenMapCache: TokenMap | null = null;
  private readonly query: SchemaQuery;
  private readonly resolveUdt = (keyspace: string, name: string): Promise<Udt | null> => this._getUdt(keyspace, name);

  constructor(private readonly client: MetadataSource) {
    this.query = (cql) => client.querySystem(cql);
  }

  /** Whether the metadata can be queried: the client has connected (cassandra-driver's `initialized` flag). */
  get initialized(): boolean {
    return this.client.connected === true;
  }

  private get syncEnabled(): boolean {
    return this.client.options?.isMetadataSyncEnabled !== false;
  }

  private checkInitialized(): void {
    if (!this.client.connected) {
      throw new DriverError('Metadata has not been initialized.  This could only happen if you have not connected yet.');
    }
  }

  // ---------------------------------------------------------------- keyspaces

  /** Reloads every keyspace; forgets every cached object. `waitReconnect` is accepted for compatibility. */
  refreshKeyspaces(waitReconnect?: boolean): Promise<void>;
  refreshKeyspaces(callback: EmptyCallback): void;
  refreshKeyspaces(waitReconnect: boolean, callback: EmptyCallback): void;
  refreshKeyspaces(waitReconnect?: boolean | SomeCallback<void>, callback?: SomeCallback<void>): Promise<void> | undefined {
    const cb = typeof waitReconnect === 'function' ? waitReconnect : callback;
    return optionalCallback(this._refreshKeyspaces(), cb);
  }

  private async _refreshKeyspaces(): Promise<void> {
    this.checkInitialized();
    const start = ++this.ksEpoch;
    const load = loadKeyspaces(this.query);
    this.keyspacesLoad = load;
    this.fullLoads++;
    try {
      const keyspaces = await load;
      // A newer full load has already been applied: this one's rows are older.
      if (start < this.fullApplied) return;
      this.fullApplied = start;
      // A keyspace refreshed or dropped on its own since this load began (a DDL's SCHEMA_CHANGE) is newer
      // than what this load read: keep its current state.
      for (const [name, epoch] of this.ksTouched) {
        if (epoch <= start) continue;
        const now = this.keyspaces[name];
        if (now === undefined) delete keyspaces[name];
        else keyspaces[name] = now;
      }
      this.keyspaces = keyspaces;
      this.caches.clear();
    } finally {
      if (this.keyspacesLoad === load) this.keyspacesLoad = null;
      if (--this.fullLoads === 0) this.ksTouched.clear();
    }
  }

  /** A keyspace changed on its own (refreshKeyspace, DROPPED): full loads in flight must not undo it. */
  private touchKeyspace(name: string, stamp = ++this.ksEpoch): void {
    if (this.fullLoads > 0) this.ksTouched.set(name, Math.max(stamp, this.ksTouched.get(name) ?? 0));
  }

  /** Reloads one keyspace (removed when it no longer exists) and forgets its cached objects. */
  refreshKeyspace(name: string): Promise<void>;
  refreshKeyspace(name: string, callback: EmptyCallback): void;
  refreshKeyspace(name: string, callback?: SomeCallback<void>): Promise<void> | undefined {
    return optionalCallback(this._refreshKeyspace(name), callback);
  }

  private async _refreshKeyspace(name: string): Promise<void> {
    this.checkInitialized();
    if (typeof name !== 'string' || name === '') throw new ArgumentError('Keyspace name must be a non-empty string');
    // Stamped when the read starts: a full load that began after it read newer rows and wins.
    const stamp = ++this.ksEpoch;
    const ks = await loadKeyspace(this.query, name);
    this.touchKeyspace(name, stamp);
    this.caches.delete(name);
    if (ks === null) delete this.keyspaces[name];
    else this.keyspaces[name] = ks;
  }

  /**
   * @internal A keyspace, table, type, function or aggregate changed: forget it (synchronously, so the next
   * lookup queries again), and reload the keyspace itself when that is what changed.
   */
  onSchemaChange(event: SchemaChangeEvent): Promise<void> {
    const ks = event.keyspace;
    if (ks === undefined) return Promise.resolve();
    if (event.target === 'KEYSPACE') {
      this.caches.delete(ks);
      if (event.change === 'DROPPED') {
        this.touchKeyspace(ks);
        delete this.keyspaces[ks];
        return Promise.resolve();
      }
      return this._refreshKeyspace(ks);
    }
    const cache = this.caches.get(ks);
    if (cache === undefined) return Promise.resolve();
    const name = event.name ?? null;
    const forget = (m: Map<string, unknown>): void => {
      if (name === null) m.clear();
      else m.delete(name);
    };
    switch (event.target) {
      case 'TABLE':
        // Views are announced as tables.
        forget(cache.tables);
        forget(cache.views);
        break;
      case 'TYPE':
        forget(cache.udts);
        // Tables and views embed the UDT's fields in their column types.
        cache.tables.clear();
        cache.views.clear();
        break;
      case 'FUNCTION':
        forget(cache.functions);
        break;
      case 'AGGREGATE':
        forget(cache.aggregates);
        break;
      default:
        this.caches.delete(ks);
    }
    return Promise.resolve();
  }

  /**
   * With sync on: the cache of a known keyspace, null when the keyspace is unknown (after any keyspace load
   * in flight). With sync off: undefined (fetch, do not keep).
   */
  private async cacheOf(keyspace: string): Promise<KeyspaceCache | null | undefined> {
    this.checkInitialized();
    if (!this.syncEnabled) return undefined;
    if (this.keyspacesLoad !== null) await this.keyspacesLoad.catch(() => undefined);
    if (this.keyspaces[keyspace] === undefined) return null;
    let cache = this.caches.get(keyspace);
    if (cache === undefined) {
      cache = { tables: new Map(), views: new Map(), udts: new Map(), functions: new Map(), aggregates: new Map() };
      this.caches.set(keyspace, cache);
    }
    return cache;
  }

  /** Gets `name` from `map`, or loads it and keeps it while it is there (a miss or an error is not kept). */
  private cached<T>(map: Map<string, Promise<T>>, name: string, load: () => Promise<T>, keep: (v: T) => boolean): Promise<T> {
    const known = map.get(name);
    if (known !== undefined) return known;
    const p = load();
    map.set(name, p);
    p.then(
      (v) => {
        if (!keep(v) && map.get(name) === p) map.delete(name);
      },
      () => {
        if (map.get(name) === p) map.delete(name);
      },
    );
    return p;
  }

  // ---------------------------------------------------------------- schema objects

  /** A table's definition; null when the keyspace or the table does not exist. */
  getTable(keyspace: string, name: string): Promise<TableMetadata>;
  getTable(keyspace: string, name: string, callback: ValueCallback<TableMetadata>): void;
  getTable(keyspace: string, name: string, callback?: SomeCallback<TableMetadata | null>): Promise<TableMetadata | null> | undefined {
    return optionalCallback(this._getTable(keyspace, name), callback);
  }

  private async _getTable(keyspace: string, name: string): Promise<TableMetadata | null> {
    checkNames(keyspace, name, 'table');
    const cache = await this.cacheOf(keyspace);
    if (cache === null) return null;
    const virtual = cache === undefined ? undefined : this.keyspaces[keyspace]!.virtual;
    const load = (): Promise<TableMetadata | null> => loadTable(this.query, keyspace, name, virtual, this.resolveUdt);
    return cache === undefined ? load() : this.cached(cache.tables, name, load, (t) => t !== null);
  }

  /** A materialized view's definition; null when the keyspace or the view does not exist. */
  getMaterializedView(keyspace: string, name: string): Promise<MaterializedView>;
  getMaterializedView(keyspace: string, name: string, callback: ValueCallback<MaterializedView>): void;
  getMaterializedView(
    keyspace: string,
    name: string,
    callback?: SomeCallback<MaterializedView | null>,
  ): Promise<MaterializedView | null> | undefined {
    return optionalCallback(this._getMaterializedView(keyspace, name), callback);
  }

  private async _getMaterializedView(keyspace: string, name: string): Promise<MaterializedView | null> {
    checkNames(keyspace, name, 'materialized view');
    const cache = await this.cacheOf(keyspace);
    if (cache === null) return null;
    const load = (): Promise<MaterializedView | null> => loadView(this.query, keyspace, name, this.resolveUdt);
    return cache === undefined ? load() : this.cached(cache.views, name, load, (v) => v !== null);
  }

  /** A user-defined type (`{ keyspace, name, fields: [{ name, type }] }`); null when it does not exist. */
  getUdt(keyspace: string, name: string): Promise<Udt>;
  getUdt(keyspace: string, name: string, callback: ValueCallback<Udt>): void;
  getUdt(keyspace: string, name: string, callback?: SomeCallback<Udt | null>): Promise<Udt | null> | undefined {
    return optionalCallback(this._getUdt(keyspace, name), callback);
  }

  private async _getUdt(keyspace: string, name: string): Promise<Udt | null> {
    checkNames(keyspace, name, 'user-defined type');
    const cache = await this.cacheOf(keyspace);
    if (cache === null) return null;
    const load = (): Promise<Udt | null> => loadUdt(this.query, keyspace, name, this.resolveUdt);
    return cache === undefined ? load() : this.cached(cache.udts, name, load, (u) => u !== null);
  }

  /** Every overload of a function ([] when there is none). */
  getFunctions(keyspace: string, name: string): Promise<SchemaFunction[]>;
  getFunctions(keyspace: string, name: string, callback: ValueCallback<SchemaFunction[]>): void;
  getFunctions(keyspace: string, name: string, callback?: SomeCallback<SchemaFunction[]>): Promise<SchemaFunction[]> | undefined {
    return optionalCallback(this.all(keyspace, name, false) as Promise<SchemaFunction[]>, callback);
  }

  /** The function with this signature (type names, or `{ code, info }` descriptors); null when none. */
  getFunction(keyspace: string, name: string, signature: Signature): Promise<SchemaFunction>;
  getFunction(keyspace: string, name: string, signature: Signature, callback: ValueCallback<SchemaFunction>): void;
  getFunction(
    keyspace: string,
    name: string,
    signature: Signature,
    callback?: SomeCallback<SchemaFunction | null>,
  ): Promise<SchemaFunction | null> | undefined {
    return optionalCallback(this.single(keyspace, name, signature, false) as Promise<SchemaFunction | null>, callback);
  }

  getAggregates(keyspace: string, name: string): Promise<Aggregate[]>;
  getAggregates(keyspace: string, name: string, callback: ValueCallback<Aggregate[]>): void;
  getAggregates(keyspace: string, name: string, callback?: SomeCallback<Aggregate[]>): Promise<Aggregate[]> | undefined {
    return optionalCallback(this.all(keyspace, name, true) as Promise<Aggregate[]>, callback);
  }

  getAggregate(keyspace: string, name: string, signature: Signature): Promise<Aggregate>;
  getAggregate(keyspace: string, name: string, signature: Signature, callback: ValueCallback<Aggregate>): void;
  getAggregate(
    keyspace: string,
    name: string,
    signature: Signature,
    callback?: SomeCallback<Aggregate | null>,
  ): Promise<Aggregate | null> | undefined {
    return optionalCallback(this.single(keyspace, name, signature, true) as Promise<Aggregate | null>, callback);
  }

  private async functionsMap(keyspace: string, name: string, aggregate: boolean): Promise<Map<string, SchemaFunction | Aggregate>> {
    if (!keyspace || !name) {
      throw new ArgumentError(
        `You must provide the keyspace name and cql ${aggregate ? 'aggregate' : 'function'} name to retrieve the metadata`,
      );
    }
    const cache = await this.cacheOf(keyspace);
    if (cache === null) return new Map();
    const load = (): Promise<Map<string, SchemaFunction | Aggregate>> =>
      loadFunctions(this.query, keyspace, name, aggregate, this.resolveUdt);
    if (cache === undefined) return load();
    return this.cached(aggregate ? cache.aggregates : cache.functions, name, load, (m) => m.size > 0);
  }

  private async all(keyspace: string, name: string, aggregate: boolean): Promise<Array<SchemaFunction | Aggregate>> {
    return [...(await this.functionsMap(keyspace, name, aggregate)).values()];
  }

  private async single(
    keyspace: string,
    name: string,
    signature: Signature,
    aggregate: boolean,
  ): Promise<SchemaFunction | Aggregate | null> {
    if (!keyspace || !name) {
      throw new ArgumentError(
        `You must provide the keyspace name and cql ${aggregate ? 'aggregate' : 'function'} name to retrieve the metadata`,
      );
    }
    if (!Array.isArray(signature)) throw new ArgumentError('Signature must be an array of types');
    const key = signature.map((t) => (typeof t === 'string' ? t : getDataTypeNameByCode(t))).join(',');
    return (await this.functionsMap(keyspace, name, aggregate)).get(key) ?? null;
  }

  // ---------------------------------------------------------------- traces, agreement

  /**
   * The trace of a request made with `traceQuery: true` (its `result.info.traceId`), with its events.
   * `consistency` defaults to ONE. Retries while the coordinator has not finished writing the session.
   */
  getTrace(traceId: Uuid, consistency?: number | null): Promise<QueryTrace>;
  getTrace(traceId: Uuid, callback: ValueCallback<QueryTrace>): void;
  getTrace(traceId: Uuid, consistency: number | null | undefined, callback: ValueCallback<QueryTrace>): void;
  getTrace(
    traceId: Uuid,
    consistency?: number | null | SomeCallback<QueryTrace>,
    callback?: SomeCallback<QueryTrace>,
  ): Promise<QueryTrace> | undefined {
    let cl = consistency;
    if (!callback && typeof cl === 'function') {
      callback = cl;
      cl = null;
    }
    return optionalCallback(this._getTrace(traceId, (cl as number | null | undefined) ?? 1), callback);
  }

  private async _getTrace(traceId: Uuid, consistency: number): Promise<QueryTrace> {
    this.checkInitialized();
    if (traceId === null || typeof traceId !== 'object') throw new ArgumentError('traceId must be a Uuid');
    return fetchTrace(traceId, (cql) => this.client.querySystem(cql, -1, consistency));
  }

  /**
   * One check, no retry: do the hosts agree on the schema version (system.local and system.peers of one
   * node)? false when they do not or when the check fails.
   */
  checkSchemaAgreement(): Promise<boolean>;
  checkSchemaAgreement(callback: ValueCallback<boolean>): void;
  checkSchemaAgreement(callback?: SomeCallback<boolean>): Promise<boolean> | undefined {
    return optionalCallback(this._checkSchemaAgreement(), callback);
  }

  private async _checkSchemaAgreement(): Promise<boolean> {
    // The engine's check (the control connection's system.local and system.peers; a handle's per-node poll),
    // the same one the client runs after DDL: one implementation of the rule.
    if (!this.client.connected || this.client.checkSchemaAgreement === undefined) return false;
    try {
      return await this.client.checkSchemaAgreement();
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- token ring

  private tokenMap(): TokenMap {
    const hosts = this.client.hosts.values();
    const key = TokenMap.keyOf(hosts);
    if (this.tokenMapCache === null || key !== this.tokenMapKey) {
      this.tokenMapCache = new TokenMap(hosts);
      this.tokenMapKey = key;
    }
    return this.tokenMapCache;
  }

  /**
   * The replicas of a partition: a serialized routing key (Buffer), a Token or a TokenRange (its end), primary
   * first (Cassandra's placement, racks included). Without a keyspace, the primary replica. [] when the
   * keyspace is not known or its strategy places nothing (LocalStrategy).
   */
  getReplicas(keyspace: string | null | undefined, token: Buffer | Uint8Array | Token | TokenRange): Host[] {
    const map = this.tokenMap();
    const t = token instanceof TokenRange ? token.end : token instanceof Token ? token : murmur3Tokenizer.hash(token);
    const i = map.rangeIndexOf(t);
    if (i < 0) return [];
    if (!keyspace) return [map.hosts[map.ring.owners[i]!]!];
    const ks = this.keyspaces[keyspace];
    return ks === undefined ? [] : map.replicasOf(ks, i);
  }

  /** The ranges of the ring: ]previous token, token] for every token (empty before connect). */
  getTokenRanges(): Set<TokenRange> {
    return new Set(this.tokenMap().ranges);
  }

  /** The ranges `host` holds a replica of for the keyspace; null when the keyspace is not known. */
  getTokenRangesForHost(keyspace: string, host: Host): Set<TokenRange> | null {
    const ks = this.keyspaces[keyspace];
    if (ks === undefined) return null;
    return this.tokenMap().rangesForHost(ks, host);
  }

  /** A token: the Murmur3 hash of a routing key (or of the concatenated components), or parsed from its text. */
  newToken(components: Buffer[] | Buffer | string): Token {
    if (Array.isArray(components)) return murmur3Tokenizer.hash(Buffer.concat(components));
    if (typeof components === 'string') return murmur3Tokenizer.parse(components);
    if (components instanceof Uint8Array) return murmur3Tokenizer.hash(components);
    throw new ArgumentError('newToken expects a Buffer, an array of Buffers or a string');
  }

  /** The range ]start, end]. */
  newTokenRange(start: Token, end: Token): TokenRange {
    if (!(start instanceof Token) || !(end instanceof Token)) throw new ArgumentError('newTokenRange expects two Tokens');
    return new TokenRange(start, end);
  }

  // ---------------------------------------------------------------- misc

  clearPrepared(): void {
    this.client.clearPrepared();
  }

  isDbaas(): boolean {
    return false;
  }
}

function checkNames(keyspace: unknown, name: unknown, what: string): void {
  if (typeof keyspace !== 'string' || typeof name !== 'string' || keyspace === '' || name === '') {
    throw new ArgumentError(`You must provide the keyspace name and the ${what} name`);
  }
}
