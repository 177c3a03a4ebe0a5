/**
 * The drop-in `Client` (cassandra-driver `lib/client.js`): the public API (execute, eachRow, stream, batch,
 * connect, shutdown, handles, events). A call becomes one request object (request/request.ts) that the
 * execution loop (request/execution.ts) encodes (request/encoder.ts), hands to the engine, retries as the
 * answer calls for, and decodes (request/result.ts); prepared statements are request/prepare.ts. Connections,
 * routing to replicas and shards live in the engine.
 */
import { EventEmitter } from 'node:events';
import { ArgumentError, NotSupportedError, NoHostAvailableError, type Row } from '@shardcql/core';
import { createEngine } from './engine';
import { HandleEngine, isEngineHandle, type EngineHandle } from './engine/handle-engine';
import type { Engine, EngineHost, EngineOptions } from './engine/engine';
import type { ShardMetrics } from './metrics/shard-metrics';
import { ClientMetrics, DefaultMetrics } from './metrics/client-metrics';
import { extend, toEngineOptions, type ClientOptions, type ResolvedClientOptions } from './client-options';
import { DefaultExecutionOptions, type QueryOptions } from './execution-options';
import { ProfileManager } from './execution-profile';
import { Host, HostMap } from './host';
import { PreparedInfo } from './prepared-cache';
import { ResultSet } from './result-set';
import { ResultStream } from './result-stream';
import { localDcPreflight } from './policies/local-dc';
import { ClientState } from './client-state';
import { Metadata } from './metadata';
import type { RequestTracker } from './tracker/request-tracker';
import {
  fromCallback,
  optionalCallback,
  toCallback,
  type Callback,
  type EmptyCallback,
  type SomeCallback,
  type ValueCallback,
} from './promise-utils';
import { preparedBatch, simpleBatch, type BatchQuery } from './request/batch';
import type { ClientContext } from './request/context';
import { RequestEncoder, codecOptionsOf } from './request/encoder';
import { RequestExecutor } from './request/execution';
import { TypeHints, type Params } from './request/params';
import { PrepareHandler } from './request/prepare';
import { Request } from './request/request';
import { ResultDecoder } from './request/result';
import { SystemOptions } from './request/system';

const LOCAL_ONE = 0x000a;

export type { Params, BatchQuery };
export type RowCallback = (n: number, row: Row) => void;

/** This thread's client per handle id (Client.fromHandle). */
const handleClients = new Map<string, Client>();

/** What `client.createHandle()` returns; pass it to another thread and call `Client.fromHandle` there. */
export interface ClientHandle {
  readonly kind: 'shardcql-client-handle';
  engine: EngineHandle;
  options: Record<string, unknown>;
}

export class Client extends EventEmitter implements ClientContext {
  readonly options: ResolvedClientOptions;
  readonly profileManager: ProfileManager;
  hosts: HostMap = new HostMap();
  /**
   * The session keyspace; updated by `USE` (set_keyspace results). Undefined without one, declared `string` as
   * in cassandra-driver.
   */
  keyspace: string;
  readonly metadata: Metadata;
  /** cassandra-driver's `client.metrics`: `options.metrics` or a DefaultMetrics. */
  readonly metrics: ClientMetrics;
  connected = false;
  connecting = false;
  isShuttingDown = false;

  private engine: Engine | null = null;
  private connectPromise: Promise<void> | null = null;
  private readonly engineFactory: (o: EngineOptions) => Engine;
  /** @internal options.requestTracker, or null. */
  readonly tracker: RequestTracker | null;
  /** The request path: encoder, result decoding, prepared statements, the execution loop. */
  private readonly encoder: RequestEncoder;
  private readonly results: ResultDecoder;
  private readonly prepare: PrepareHandler;
  private readonly executor: RequestExecutor;
  private readonly hints = new TypeHints();
  private readonly systemOptions: SystemOptions;

