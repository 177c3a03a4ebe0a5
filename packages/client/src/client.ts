/**
 * The drop-in `Client` (cassandra-driver `lib/client.js`). The facade encodes request bodies into one reused
 * ByteWriter and one reused QueryParameters, hands the bytes to the engine (which copies them before `send`
 * returns), and decodes the answer into a ResultSet. Prepared statements, re-prepare on UNPREPARED, the retry
 * policy, paging, eachRow, stream and batch live here; connections, routing to replicas and shards live in the
 * engine.
 */
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import {
  ArgumentError,
  NotSupportedError,
  ByteWriter,
  DriverInternalError,
  NoHostAvailableError,
  OperationTimedOutError,
  ResponseError,
  TABLETS_PAYLOAD_KEY,
  decodeError,
  decodeResult,
  defaultCodecOptions,
  encodeBatch,
  encodeExecute,
  encodePrepare,
  encodeQuery,
  frameFlags,
  murmur3TokenHiLo,
  newQueryParameters,
  opcodes,
  parseTypeName,
  readResponsePrelude,
  unset,
  writeValue,
  type BatchEntry,
  type CodecOptions,
  type ColumnInfo,
  type DataType,
  type QueryParameters,
  type Row,
} from '@shardcql/core';
import { createEngine } from './engine';
import { RemoteEngine, isEngineHandle, type EngineHandle } from './engine/remote-engine';
import type { Engine, EngineHost, EngineOptions, ResponseFrame } from './engine/engine';
import { EngineRequest } from './engine/request';
import type { ShardMetrics } from './metrics/shard-metrics';
import { ClientMetrics, DefaultMetrics, reportError, reportRetry, type HrTime } from './metrics/client-metrics';
import { extend, toEngineOptions, type ClientOptions, type ResolvedClientOptions } from './client-options';
import { DefaultExecutionOptions, type ExecutionOptions, type QueryOptions } from './execution-options';
import { ProfileManager } from './execution-profile';
import { Host, HostMap } from './host';
import { PreparedCache, PreparedInfo } from './prepared-cache';
import { ResultSet, type ExecutionInfo } from './result-set';
import { ResultStream } from './result-stream';
import { RetryPolicy, type DecisionInfo, type OperationInfo } from './policies/retry';
import { localDcPreflight } from './policies/local-dc';
import { NoSpeculativeExecutionPolicy } from './policies/speculative-execution';
import { SpeculativeRun } from './speculative-send';
import { ClientState } from './client-state';
import { Metadata } from './metadata';
import type { RequestTracker, TrackedQuery } from './tracker/request-tracker';
import { delay, fromCallback, optionalCallback, toCallback, type Callback, type EmptyCallback, type SomeCallback, type ValueCallback } from './promise-utils';

/*
 * Hot-path bindings resolved once: CommonJS re-exports (`export *`) are property getters, so reading
 * `core.encodeExecute` or `opcodes.execute` per request would walk the re-export chain every time.
 */
const OP_QUERY: number = opcodes.query;
const OP_EXECUTE: number = opcodes.execute;
const OP_BATCH: number = opcodes.batch;
const OP_PREPARE: number = opcodes.prepare;
const OP_RESULT: number = opcodes.result;
const OP_ERROR: number = opcodes.error;
const FLAG_TRACING: number = frameFlags.tracing;
const FLAG_CUSTOM_PAYLOAD: number = frameFlags.customPayload;
const UNSET: unknown = unset;
const fEncodeQuery = encodeQuery;
const fEncodeExecute = encodeExecute;
const fEncodeBatch = encodeBatch;
const fEncodePrepare = encodePrepare;
const fReadPrelude = readResponsePrelude;
const fDecodeResult = decodeResult;
const fDecodeError = decodeError;
const fMurmur3 = murmur3TokenHiLo;
const fWriteValue = writeValue;

/** Response error codes the client acts on (spec section 9 / v5 section 8). */
const ERR_UNAVAILABLE = 0x1000;
const ERR_OVERLOADED = 0x1001;
const ERR_IS_BOOTSTRAPPING = 0x1002;
const ERR_TRUNCATE = 0x1003;
const ERR_WRITE_TIMEOUT = 0x1100;
const ERR_READ_TIMEOUT = 0x1200;
const ERR_UNPREPARED = 0x2500;

const LOCAL_ONE = 0x000a;

/** Request kinds of `run` (one code path for QUERY, EXECUTE and BATCH). */
const KIND_QUERY = 0;
const KIND_EXECUTE = 1;
const KIND_BATCH = 2;

export type Params = unknown[] | Record<string, unknown> | null | undefined;
export type RowCallback = (n: number, row: Row) => void;
export type BatchQuery = string | { query: string; params?: Params };

const RETHROW: DecisionInfo = { decision: RetryPolicy.retryDecision.rethrow };

/** The request writer's initial size, and the size past which it is given back after a request (see releaseLargeBuffers). */
const WRITER_SIZE = 64 * 1024;
const MAX_KEPT_WRITER = 4 * 1024 * 1024;
const SCRATCH_SIZE = 256;

/** Resends of a request the engine reports as never sent (see run). */
const MAX_NOT_SENT_RETRIES = 2;

/** This thread's client per handle id (Client.fromHandle). */
const handleClients = new Map<string, Client>();

/** What `client.createHandle()` returns; pass it to another thread and call `Client.fromHandle` there. */
export interface ClientHandle {
  readonly kind: 'shardcql-client-handle';
  engine: EngineHandle;
  options: Record<string, unknown>;
}

export class Client extends EventEmitter {
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
  private protocolVersion = 0;
  private readonly engineFactory: (o: EngineOptions) => Engine;
  private readonly prepared: PreparedCache;
  /** Hot-path state reused by every request: the body writer, the query parameters, routing scratch space. */
  private readonly writer = new ByteWriter(WRITER_SIZE);
  private readonly routingWriter = new ByteWriter(SCRATCH_SIZE);
  private readonly valueWriter = new ByteWriter(SCRATCH_SIZE);
  private readonly qp: QueryParameters = newQueryParameters();
  private readonly token = new Int32Array(2);
  private readonly codec: CodecOptions;
  private readonly hintCache = new Map<string, DataType>();
  /** `info.triedHosts` of requests answered by the first host tried, per address (read-only by convention). */
  private readonly triedOnce = new Map<string, Record<string, Error | null>>();
  private routingKeyspace: string | null = null;
  /** The table last given to engine.setRoutingTable (ScyllaDB tablets routing). */
  private routingTableKs: string | null = null;
  private routingTableName: string | null = null;
  /** options.requestTracker, or null: the request loop tests it once per answer. */
  private readonly tracker: RequestTracker | null;
  /** The speculative execution policy is not NoSpeculativeExecutionPolicy: the request loop's one test. */
  private readonly speculative: boolean;

  constructor(options: ClientOptions, engineFactory?: (o: EngineOptions) => Engine) {
    super();
    this.options = extend(options);
    this.keyspace = this.options.keyspace as string;
    this.profileManager = new ProfileManager(this.options.profiles, this.options.policies.loadBalancing, this.options.policies.retry);
    this.prepared = new PreparedCache(this.options.maxPrepared);
    this.metadata = new Metadata(this);
    this.metrics = this.options.metrics instanceof ClientMetrics ? this.options.metrics : new DefaultMetrics();
    this.tracker = (this.options.requestTracker as RequestTracker | null | undefined) ?? null;
    this.speculative = !(this.options.policies.speculativeExecution instanceof NoSpeculativeExecutionPolicy);
    this.engineFactory = engineFactory ?? createEngine;
    const enc = this.options.encoding;
    this.codec = defaultCodecOptions();
    this.codec.copyBuffer = enc.copyBuffer !== false;
    this.codec.useUndefinedAsUnset = enc.useUndefinedAsUnset !== false;
    this.codec.useBigIntAsLong = !!enc.useBigIntAsLong;
    this.codec.useBigIntAsVarint = !!enc.useBigIntAsVarint;
    this.codec.map = (enc.map as CodecOptions['map']) ?? null;
    this.codec.set = (enc.set as CodecOptions['set']) ?? null;
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
    if (this.isShuttingDown) throw new NoHostAvailableError(null as unknown as Record<string, Error>, 'Connecting after shutdown is not supported');
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
      this.protocolVersion = engine.protocolVersion;
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
   * threads' requests at once (engine/remote-engine.ts).
   */
  async createHandle(options: { threads?: number } = {}): Promise<ClientHandle> {
    await this._connect();
    const engine = this.engine;
    if (engine === null || engine.createHandle === undefined) {
      throw new NotSupportedError('This client\'s engine cannot give out handles');
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
    const engine = new RemoteEngine(handle.engine);
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
   * The common case (connected, prepared statement already cached) goes straight to `run` without an
   * extra async frame: one promise fewer per request.
   */
  _execute(query: string, params: Params, eo: DefaultExecutionOptions): Promise<ResultSet> {
    if (this.connected && typeof query === 'string' && eo.isPrepared()) {
      const info = this.getPrepared(query, this.queryKeyspace(eo));
      if (info instanceof PreparedInfo) {
        let values: unknown[] | null;
        try {
          values = this.adaptPreparedParams(params, info);
        } catch (err) {
          return Promise.reject(err as Error);
        }
        return this.run(KIND_EXECUTE, query, info, values, info.bindTypes, null, null, eo);
      }
    }
    return this._executeSlow(query, params, eo);
  }

  private async _executeSlow(query: string, params: Params, eo: DefaultExecutionOptions): Promise<ResultSet> {
    if (typeof query !== 'string') throw new ArgumentError('Query must be a string');
    if (!this.connected) await this._connect();
    if (eo.isPrepared()) {
      const queryKeyspace = this.queryKeyspace(eo);
      let info: PreparedInfo | Promise<PreparedInfo> = this.getPrepared(query, queryKeyspace);
      if (!(info instanceof PreparedInfo)) info = await info;
      const values = this.adaptPreparedParams(params, info);
      return this.run(KIND_EXECUTE, query, info, values, info.bindTypes, null, null, eo);
    }
    let values: unknown[] | null = null;
    let names: string[] | null = null;
    let types: Array<DataType | null> | null = null;
    const hints = eo.getHints();
    if (params !== null && params !== undefined) {
      if (Array.isArray(params)) {
        values = params;
        if (hints) types = this.parseHints(hints, params.length, null);
      } else if (typeof params === 'object') {
        // Named values (flag 0x40): names are lower-cased, as cassandra-driver does (utils.adaptNamedParamsWithHints).
        const keys = Object.keys(params);
        values = new Array<unknown>(keys.length);
        names = new Array<string>(keys.length);
        for (let i = 0; i < keys.length; i++) {
          names[i] = keys[i]!.toLowerCase();
          values[i] = (params as Record<string, unknown>)[keys[i]!];
        }
        if (hints) types = this.parseHints(hints, keys.length, keys);
      } else {
        throw new ArgumentError('Parameters must be an Array or an Object');
      }
    }
    return this.run(KIND_QUERY, query, null, values, types, names, null, eo);
  }

  /** Hints as DataTypes: strings go through parseTypeName (cached), DataType objects pass as they are. */
  private parseHints(hints: NonNullable<QueryOptions['hints']>, n: number, keys: string[] | null): Array<DataType | null> {
    const out = new Array<DataType | null>(n);
    for (let i = 0; i < n; i++) {
      const h = keys === null
        ? (Array.isArray(hints) ? hints[i] : undefined)
        : (Array.isArray(hints) ? hints[i] : (hints as Record<string, string | DataType>)[keys[i]!]);
      out[i] = this.toDataType(h);
    }
    return out;
  }

  private toDataType(h: unknown): DataType | null {
    if (h === null || h === undefined) return null;
    if (typeof h === 'string') {
      const cached = this.hintCache.get(h);
      if (cached !== undefined) return cached;
      const parsed: DataType = parseTypeName(h);
      this.hintCache.set(h, parsed);
      return parsed;
    }
    if (typeof h === 'object' && typeof (h as DataType).code === 'number') return h as DataType;
    if (typeof h === 'number') return { code: h, info: null };
    throw new ArgumentError(`Invalid type hint: ${String(h)}`);
  }

  /** Per-query keyspace (v5) else the session keyspace: the prepared cache key, as cassandra-driver's. */
  private queryKeyspace(eo: ExecutionOptions): string | null {
    const ks = this.protocolVersion >= 5 ? eo.getKeyspace() : undefined;
    return ks || this.keyspace || null;
  }

  /** Object parameters of a prepared statement, mapped to the bind markers by (lower-cased) name. */
  private adaptPreparedParams(params: Params, info: PreparedInfo): unknown[] | null {
    if (params === null || params === undefined) return null;
    if (Array.isArray(params)) return params;
    if (typeof params !== 'object') throw new ArgumentError('Parameters must be an Array or an Object');
    const columns = info.bindMetadata?.columns;
    if (!columns || columns.length === 0) return null;
    const lower: Record<string, unknown> = {};
    for (const key of Object.keys(params)) lower[key.toLowerCase()] = params[key];
    const values = new Array<unknown>(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const name = columns[i]!.name;
      if (!Object.prototype.hasOwnProperty.call(lower, name)) throw new ArgumentError(`Parameter "${name}" not defined`);
      values[i] = lower[name];
    }
    return values;
  }

  // ---------------------------------------------------------------- prepared statements

  /** The cached statement (ready), or the promise of the PREPARE in flight (shared by concurrent callers). */
  private getPrepared(query: string, queryKeyspace: string | null): PreparedInfo | Promise<PreparedInfo> {
    const key = PreparedCache.key(queryKeyspace, query);
    const cached = this.prepared.get(key);
    if (cached !== undefined) return cached.id !== null ? cached : cached.promise!;
    const perQueryKs = this.protocolVersion >= 5 && queryKeyspace !== (this.keyspace ?? null) ? queryKeyspace : null;
    const info = new PreparedInfo(query, perQueryKs);
    info.promise = this.prepareOn(info, -1).then(
      (i) => {
        if (this.options.prepareOnAllHosts && this.hosts.length > 1) this.prepareOnOtherHosts(info);
        return i;
      },
      (err: Error) => {
        this.prepared.delete(key);
        throw err;
      },
    );
    // The promise is awaited by whoever asked; this no-op keeps an eviction-only rejection from being unhandled.
    info.promise.catch(() => undefined);
    this.prepared.set(key, info);
    return info.promise;
  }

  /** Sends PREPARE (to `hostIndex`, or where the engine picks) and fills `info` from the PREPARED result. */
  private async prepareOn(info: PreparedInfo, hostIndex: number): Promise<PreparedInfo> {
    const engine = this.requireEngine();
    const w = this.writer;
    w.reset();
    fEncodePrepare(w, this.protocolVersion, info.query, info.keyspace);
    const pending = engine.send(EngineRequest.of(OP_PREPARE, w.buf, w.pos, this.options.socketOptions.readTimeout, hostIndex));
    if (w.buf.length > MAX_KEPT_WRITER) this.releaseLargeBuffers();
    const frame = await pending;
    const body = frame.body;
    const prelude = fReadPrelude(body, 0, body.length, frame.flags);
    if (frame.opcode === OP_ERROR) {
      const err = fDecodeError(body, prelude.offset, body.length, this.protocolVersion);
      // Only the query, as cassandra-driver (prepare-handler.js): a PREPARE is not an execution, no `coordinator`.
      (err as ResponseError & { query?: string }).query = info.query;
      throw err;
    }
    const result = fDecodeResult(body, prelude.offset, body.length, this.protocolVersion, this.codec, null);
    if (result.kind !== 4) throw new DriverInternalError(`Unexpected RESULT kind ${result.kind} for PREPARE`);
    this.prepared.setId(info, result.id);
    info.resultMetadataId = result.resultMetadataId;
    info.bindMetadata = result.bindMetadata;
    info.resultMetadata = result.resultMetadata;
    const cols = result.bindMetadata.columns ?? [];
    info.bindTypes = cols.map((c) => c.type);
    return info;
  }

  /** One PREPARE per (statement, host) however many requests met UNPREPARED at once (cassandra-driver prepareOnce). */
  private reprepare(info: PreparedInfo, hostIndex: number): Promise<PreparedInfo> {
    const inFlight = info.repreparing ??= new Map<number, Promise<PreparedInfo>>();
    let p = inFlight.get(hostIndex);
    if (p === undefined) {
      p = this.prepareOn(info, hostIndex).finally(() => inFlight.delete(hostIndex));
      inFlight.set(hostIndex, p);
    }
    return p;
  }

  private prepareOnOtherHosts(info: PreparedInfo): void {
    const engine = this.engine;
    if (engine === null) return;
    const w = this.writer;
    w.reset();
    fEncodePrepare(w, this.protocolVersion, info.query, info.keyspace);
    engine.sendToAllHosts(OP_PREPARE, w.buf, w.pos, this.options.socketOptions.readTimeout).catch((err: Error) => {
      this.log('warning', `Prepare on all hosts failed: ${err.message}`, err);
    });
    if (w.buf.length > MAX_KEPT_WRITER) this.releaseLargeBuffers();
  }

  // ---------------------------------------------------------------- the request loop

  /**
   * Encodes and sends one request, applying UNPREPARED re-preparation and the retry policy, and decodes the
   * answer. Encoding happens right before each `engine.send` because the writer is shared by all requests.
   */
  private async run(kind: number, query: string, info: PreparedInfo | null, values: readonly unknown[] | null,
    types: readonly (DataType | null)[] | null, names: readonly string[] | null, entries: BatchEntry[] | null,
    eo: DefaultExecutionOptions): Promise<ResultSet> {
    const engine = this.requireEngine();
    const fixed = eo.getFixedHost();
    // A fixed host by its address, not by the index it carries: a Host kept from before a topology change (or
    // from another client) would point at whichever host now has that index.
    const fixedIndex = fixed ? this.indexOf(fixed.address) : -1;
    if (fixed && fixedIndex < 0) {
      throw new NoHostAvailableError({}, `Host ${String(fixed.address)} (execution option host) is not a host of this client`);
    }
    let hostIndex = fixedIndex;
    let consistency = eo.getConsistency() ?? LOCAL_ONE;
    const timeout = eo.getReadTimeout() ?? 12000;
    const timestamp = eo.getOrGenerateTimestamp();
    let triedHosts: Record<string, Error | null> | null = null;
    let retryCount = 0;
    let notSentRetries = 0;
    let reprepared = false;
    const metrics = this.metrics;
    const tracker = this.tracker;
    // One clock read per request only when someone consumes latencies (ClientMetrics.timed, a tracker).
    const started: HrTime | null = metrics.timed || tracker !== null ? process.hrtime() : null;
    // Speculative executions: idempotent requests without a fixed host (cassandra-driver's rule).
    const spec = this.speculative && !fixed && eo.isIdempotent()
      ? new SpeculativeRun(this.options.policies.speculativeExecution.newPlan(this.keyspace ?? null, query), metrics) : null;
    // The request object of this execute (engine/request.ts): refilled before each send of the loop below.
    const req = new EngineRequest();
    req.idempotent = eo.isIdempotent();
    for (;;) {
      let flags: number;
      try {
        flags = this.encode(kind, query, info, values, types, names, entries, eo, consistency, timestamp);
      } catch (e) {
        this.releaseLargeBuffers();
        throw this.withRequestFields(e, engine, kind, query, info, values, entries, eo, hostIndex);
      }
      let hasToken: boolean;
      try {
        hasToken = this.computeToken(kind, info, values, entries, eo);
      } catch (e) {
        this.releaseLargeBuffers();
        throw e;
      }
      if (hasToken && info !== null) this.followRoutingKeyspace(engine, info);
      if (hasToken) this.followRoutingTable(engine, info);
      // Read before the await: the shared writer holds other requests by the time this one settles.
      const requestLength = this.writer.pos + 9;
      let frame: ResponseFrame;
      try {
        // ---- the send (engine/request.ts): speculative executions send the body again later, so own a copy of it.
        const speculate = spec !== null && hostIndex < 0;
        req.setMessage(kind === KIND_BATCH ? OP_BATCH : kind === KIND_EXECUTE ? OP_EXECUTE : OP_QUERY, flags,
          speculate ? Buffer.from(this.writer.buf.subarray(0, this.writer.pos)) : this.writer.buf, this.writer.pos, timeout);
        req.setToken(hasToken, this.token[0]!, this.token[1]!);
        req.lwt = info !== null && this.isLwt(engine, info);
        req.hostIndex = hostIndex;
        const pending = speculate ? spec.send(engine, req) : engine.send(req);
        // ---- end of the send
        // The engine copied the body before send returned: give back what an unusually large request grew.
        if (this.writer.buf.length > MAX_KEPT_WRITER || this.routingWriter.buf.length > MAX_KEPT_WRITER) this.releaseLargeBuffers();
        frame = await pending;
      } catch (e) {
        // A send that threw before handing the body over keeps no huge buffer either.
        if (this.writer.buf.length > MAX_KEPT_WRITER) this.releaseLargeBuffers();
        const err = e as Error & { host?: string; coordinator?: string; wasNotSent?: boolean };
        // Never written to a socket (the connection had just gone): safe to send again whatever the
        // statement's idempotence; the engine picks another open connection.
        if (err.wasNotSent === true && notSentRetries < MAX_NOT_SENT_RETRIES) {
          notSentRetries++;
          hostIndex = fixed ? fixedIndex : -1;
          continue;
        }
        const address = err.host ?? err.coordinator;
        // cassandra-driver names the host of every failed execution (request-execution.js _handleError).
        if (address !== undefined && err.coordinator === undefined) err.coordinator = address;
        if (address !== undefined) (triedHosts ??= {})[address] = err;
        if (tracker !== null) this.trackError(tracker, address, kind, query, values, names, entries, eo, requestLength, err, started!);
        // Client-side timeouts and broken connections: retried only for idempotent requests (request-execution.js).
        let decision = RETHROW;
        if (err instanceof OperationTimedOutError || (err as { isSocketError?: boolean }).isSocketError) {
          if (eo.isIdempotent()) decision = eo.getRetryPolicy()!.onRequestError(this.operationInfo(query, eo, retryCount), consistency, err);
        }
        const clientTimeout = err instanceof OperationTimedOutError;
        if (decision.decision === RetryPolicy.retryDecision.retry) {
          retryCount++;
          reportRetry(metrics, err, clientTimeout);
          if (typeof decision.consistency === 'number') consistency = decision.consistency;
          hostIndex = fixed ? fixedIndex : decision.useCurrentHost !== false && address !== undefined ? this.indexOf(address) : this.nextHost(engine, triedHosts ?? {});
          if (hostIndex === -1) {
            reportError(metrics, err, clientTimeout);
            throw new NoHostAvailableError(errorsOf(triedHosts));
          }
          continue;
        }
        if (decision.decision === RetryPolicy.retryDecision.ignore) {
          metrics.onIgnoreError(err);
          return this.emptyResult(address, triedHosts ?? {}, consistency);
        }
        reportError(metrics, err, clientTimeout);
        if (kind !== KIND_BATCH) (err as Error & { query?: string }).query = query;
        throw err;
      }
      const address = this.addressOf(frame.hostIndex);
      if (frame.opcode !== OP_ERROR) {
        if (triedHosts === null) {
          // First try succeeded (the common case): one shared { [address]: null } per host, not a new dictionary.
          let shared = this.triedOnce.get(address);
          if (shared === undefined) {
            shared = { [address]: null };
            this.triedOnce.set(address, shared);
          }
          triedHosts = shared;
        } else if (!(address in triedHosts)) triedHosts[address] = null;
        if (started !== null) {
          const latency = process.hrtime(started);
          metrics.onResponse(latency);
          metrics.onSuccessfulResponse(latency);
        }
        if (tracker !== null) this.trackSuccess(tracker, address, kind, query, values, names, entries, eo, requestLength, frame.body.length + 9, started!);
        if (spec !== null && spec.executions > 0) {
          return withSpeculativeCount(this.toResultSet(frame, address, triedHosts, consistency, kind, query, info, values, types, names, eo), spec.executions);
        }
        return this.toResultSet(frame, address, triedHosts, consistency, kind, query, info, values, types, names, eo);
      }
      const body = frame.body;
      const prelude = fReadPrelude(body, 0, body.length, frame.flags);
      const err = fDecodeError(body, prelude.offset, body.length, this.protocolVersion) as ResponseError & { query?: string };
      err.coordinator = address;
      (triedHosts ??= {})[address] = err;
      if (tracker !== null) this.trackError(tracker, address, kind, query, values, names, entries, eo, requestLength, err, started!);
      if (err.code === ERR_UNPREPARED && !reprepared) {
        // The node lost the statement (restart, schema change, eviction): prepare again on that node, retry once.
        reprepared = true;
        const target = info ?? (err.queryId ? this.prepared.getById(err.queryId) ?? null : null);
        if (target === null) throw new DriverInternalError(`Unprepared response invalid, id: 0x${err.queryId?.toString('hex') ?? ''}`);
        this.log('info', `Query 0x${err.queryId?.toString('hex') ?? ''} not prepared on host ${address}, preparing and retrying`);
        const oldId = target.id;
        await this.reprepare(target, frame.hostIndex);
        if (entries !== null && oldId !== null) {
          for (const e of entries) if (e.id !== null && Buffer.compare(e.id, oldId) === 0) e.id = target.id;
        }
        hostIndex = frame.hostIndex;
        continue;
      }
      if (started !== null) metrics.onResponse(process.hrtime(started));
      const decision = this.decide(err, query, eo, retryCount, consistency);
      if (decision.decision === RetryPolicy.retryDecision.retry) {
        retryCount++;
        reportRetry(metrics, err, false);
        this.log('info', 'Retrying request');
        if (typeof decision.consistency === 'number') consistency = decision.consistency;
        hostIndex = fixed ? fixedIndex : decision.useCurrentHost !== false ? frame.hostIndex : this.nextHost(engine, triedHosts);
        if (hostIndex === -1) {
          reportError(metrics, err, false);
          throw new NoHostAvailableError(errorsOf(triedHosts));
        }
        continue;
      }
      if (decision.decision === RetryPolicy.retryDecision.ignore) {
        metrics.onIgnoreError(err);
        return this.emptyResult(address, triedHosts, consistency);
      }
      reportError(metrics, err, false);
      if (kind !== KIND_BATCH) err.query = query;
      throw err;
    }
  }

  /**
   * A value that does not encode fails in cassandra-driver while the request is written to the first host of
   * its plan: the error then carries that host as `coordinator`, and the query (not for a batch).
   */
  private withRequestFields(e: unknown, engine: Engine, kind: number, query: string, info: PreparedInfo | null,
    values: readonly unknown[] | null, entries: BatchEntry[] | null, eo: DefaultExecutionOptions, hostIndex: number): unknown {
    if (e === null || typeof e !== 'object') return e;
    const err = e as { coordinator?: string; query?: string };
    let target = hostIndex;
    if (target < 0) {
      let hasToken = false;
      try {
        hasToken = this.computeToken(kind, info, values, entries, eo);
      } catch {
        // The routing key does not encode either: the plan without a token.
      }
      const plan = engine.queryPlan?.(this.token[0]!, this.token[1]!, hasToken, false) ?? [];
      target = plan.length > 0 ? plan[0]! : engine.hosts.findIndex((h) => h.up);
    }
    if (target >= 0 && err.coordinator === undefined) err.coordinator = this.addressOf(target);
    if (kind !== KIND_BATCH) err.query = query;
    return e;
  }

  private trackSuccess(tracker: RequestTracker, address: string, kind: number, query: string, values: readonly unknown[] | null,
    names: readonly string[] | null, entries: BatchEntry[] | null, eo: DefaultExecutionOptions, requestLength: number,
    responseLength: number, started: HrTime): void {
    try {
      tracker.onSuccess(this.hosts.get(address) ?? { address }, this.trackedQuery(kind, query, entries), trackedParams(kind, values, names),
        eo, requestLength, responseLength, process.hrtime(started));
    } catch (err) {
      this.log('warning', 'The request tracker threw from onSuccess', err);
    }
  }

  private trackError(tracker: RequestTracker, address: string | undefined, kind: number, query: string, values: readonly unknown[] | null,
    names: readonly string[] | null, entries: BatchEntry[] | null, eo: DefaultExecutionOptions, requestLength: number,
    error: Error, started: HrTime): void {
    try {
      const host = address !== undefined ? this.hosts.get(address) ?? { address } : { address: 'unknown' };
      tracker.onError(host, this.trackedQuery(kind, query, entries), trackedParams(kind, values, names), eo, requestLength, error,
        process.hrtime(started));
    } catch (err) {
      this.log('warning', 'The request tracker threw from onError', err);
    }
  }

  /** A batch as cassandra-driver hands it to trackers: `[{query, params}]`, prepared ones by their text. */
  private trackedQuery(kind: number, query: string, entries: BatchEntry[] | null): TrackedQuery {
    if (kind !== KIND_BATCH || entries === null) return query;
    return entries.map((e) => ({
      query: e.query ?? (e.id !== null ? this.prepared.getById(e.id as Buffer)?.query ?? '' : ''),
      params: e.values ?? undefined,
    }));
  }

  /**
   * ScyllaDB marks a prepared LWT in its bind-metadata flags with the mask it announced in SUPPORTED
   * (SCYLLA_LWT_ADD_METADATA_MARK); such statements go to the primary replica first, never round robin.
   */
  private isLwt(engine: Engine, info: PreparedInfo): boolean {
    const mask = engine.lwtMask ?? 0;
    if (mask === 0 || info.bindMetadata === null) return false;
    return ((info.bindMetadata.flags >>> 0) & mask) >>> 0 === mask >>> 0;
  }

  /**
   * Token-aware routing uses the replica plans of one keyspace at a time: that of the statements being
   * executed (the table's keyspace from the bind metadata), switched only when it changes.
   */
  private followRoutingKeyspace(engine: Engine, info: PreparedInfo): void {
    const cols = info.bindMetadata?.columns;
    const ks = cols !== null && cols !== undefined && cols.length > 0 ? cols[0]!.ksname : null;
    if (ks === null || ks === this.routingKeyspace) return;
    this.routingKeyspace = ks;
    engine.setRoutingKeyspace?.(ks);
  }

  /**
   * ScyllaDB tablets: the engine routes by the tablets of one table at a time, that of the statement
   * being executed (bind metadata table spec; none for a statement without one), told only on a change.
   */
  private followRoutingTable(engine: Engine, info: PreparedInfo | null): void {
    if (engine.setRoutingTable === undefined) return;
    const cols = info !== null ? info.bindMetadata?.columns : null;
    const col = cols !== null && cols !== undefined && cols.length > 0 ? cols[0]! : null;
    const ks = col !== null ? col.ksname : null;
    const table = col !== null ? col.tablename : null;
    if (ks === this.routingTableKs && table === this.routingTableName) return;
    this.routingTableKs = ks;
    this.routingTableName = table;
    engine.setRoutingTable(ks, table);
  }

  /**
   * ScyllaDB tablets: the request reached a node or shard that is not a replica of its tablet, and the
   * answer says which are (custom payload `tablets-routing-v1`, protocol-extensions.md).
   */
  private noteTablet(info: PreparedInfo, payload: Record<string, Buffer | null>): void {
    const value = payload[TABLETS_PAYLOAD_KEY];
    const engine = this.engine;
    if (value === undefined || value === null || engine === null || engine.noteTablet === undefined) return;
    const col = info.bindMetadata?.columns?.[0] ?? info.resultMetadata?.columns?.[0];
    if (col !== undefined) engine.noteTablet(col.ksname, col.tablename, value);
  }

  private operationInfo(query: string, eo: ExecutionOptions, nbRetry: number): OperationInfo {
    return { query, executionOptions: eo, nbRetry };
  }

  /** The retry policy's decision for a server error (request-execution.js `_getDecision`). */
  /**
   * The retry policy asked for the next host of the query plan (cassandra-driver's plan iterator moves on): an
   * up host of the local datacenter (any datacenter when none is set) not tried yet; -1 when the plan is
   * exhausted, which cassandra-driver reports as NoHostAvailableError with every tried host's error.
   */
  private nextHost(engine: Engine, tried: Record<string, Error | null>): number {
    const hosts = engine.hosts;
    const dc = this.options.localDataCenter ?? this.options.policies.loadBalancing.localDc ?? null;
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i]!;
      if (!h.up || h.address in tried) continue;
      if (dc !== null && h.datacenter !== null && h.datacenter !== dc) continue;
      return i;
    }
    return -1;
  }

  private decide(err: ResponseError, query: string, eo: ExecutionOptions, retryCount: number, consistency: number): DecisionInfo {
    const policy = eo.getRetryPolicy();
    if (!policy) return RETHROW;
    const op = this.operationInfo(query, eo, retryCount);
    switch (err.code) {
      case ERR_OVERLOADED:
      case ERR_IS_BOOTSTRAPPING:
      case ERR_TRUNCATE:
        return eo.isIdempotent() ? policy.onRequestError(op, consistency, err) : RETHROW;
      case ERR_UNAVAILABLE:
        return policy.onUnavailable(op, err.consistencies!, err.required!, err.alive!);
      case ERR_READ_TIMEOUT:
        return policy.onReadTimeout(op, err.consistencies!, err.received!, err.blockFor!, !!err.isDataPresent);
      case ERR_WRITE_TIMEOUT:
        return eo.isIdempotent() ? policy.onWriteTimeout(op, err.consistencies!, err.received!, err.blockFor!, err.writeType!) : RETHROW;
      default:
        return RETHROW;
    }
  }

  /**
   * The shared writers back to their initial size when a request grew them past MAX_KEPT_WRITER (a blob of
   * hundreds of MB would otherwise stay allocated as long as the client lives). Call only when the writer's
   * bytes were handed over (engine.send copies them) or are abandoned (encoding failed).
   */
  private releaseLargeBuffers(): void {
    this.writer.shrink(MAX_KEPT_WRITER, WRITER_SIZE);
    this.routingWriter.shrink(MAX_KEPT_WRITER, SCRATCH_SIZE);
    this.valueWriter.shrink(MAX_KEPT_WRITER, SCRATCH_SIZE);
  }

  /** Writes the request body into `this.writer`; returns the frame flags (tracing, custom payload). */
  private encode(kind: number, query: string, info: PreparedInfo | null, values: readonly unknown[] | null,
    types: readonly (DataType | null)[] | null, names: readonly string[] | null, entries: BatchEntry[] | null,
    eo: DefaultExecutionOptions, consistency: number, timestamp: QueryParameters['timestamp']): number {
    const w = this.writer;
    const p = this.qp;
    const version = this.protocolVersion;
    w.reset();
    let flags = 0;
    if (eo.isQueryTracing()) flags |= FLAG_TRACING;
    const payload = eo.getCustomPayload();
    if (payload) {
      // Spec section 2.4: a request's custom payload is a [bytes map] before the message body.
      flags |= FLAG_CUSTOM_PAYLOAD;
      w.bytesMap(payload);
    }
    p.consistency = consistency;
    p.serialConsistency = eo.getSerialConsistency() ?? -1;
    p.timestamp = timestamp;
    p.keyspace = version >= 5 ? eo.getKeyspace() ?? null : null;
    p.nowInSeconds = -1;
    try {
      if (kind === KIND_BATCH) {
        p.values = null;
        p.valueTypes = null;
        p.names = null;
        p.pageSize = 0;
        p.pagingState = null;
        p.skipMetadata = false;
        const type = eo.isBatchCounter() ? 2 : eo.isBatchLogged() ? 0 : 1;
        fEncodeBatch(w, version, type, entries!, p, this.codec);
        return flags;
      }
      p.values = values;
      p.valueTypes = types;
      p.names = names;
      const fetchSize = eo.getFetchSize() ?? 5000;
      p.pageSize = fetchSize > 0 ? fetchSize : 0;
      p.pagingState = eo.getPageState() ?? null;
      if (kind === KIND_EXECUTE) {
        const rm = info!.resultMetadata;
        p.skipMetadata = rm !== null && rm.columns !== null && rm.columnCount > 0;
        fEncodeExecute(w, version, info!.id!, info!.resultMetadataId, p, this.codec);
      } else {
        p.skipMetadata = false;
        fEncodeQuery(w, version, query, p, this.codec);
      }
      return flags;
    } finally {
      // Do not keep the caller's values alive through the shared parameters object.
      p.values = null;
      p.valueTypes = null;
      p.names = null;
      p.pagingState = null;
    }
  }

  /**
   * The routing token into `this.token`: from the user's routingKey, else from the partition-key values of a
   * prepared statement (bind metadata pk indexes, spec 4.2.5.4). Composite keys: <u16 len><bytes><0> each.
   */
  private computeToken(kind: number, info: PreparedInfo | null, values: readonly unknown[] | null,
    entries: BatchEntry[] | null, eo: ExecutionOptions): boolean {
    const userKey = eo.getRoutingKey();
    if (userKey) {
      const rw = this.routingWriter;
      rw.reset();
      if (Buffer.isBuffer(userKey)) rw.raw(userKey);
      else if (!Array.isArray(userKey)) {
        // cassandra-driver's words (encoder.js setRoutingKeyFromUser).
        throw new TypeError(`Unexpected routingKey '${inspect(userKey)}' provided. Expected Buffer, Array<Buffer>, Token, or TokenRange.`);
      } else if (userKey.length === 1) rw.raw(userKey[0]!);
      else for (const c of userKey) { rw.u16(c.length); rw.raw(c); rw.u8(0); }
      fMurmur3(rw.buf, 0, rw.pos, this.token);
      return true;
    }
    if (kind === KIND_BATCH) {
      // Route a batch by its first prepared statement, as cassandra-driver does.
      const first = entries![0]!;
      if (first.id === null || info === null) return false;
      return this.tokenFromValues(info, first.values);
    }
    if (kind !== KIND_EXECUTE || info === null) return false;
    return this.tokenFromValues(info, values);
  }

  private tokenFromValues(info: PreparedInfo, values: readonly unknown[] | null): boolean {
    const bind = info.bindMetadata;
    const pk = bind?.pkIndexes;
    if (!pk || pk.length === 0 || values === null) return false;
    const types = info.bindTypes;
    if (types === null) return false;
    const rw = this.routingWriter;
    rw.reset();
    if (pk.length === 1) {
      const i = pk[0]!;
      const v = values[i];
      if (v === null || v === undefined || v === UNSET || i >= types.length) return false;
      fWriteValue(rw, v, types[i]!, this.codec);
      const len = rw.pos - 4;
      if (len < 0) return false;
      fMurmur3(rw.buf, 4, len, this.token);
      return true;
    }
    const vw = this.valueWriter;
    for (let k = 0; k < pk.length; k++) {
      const i = pk[k]!;
      const v = values[i];
      if (v === null || v === undefined || v === UNSET || i >= types.length) return false;
      vw.reset();
      fWriteValue(vw, v, types[i]!, this.codec);
      const len = vw.pos - 4;
      if (len < 0) return false;
      rw.u16(len);
      rw.ensure(len + 1);
      vw.buf.copy(rw.buf, rw.pos, 4, vw.pos);
      rw.pos += len;
      rw.u8(0);
    }
    fMurmur3(rw.buf, 0, rw.pos, this.token);
    return true;
  }

  /** Decodes a RESULT frame into a ResultSet and applies its side effects (keyspace, metadata id, schema). */
  private toResultSet(frame: ResponseFrame, address: string, triedHosts: Record<string, Error | null>,
    consistency: number, kind: number, query: string, info: PreparedInfo | null, values: readonly unknown[] | null,
    types: readonly (DataType | null)[] | null, names: readonly string[] | null, eo: DefaultExecutionOptions): ResultSet | Promise<ResultSet> {
    const body = frame.body;
    if (frame.flags === 0 && frame.opcode === OP_RESULT && body.length === 4 && body[3] === 1 && body[2] === 0 && body[1] === 0 && body[0] === 0) {
      // VOID (every write) without tracing, warnings or payload: nothing to decode.
      return this.emptyResult(address, triedHosts, consistency);
    }
    const prelude = fReadPrelude(body, 0, body.length, frame.flags);
    if (frame.opcode !== OP_RESULT) throw new DriverInternalError(`Unexpected response opcode 0x${frame.opcode.toString(16)}`);
    if (prelude.customPayload !== null && info !== null) this.noteTablet(info, prelude.customPayload);
    const known = kind === KIND_EXECUTE && info !== null ? info.resultMetadata : null;
    const result = fDecodeResult(body, prelude.offset, body.length, this.protocolVersion, this.codec, known);
    const execInfo: ExecutionInfo = {
      queriedHost: address,
      triedHosts,
      speculativeExecutions: 0,
      achievedConsistency: consistency,
      traceId: prelude.traceId,
      warnings: prelude.warnings,
      customPayload: prelude.customPayload,
      isSchemaInAgreement: true,
    };
    if (prelude.warnings !== null) {
      for (const warning of prelude.warnings) this.log('warning', `Received warning (${warning}) from ${address}`);
    }
    switch (result.kind) {
      case 2: {
        const meta = result.metadata;
        if (meta.newMetadataId !== null && info !== null) {
          // v5 METADATA_CHANGED: the statement's result columns changed; remember the new id and columns.
          info.resultMetadataId = meta.newMetadataId;
          info.resultMetadata = meta;
        }
        const columns: ColumnInfo[] | null = meta.columns ?? known?.columns ?? null;
        const rowCallback = eo.getRowCallback();
        let rs: ResultSet;
        if (rowCallback !== undefined) {
          const rows = result.rows;
          rs = new ResultSet(undefined, columns, meta.pagingState, execInfo);
          rs.rowLength = rows.length;
          for (let i = 0; i < rows.length; i++) rowCallback(i, rows[i]!);
        } else {
          rs = new ResultSet(result.rows, columns, meta.pagingState, execInfo);
        }
        if (meta.pagingState !== null && kind !== KIND_BATCH) {
          rs.nextPageAsync = (pageState: Buffer): Promise<ResultSet> => {
            eo.setPageState(pageState);
            return this.run(kind, query, info, values, kind === KIND_EXECUTE ? info!.bindTypes : types, names, null, eo);
          };
        }
        return rs;
      }
      case 3:
        return this.afterSetKeyspace(result.keyspace, new ResultSet(undefined, null, null, execInfo));
      case 5:
        return this.afterSchemaChange(result.target, result.keyspace, result.name, new ResultSet(undefined, null, null, execInfo));
      default:
        return new ResultSet(undefined, null, null, execInfo);
    }
  }

  /** USE: the session keyspace changes on every connection before the caller sees the result. */
  private async afterSetKeyspace(keyspace: string, rs: ResultSet): Promise<ResultSet> {
    this.keyspace = keyspace;
    try {
      await this.requireEngine().setKeyspace(keyspace);
    } catch (err) {
      this.log('warning', `Keyspace ${keyspace} could not be set on every connection`, err);
    }
    return rs;
  }

  /** DDL: wait for schema agreement (as cassandra-driver), then update the schema metadata. */
  private async afterSchemaChange(target: string, keyspace: string, name: string | null, rs: ResultSet): Promise<ResultSet> {
    rs.info.isSchemaInAgreement = await this.waitForSchemaAgreement();
    if (this.options.isMetadataSyncEnabled !== false) {
      // Awaited, as cassandra-driver does: the caller's next metadata lookup sees the change.
      await this.metadata.onSchemaChange({ type: 'SCHEMA_CHANGE', target, keyspace, name })
        .catch((err: Error) => this.log('warning', 'There was an error while handling schema change', err));
    }
    return rs;
  }

  private emptyResult(address: string | undefined, triedHosts: Record<string, Error | null>, consistency: number): ResultSet {
    return new ResultSet(undefined, null, null, {
      queriedHost: address,
      triedHosts,
      speculativeExecutions: 0,
      achievedConsistency: consistency,
      traceId: null,
      warnings: null,
      customPayload: null,
      isSchemaInAgreement: true,
    });
  }

  /**
   * After a schema change, waits until every up node reports the same schema_version (bounded by
   * protocolOptions.maxSchemaAgreementWaitSeconds), as cassandra-driver's `_waitForSchemaAgreement`.
   */
  private async waitForSchemaAgreement(): Promise<boolean> {
    const hosts = this.hosts.values().filter((h) => h.isUp());
    if (hosts.length <= 1) return true;
    const deadline = Date.now() + this.options.protocolOptions.maxSchemaAgreementWaitSeconds * 1000;
    while (Date.now() < deadline) {
      try {
        const versions = new Set<string>();
        for (const h of hosts) {
          const rows = await this.querySystem('SELECT schema_version FROM system.local', h.index);
          const v = rows[0] ? (rows[0] as unknown as Record<string, unknown>)['schema_version'] : null;
          versions.add(String(v));
        }
        if (versions.size === 1) return true;
      } catch (err) {
        this.log('warning', 'There was an error while waiting for the schema agreement between nodes', err);
        return false;
      }
      await delay(200);
    }
    return false;
  }

  /** @internal A system query outside the application's options (no timestamp, no paging, no retry). */
  async querySystem(cql: string, hostIndex = -1, consistency = 1): Promise<Row[]> {
    const engine = this.requireEngine();
    const w = this.writer;
    const p = this.qp;
    w.reset();
    p.consistency = consistency;
    p.values = null;
    p.valueTypes = null;
    p.names = null;
    p.skipMetadata = false;
    p.pageSize = 0;
    p.pagingState = null;
    p.serialConsistency = -1;
    p.timestamp = null;
    p.keyspace = null;
    p.nowInSeconds = -1;
    fEncodeQuery(w, this.protocolVersion, cql, p, this.codec);
    const frame = await engine.send(EngineRequest.of(OP_QUERY, w.buf, w.pos, this.options.socketOptions.readTimeout, hostIndex));
    const body = frame.body;
    const prelude = fReadPrelude(body, 0, body.length, frame.flags);
    if (frame.opcode === OP_ERROR) throw fDecodeError(body, prelude.offset, body.length, this.protocolVersion);
    const result = fDecodeResult(body, prelude.offset, body.length, this.protocolVersion, this.codec, null);
    return result.kind === 2 ? result.rows : [];
  }

  // ---------------------------------------------------------------- eachRow / stream / batch

  eachRow(query: string, params: Params, options: QueryOptions | null | undefined, rowCallback: RowCallback, callback?: ValueCallback<ResultSet>): void;
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
      eo = DefaultExecutionOptions.create(typeof options === 'function' ? null : (options as QueryOptions | null), this, rowCb as (n: number, row: unknown) => void);
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
    this.eachRow(query, params as Params, options, (n: number, row: Row) => {
      stream.add(row);
    }, (err: Error | null, result?: ResultSet) => {
      if (sync) setImmediate(() => onFinish(err, result));
      else onFinish(err, result);
    });
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
    const entries: BatchEntry[] = new Array<BatchEntry>(queries.length);
    let firstInfo: PreparedInfo | null = null;
    if (eo.isPrepared()) {
      const ks = this.queryKeyspace(eo);
      const infos = await Promise.all(queries.map((item, i) => {
        const q = typeof item === 'string' ? item : item?.query;
        if (!q) throw new ArgumentError(`Invalid query at index ${i}`);
        return this.getPrepared(q, ks);
      }));
      for (let i = 0; i < queries.length; i++) {
        const item = queries[i]!;
        const info = infos[i]!;
        const params = typeof item === 'string' ? null : item.params;
        entries[i] = { query: null, id: info.id, values: this.adaptPreparedParams(params, info), valueTypes: info.bindTypes };
      }
      firstInfo = infos[0]!;
    } else {
      const hints = eo.getHints();
      for (let i = 0; i < queries.length; i++) {
        const item = queries[i];
        if (!item) throw new ArgumentError(`Invalid query at index ${i}`);
        const q = typeof item === 'string' ? item : item.query;
        if (!q) throw new ArgumentError(`Invalid query at index ${i}`);
        const params = typeof item === 'string' ? null : item.params;
        if (params && !Array.isArray(params)) {
          throw new ArgumentError('Named parameters are not supported in batches of simple statements, use the prepare flag');
        }
        const h = Array.isArray(hints) ? hints[i] : undefined;
        const types = params && Array.isArray(h) ? this.parseHints(h as NonNullable<QueryOptions['hints']>, params.length, null) : null;
        entries[i] = { query: q, id: null, values: params ?? null, valueTypes: types };
      }
    }
    return this.run(KIND_BATCH, '', firstInfo, null, null, null, entries, eo);
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
    this.prepared.clear();
  }