  constructor(options: ClientOptions, engineFactory?: (o: EngineOptions) => Engine) {
    super();
    this.options = extend(options);
    this.keyspace = this.options.keyspace as string;
    this.profileManager = new ProfileManager(this.options.profiles, this.options.policies.loadBalancing, this.options.policies.retry);
    this.metadata = new Metadata(this);
    this.metrics = this.options.metrics instanceof ClientMetrics ? this.options.metrics : new DefaultMetrics();
    this.tracker = (this.options.requestTracker as RequestTracker | null | undefined) ?? null;
    this.engineFactory = engineFactory ?? createEngine;
    const codec = codecOptionsOf(this.options);
    this.encoder = new RequestEncoder(codec);
    this.results = new ResultDecoder(this, codec);
    this.prepare = new PrepareHandler(this, this.encoder, this.results);
    this.executor = new RequestExecutor(this, this.encoder, this.prepare, this.results);
    this.systemOptions = new SystemOptions(this.options, (level, message) => this.log(level, message));
  }

  // ---------------------------------------------------------------- connect / shutdown

  connect(): Promise<void>;
  connect(callback: EmptyCallback): void;
  connect(callback?: SomeCallback<void>): Promise<void> | void {
    if (this.connected && this.connectPromise === null && callback) {
      (callback as Callback<void>)(null);
      return;
    }
    return optionalCallback(this._connect(), callback);
  }

  private async _connect(): Promise<void> {
    // Still loading the keyspace metadata (connected, not yet resolved): wait for the same connect.
    if (this.connectPromise !== null) return this.connectPromise;
    if (this.connected) return;
    // innerErrors null, as cassandra-driver's (client.js _connect).
    if (this.isShuttingDown)
      throw new NoHostAvailableError(null as unknown as Record<string, Error>, 'Connecting after shutdown is not supported');
    if (this.connectPromise === null) {
      this.connecting = true;
      this.connectPromise = this.doConnect().finally(() => {
        this.connectPromise = null;
      });
    }
    return this.connectPromise;
  }

  private async doConnect(): Promise<void> {
    const o = this.options;
    this.log('info', `Connecting to cluster using 'shardcql' version ${version}`);
    let engine: Engine | null = null;
    try {
      // shardcql.metrics (default true): per-shard counters in the workers (metrics/shard-metrics.ts).
      const eo: EngineOptions = toEngineOptions(o);
      eo.requiredDataCenter = o.localDataCenter ?? null;
      eo.checkDataCenters = (dcs) => {
        for (const lbp of this.profileManager.loadBalancingPolicies) {
          const err = localDcPreflight(lbp, o.localDataCenter ?? null, dcs);
          if (err !== null) throw err;
        }
      };
      engine = this.engineFactory(eo);
      this.engine = engine;
      this.listenTo(engine);
      await engine.connect();
      this.encoder.protocolVersion = engine.protocolVersion;
      this.results.protocolVersion = engine.protocolVersion;
      this.syncHosts();
      for (const lbp of this.profileManager.loadBalancingPolicies) {
        await fromCallback((cb) => lbp.init(this, this.hosts, cb));
      }
      o.policies.speculativeExecution.init(this);
      // cassandra-driver's default consistency once connected (client-options setMetadataDependent).
      if (o.queryOptions.consistency === undefined) o.queryOptions.consistency = LOCAL_ONE;
    } catch (err) {
      this.engine = null;
      if (engine !== null) await engine.shutdown().catch(() => undefined);
      this.connected = false;
      this.connecting = false;
      if ((err as Error).name === 'AuthenticationError') this.metrics.onAuthenticationError(err as Error);
      this.emit('connected', err);
      throw err;
    }
    this.connected = true;
    if (o.isMetadataSyncEnabled !== false) {
      // As cassandra-driver (control-connection.js): client.metadata.keyspaces is loaded once connect() resolves.
      // A failure only costs the metadata (logged), not the connection.
      await this.metadata.refreshKeyspaces().catch((err: Error) => this.log('warning', 'Keyspace metadata could not be retrieved', err));
    }
    this.connecting = false;
    this.emit('connected');
  }

  private listenTo(engine: Engine): void {
    engine.on('log', (level: string, message: string, furtherInfo?: unknown) => {
      this.emit('log', level, 'Engine', message, furtherInfo ?? '');
    });
    engine.on('hostUp', (h: EngineHost) => this.onHostState(h, true));
    engine.on('hostDown', (h: EngineHost) => this.onHostState(h, false));
    // The engine's own refresh (after TOPOLOGY_CHANGE) is what adds and removes hosts: mirror it then.
    engine.on('hostAdd', () => this.syncHosts());
    engine.on('hostRemove', () => this.syncHosts());
    engine.on('event', (event: { type: string; target?: string; keyspace?: string }) => {
      if (event.type === 'TOPOLOGY_CHANGE') this.syncHosts();
      else if (event.type === 'SCHEMA_CHANGE' && this.options.isMetadataSyncEnabled !== false && this.connected) {
        this.metadata.onSchemaChange(event).catch(() => undefined);
      }
    });
  }

  private onHostState(source: EngineHost, up: boolean): void {
    this.syncHosts();
    const host = this.hosts.get(source.address);
    if (host === undefined) return;
    host.setUp(up);
  }

  /** Mirrors the engine's host table into `hosts` (add, update, remove), emitting hostAdd / hostRemove. */
  private syncHosts(): void {
    const engine = this.engine;
    if (engine === null) return;
    const seen = new Set<string>();
    const list = engine.hosts;
    for (let i = 0; i < list.length; i++) {
      const src = list[i]!;
      seen.add(src.address);
      const existing = this.hosts.get(src.address);
      if (existing !== undefined && existing.index === i) {
        existing.update(src);
        continue;
      }
      const host = new Host(src, i);
      host.on('up', () => this.emit('hostUp', host));
      host.on('down', () => this.emit('hostDown', host));
      const isNew = existing === undefined;
      if (!isNew) existing.removeAllListeners();
      this.hosts.set(src.address, host);
      if (isNew && this.connected) this.emit('hostAdd', host);
    }
    for (const key of this.hosts.keys()) {
      if (seen.has(key)) continue;
      const host = this.hosts.get(key)!;
      this.hosts.remove(key);
      host.removeAllListeners();
      this.emit('hostRemove', host);
    }
  }

  /**
   * A handle another thread can use to send requests through this client's shard workers: post it to a
   * worker thread, or pass it in a piscina task, then call `Client.fromHandle(handle)` there. The other
   * thread gets its own ring pair to every shard worker; it opens no connection. Structured-clonable.
   * The handle carries a snapshot of the hosts and connections: a request it sends to a connection that has
   * closed since is moved by the worker to another connection of that host; new hosts need a new handle.
   * `threads`: how many threads may use it at once. A thread's rings are made when it calls fromHandle and
   * given back when that client shuts down or the thread ends; this client's shutdown fails the handle
   * threads' requests at once (engine/handle-engine.ts).
   */
  async createHandle(options: { threads?: number } = {}): Promise<ClientHandle> {
    await this._connect();
    const engine = this.engine;
    if (engine === null || engine.createHandle === undefined) {
      throw new NotSupportedError("This client's engine cannot give out handles");
    }
    const o = this.options;
    return {
      kind: 'shardcql-client-handle',
      engine: await engine.createHandle(options.threads ?? 16),
      options: {
        contactPoints: o.contactPoints,
        localDataCenter: o.localDataCenter,
        keyspace: this.keyspace,
        queryOptions: { ...o.queryOptions },
        socketOptions: { readTimeout: o.socketOptions.readTimeout },
        encoding: {
          copyBuffer: o.encoding.copyBuffer,
          useUndefinedAsUnset: o.encoding.useUndefinedAsUnset,
          useBigIntAsLong: o.encoding.useBigIntAsLong,
          useBigIntAsVarint: o.encoding.useBigIntAsVarint,
        },
      },
    };
  }