  private requireEngine(): Engine {
    const engine = this.engine;
    if (engine === null) throw new NoHostAvailableError({}, this.isShuttingDown ? 'Client is shut down' : 'Client is not connected');
    return engine;
  }

  private addressOf(hostIndex: number): string {
    const hosts = this.engine?.hosts;
    const h = hosts !== undefined && hostIndex >= 0 && hostIndex < hosts.length ? hosts[hostIndex] : undefined;
    return h !== undefined ? h.address : 'unknown';
  }

  private indexOf(address: string): number {
    const h = this.hosts.get(address);
    return h !== undefined ? h.index : -1;
  }
}

function noop(): void {}

/** The hosts tried and their errors, as NoHostAvailableError.innerErrors (hosts that answered are left out). */
function errorsOf(tried: Record<string, Error | null> | null): Record<string, Error> {
  const out: Record<string, Error> = {};
  if (tried !== null) for (const k of Object.keys(tried)) if (tried[k] !== null) out[k] = tried[k]!;
  return out;
}

/** result.info.speculativeExecutions of a request that started some. */
function withSpeculativeCount(rs: ResultSet | Promise<ResultSet>, n: number): ResultSet | Promise<ResultSet> {
  if (rs instanceof ResultSet) {
    rs.info.speculativeExecutions = n;
    return rs;
  }
  return rs.then((r) => {
    r.info.speculativeExecutions = n;
    return r;
  });
}

/** The parameters a tracker sees: the values, or `{name: value}` for named values of a simple statement. */
function trackedParams(kind: number, values: readonly unknown[] | null, names: readonly string[] | null): unknown {
  if (kind === KIND_BATCH) return undefined;
  if (names === null || values === null) return values;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) out[names[i]!] = values[i];
  return out;
}

function validateFn(fn: unknown, name: string): (...args: never[]) => unknown {
  if (typeof fn !== 'function') throw new ArgumentError(`${name} is not a function`);
  return fn as (...args: never[]) => unknown;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const version: string = (require('../package.json') as { version: string }).version;