  /**
   * The client of this thread for `handle`, using the shard workers of the client that made it. A thread
   * gets one client per handle (made on first call, then the same one), so a piscina task can call this
   * every time, and a new one after that client was shut down.
   */
  static fromHandle(handle: ClientHandle): Client {
    if (handle === null || typeof handle !== 'object' || handle.kind !== 'shardcql-client-handle' || !isEngineHandle(handle.engine)) {
      throw new ArgumentError('Client.fromHandle expects the value returned by client.createHandle()');
    }
    const known = handleClients.get(handle.engine.id);
    if (known !== undefined && !known.isShuttingDown) return known;
    const engine = new HandleEngine(handle.engine);
    const client = new Client({ ...(handle.options as ClientOptions), isMetadataSyncEnabled: false }, () => engine);
    const id = handle.engine.id;
    handleClients.set(id, client);
    // Released (shut down, or its owner is gone): not kept for ever, a thread may go through many handles.
    engine.once('released', () => {
      if (handleClients.get(id) === client) handleClients.delete(id);
    });
    return client;
  }

  shutdown(): Promise<void>;
  shutdown(callback: EmptyCallback): void;
  shutdown(callback?: SomeCallback<void>): Promise<void> | void {
    return optionalCallback(this._shutdown(), callback);
  }

  private async _shutdown(): Promise<void> {
    this.log('info', 'Shutting down');
    if (!this.connected && !this.connecting) {
      this.connected = false;
      return;
    }
    if (this.connecting && this.connectPromise !== null) {
      this.log('warning', 'Shutting down while connecting');
      await this.connectPromise.catch(() => undefined);
    }
    this.connected = false;
    this.isShuttingDown = true;
    this.options.policies.speculativeExecution.shutdown();
    if (this.tracker !== null) this.tracker.shutdown();
    const engine = this.engine;
    if (engine !== null) await engine.shutdown();
  }

  // ---------------------------------------------------------------- execute

  execute(query: string, params?: Params, options?: QueryOptions | null): Promise<ResultSet>;
  execute(query: string, params: Params, options: QueryOptions | null | undefined, callback: ValueCallback<ResultSet>): void;
  execute(query: string, params: Params, callback: ValueCallback<ResultSet>): void;
  execute(query: string, callback: ValueCallback<ResultSet>): void;
  execute(query: string, params?: unknown, options?: unknown, callback?: SomeCallback<ResultSet>): Promise<ResultSet> | void {
    if (!callback) {
      if (typeof options === 'function') {
        callback = options as Callback<ResultSet>;
        options = null;
      } else if (typeof params === 'function') {
        callback = params as Callback<ResultSet>;
        params = null;
      }
    }
    // cassandra-driver calls a callback that is not a function later, an uncaught TypeError; refused here at once.
    if (callback !== undefined && callback !== null) validateFn(callback, 'callback');
    let promise: Promise<ResultSet>;
    try {
      const eo = DefaultExecutionOptions.create(options as QueryOptions | null, this);
      promise = this._execute(query, params as Params, eo);
    } catch (err) {
      promise = Promise.reject(err as Error);
    }
    return optionalCallback(promise, callback);
  }

  /**
   * @internal Executes one page; used by execute, eachRow, stream and the async iterator.
   * The common case (connected, prepared statement already cached) goes straight to the execution loop without
   * an extra async frame: one promise fewer per request.
   */
  _execute(query: string, params: Params, eo: DefaultExecutionOptions): Promise<ResultSet> {
    if (this.connected && typeof query === 'string' && eo.isPrepared()) {
      const prepare = this.prepare;
      const info = prepare.get(query, prepare.keyspaceOf(eo));
      if (info instanceof PreparedInfo) {
        let values: unknown[] | null;
        try {
          values = prepare.adaptParams(params, info);
        } catch (err) {
          return Promise.reject(err as Error);
        }
        return this.executor.run(Request.execute(query, info, values, eo));
      }
    }
    return this._executeSlow(query, params, eo);
  }

  private async _executeSlow(query: string, params: Params, eo: DefaultExecutionOptions): Promise<ResultSet> {
    if (typeof query !== 'string') throw new ArgumentError('Query must be a string');
    if (!this.connected) await this._connect();
    if (!eo.isPrepared()) return this.executor.run(this.hints.queryRequest(query, params, eo));
    const prepare = this.prepare;
    let info: PreparedInfo | Promise<PreparedInfo> = prepare.get(query, prepare.keyspaceOf(eo));
    if (!(info instanceof PreparedInfo)) info = await info;
    return this.executor.run(Request.execute(query, info, prepare.adaptParams(params, info), eo));
  }

  /**
   * @internal After a schema change, waits until every up node reports the same schema_version (bounded by
   * protocolOptions.maxSchemaAgreementWaitSeconds), as cassandra-driver's `_waitForSchemaAgreement`: the
   * engine's one check (through the control connection), every 200 ms. Never rejects.
   */
  waitForSchemaAgreement(): Promise<boolean> {
    const engine = this.engine;
    if (engine === null) return Promise.resolve(false);
    return engine.waitForSchemaAgreement(this.options.protocolOptions.maxSchemaAgreementWaitSeconds * 1000);
  }

  /** @internal One schema agreement check, the engine's (metadata.checkSchemaAgreement); false without an engine. */
  checkSchemaAgreement(): Promise<boolean> {
    const engine = this.engine;
    return engine === null ? Promise.resolve(false) : engine.checkSchemaAgreement();
  }

  /**
   * @internal A system query outside the application's options (system options: no timestamp, no paging, no
   * retry, no tracker or metrics), pinned to `hostIndex` when >= 0; its rows.
   */
  async querySystem(cql: string, hostIndex = -1, consistency = 1): Promise<Row[]> {
    const rs = await this.executor.run(Request.system(cql, this.systemOptions.get(consistency), hostIndex));
    return rs.rows ?? [];
  }

  // ---------------------------------------------------------------- eachRow / stream / batch

  eachRow(
    query: string,
    params: Params,
    options: QueryOptions | null | undefined,
    rowCallback: RowCallback,
    callback?: ValueCallback<ResultSet>,
  ): void;
  eachRow(query: string, params: Params, rowCallback: RowCallback, callback?: ValueCallback<ResultSet>): void;
  eachRow(query: string, rowCallback: RowCallback, callback?: ValueCallback<ResultSet>): void;
  eachRow(query: string, params?: unknown, options?: unknown, rowCallback?: unknown, callback?: unknown): void {
    let rowCb: RowCallback;
    let cb: Callback<ResultSet>;
    if (!callback && rowCallback && typeof options === 'function') {
      cb = validateFn(rowCallback, 'rowCallback') as Callback<ResultSet>;
      rowCb = options as RowCallback;
    } else {
      cb = (callback as Callback<ResultSet> | undefined) ?? noop;
      rowCb = validateFn(rowCallback ?? options ?? params, 'rowCallback') as RowCallback;
    }
    const p = (typeof params !== 'function' ? params : null) as Params;
    let eo: DefaultExecutionOptions;
    try {
      eo = DefaultExecutionOptions.create(
        typeof options === 'function' ? null : (options as QueryOptions | null),
        this,
        rowCb as (n: number, row: unknown) => void,
      );
    } catch (err) {
      cb(err as Error);
      return;
    }
    let rowLength = 0;
    const nextPage = (): void => toCallback(this._execute(query, p, eo), pageCallback);
    const pageCallback = (err: Error | null, result?: ResultSet): void => {
      if (err) {
        cb(err);
        return;
      }
      const rs = result!;
      rowLength += rs.rowLength;
      if (rs.rawPageState !== undefined) {
        eo.setPageState(rs.rawPageState);
        if (eo.isAutoPage()) {
          nextPage();
          return;
        }
        rs.nextPage = nextPage;
      }
      rs.rowLength = rowLength;
      cb(null, rs);
    };
    nextPage();
  }

  stream(query: string, params?: Params, options?: QueryOptions | null, callback?: EmptyCallback): ResultStream {
    const cb = (callback as Callback<void> | undefined) ?? noop;
    const stream = new ResultStream({ objectMode: true });
    const onFinish = (err: Error | null, result?: ResultSet): void => {
      if (err) stream.emit('error', err);
      if (result && typeof result.nextPage === 'function') {
        const next = result.nextPage as () => void;
        // Fetch the next page only once the consumer drained this one (back-pressure).
        stream.valve(() => {
          try {
            next();
          } catch (ex) {
            stream.emit('error', ex);
          }
        });
        return;
      }
      stream.valve(null);
      stream.add(null);
      cb(err);
    };
    let sync = true;
    this.eachRow(
      query,
      params as Params,
      options,
      (n: number, row: Row) => {
        stream.add(row);
      },
      (err: Error | null, result?: ResultSet) => {
        if (sync) setImmediate(() => onFinish(err, result));
        else onFinish(err, result);
      },
    );
    sync = false;
    return stream;
  }

  batch(queries: BatchQuery[], options?: QueryOptions | null): Promise<ResultSet>;
  batch(queries: BatchQuery[], options: QueryOptions | null | undefined, callback: ValueCallback<ResultSet>): void;
  batch(queries: BatchQuery[], callback: ValueCallback<ResultSet>): void;
  batch(queries: BatchQuery[], options?: unknown, callback?: SomeCallback<ResultSet>): Promise<ResultSet> | void {
    if (!callback && typeof options === 'function') {
      callback = options as Callback<ResultSet>;
      options = null;
    }
    if (callback !== undefined && callback !== null) validateFn(callback, 'callback');
    return optionalCallback(this._batch(queries, options as QueryOptions | null), callback);
  }

  private async _batch(queries: BatchQuery[], options: QueryOptions | null | undefined): Promise<ResultSet> {
    if (!Array.isArray(queries)) throw new ArgumentError('Queries should be an Array');
    if (queries.length === 0) throw new ArgumentError('Queries array should not be empty');
    if (!this.connected) await this._connect();
    const eo = DefaultExecutionOptions.create(options, this);
    const req = eo.isPrepared() ? await preparedBatch(queries, eo, this.prepare) : simpleBatch(queries, eo, this.hints);
    return this.executor.run(req);
  }

  // ---------------------------------------------------------------- state, helpers

  getReplicas(keyspace: string, token: Buffer): Host[] {
    return this.metadata.getReplicas(keyspace, token);
  }

  getState(): ClientState {
    return ClientState.from(this, this.engine);
  }

  log(level: string, message: string, furtherInfo?: unknown): void {
    if (this.listenerCount('log') === 0) return;
    this.emit('log', level, this.constructor.name, message, furtherInfo ?? '');
  }

  /** @internal */
  /**
   * shardcql only: one plain object per connection, i.e. per (host, shard, worker), read from the shard
   * workers' shared counters without a message (see metrics/shard-metrics.ts). Empty before connect(),
   * with `shardcql: { metrics: false }`, and in a client made from a handle.
   */
  getShardMetrics(): ShardMetrics[] {
    return this.engine?.getShardMetrics?.() ?? [];
  }

  getEngine(): Engine | null {
    return this.engine;
  }

  /** @internal Forgets the prepared statements (metadata.clearPrepared). */
  clearPrepared(): void {
    this.prepare.clear();
  }

  /** @internal */
  requireEngine(): Engine {
    const engine = this.engine;
    if (engine === null) throw new NoHostAvailableError({}, this.isShuttingDown ? 'Client is shut down' : 'Client is not connected');
    return engine;
  }
}

function noop(): void {}

function validateFn(fn: unknown, name: string): (...args: never[]) => unknown {
  if (typeof fn !== 'function') throw new ArgumentError(`${name} is not a function`);
  return fn as (...args: never[]) => unknown;
}

export const version: string = (require('../package.json') as { version: string }).version;
