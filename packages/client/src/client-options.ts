/**
 * Client options: the defaults of cassandra-driver's `defaultOptions()`, the same validation (TypeError for
 * malformed options), and the mapping to the engine's options. shardcql's own knobs live under `shardcql`.
 */
import * as os from 'node:os';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import * as policies from './policies';
import { LoadBalancingPolicy } from './policies/load-balancing';
import { ReconnectionPolicy } from './policies/reconnection';
import { RetryPolicy } from './policies/retry';
import { AddressTranslator } from './policies/address-resolution';
import { SpeculativeExecutionPolicy } from './policies/speculative-execution';
import { TimestampGenerator } from './policies/timestamp-generation';
import { AuthProvider } from './auth/provider';
import { PlainTextAuthProvider } from './auth/plain-text-auth-provider';
import { NoAuthProvider } from './auth/no-auth-provider';
import { ExecutionProfile } from './execution-profile';
import type { EngineOptions } from './engine/engine';
import { validateQueryOptions, type QueryOptions } from './execution-options';
import { RequestTracker } from './tracker/request-tracker';
import { ClientMetrics } from './metrics/client-metrics';
import { checkTimeout, show } from './option-checks';
import { Uuid } from '@shardcql/core';
import { validateSslOptions } from './ssl-options';

/** Stream ids of a v3+ connection (a signed 16-bit id, spec section 2.3): more requests cannot be in flight. */
const MAX_STREAM_IDS = 32768;
/** shardcql's bounds on its own thread and connection counts (far above any useful value; a typo stops here). */
const MAX_WORKERS = 1024;
const MAX_CONNECTIONS_PER_HOST = 1024;
/** Node.js timers take at most 2^31-1 ms. */
const MAX_TIMEOUT_S = 2147483;

export interface ClientOptions {
  contactPoints?: string[];
  localDataCenter?: string;
  keyspace?: string;
  authProvider?: AuthProvider | null;
  credentials?: { username: string; password: string };
  cloud?: { secureConnectBundle: string | URL };
  id?: { toString(): string } | null;
  applicationName?: string;
  applicationVersion?: string;
  monitorReporting?: { enabled?: boolean };
  encoding?: {
    map?: (new (...args: never[]) => Map<unknown, unknown>) | null;
    set?: (new (...args: never[]) => Set<unknown>) | null;
    copyBuffer?: boolean;
    useUndefinedAsUnset?: boolean;
    useBigIntAsLong?: boolean;
    useBigIntAsVarint?: boolean;
  };
  isMetadataSyncEnabled?: boolean;
  maxPrepared?: number;
  metrics?: unknown;
  policies?: {
    addressResolution?: AddressTranslator;
    loadBalancing?: LoadBalancingPolicy;
    reconnection?: ReconnectionPolicy;
    retry?: RetryPolicy;
    speculativeExecution?: SpeculativeExecutionPolicy;
    timestampGeneration?: TimestampGenerator | null;
  };
  pooling?: {
    heartBeatInterval?: number;
    coreConnectionsPerHost?: Record<number, number>;
    maxRequestsPerConnection?: number;
    warmup?: boolean;
  };
  prepareOnAllHosts?: boolean;
  rePrepareOnUp?: boolean;
  profiles?: ExecutionProfile[];
  protocolOptions?: { port?: number; maxSchemaAgreementWaitSeconds?: number; maxVersion?: number; noCompact?: boolean };
  /** Accepted and ignored (native promises); typed as cassandra-driver declares it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's declaration
  promiseFactory?: (handler: (callback: (err: Error, result?: any) => void) => void) => Promise<any>;
  refreshSchemaDelay?: number;
  /** Called after every request sent to a node (tracker.RequestTracker, e.g. tracker.RequestLogger). */
  requestTracker?: RequestTracker | null;
  queryOptions?: QueryOptions;
  socketOptions?: {
    connectTimeout?: number;
    defunctReadTimeoutThreshold?: number;
    keepAlive?: boolean;
    keepAliveDelay?: number;
    readTimeout?: number;
    tcpNoDelay?: boolean;
    coalescingThreshold?: number;
  };
  sslOptions?: TlsOptions | null;
  /** Frame compression negotiated in STARTUP (same as `shardcql.compression`, which wins when both are set). */
  compression?: 'none' | 'lz4' | 'snappy';
  /** shardcql only. */
  shardcql?: {
    /** Shard worker threads; default `os.availableParallelism() - 1` (at least 1). */
    workers?: number;
    /** Per-shard counters in shared memory, read by client.getShardMetrics(); default true. */
    metrics?: boolean;
    compression?: 'none' | 'lz4' | 'snappy';
    /**
     * Requests carried by the direct lane (a connection per host on the calling thread, used only while no
     * request is in flight through the shard workers: concurrency about 1, where a thread hop costs more than
     * it saves). 0 turns it off; default 4.
     */
    directLane?: number;
  };
}

/** The options after defaults were applied: the fields the client reads are present. */
export interface ResolvedClientOptions extends ClientOptions {
  contactPoints: string[];
  authProvider: AuthProvider;
  encoding: NonNullable<ClientOptions['encoding']>;
  maxPrepared: number;
  policies: {
    addressResolution: AddressTranslator;
    loadBalancing: LoadBalancingPolicy;
    reconnection: ReconnectionPolicy;
    retry: RetryPolicy;
    speculativeExecution: SpeculativeExecutionPolicy;
    timestampGeneration: TimestampGenerator | null;
  };
  pooling: NonNullable<ClientOptions['pooling']>;
  prepareOnAllHosts: boolean;
  protocolOptions: { port: number; maxSchemaAgreementWaitSeconds: number; maxVersion: number; noCompact: boolean };
  queryOptions: QueryOptions & { fetchSize: number; prepare: boolean; captureStackTrace: boolean };
  socketOptions: {
    connectTimeout: number;
    defunctReadTimeoutThreshold: number;
    keepAlive: boolean;
    keepAliveDelay: number;
    readTimeout: number;
    tcpNoDelay: boolean;
    coalescingThreshold: number;
  };
}

export function defaultOptions(): ResolvedClientOptions {
  return {
    contactPoints: [],
    policies: {
      addressResolution: policies.defaultAddressTranslator(),
      loadBalancing: policies.defaultLoadBalancingPolicy(),
      reconnection: policies.defaultReconnectionPolicy(),
      retry: policies.defaultRetryPolicy(),
      speculativeExecution: policies.defaultSpeculativeExecutionPolicy(),
      timestampGeneration: policies.defaultTimestampGenerator(),
    },
    queryOptions: { fetchSize: 5000, prepare: false, captureStackTrace: false },
    protocolOptions: { port: 9042, maxSchemaAgreementWaitSeconds: 10, maxVersion: 0, noCompact: false },
    pooling: { heartBeatInterval: 30000, warmup: true },
    socketOptions: {
      connectTimeout: 5000,
      defunctReadTimeoutThreshold: 64,
      keepAlive: true,
      keepAliveDelay: 0,
      readTimeout: 12000,
      tcpNoDelay: true,
      coalescingThreshold: 65536,
    },
    authProvider: null as unknown as AuthProvider,
    requestTracker: null,
    metrics: null,
    maxPrepared: 500,
    refreshSchemaDelay: 1000,
    isMetadataSyncEnabled: true,
    prepareOnAllHosts: true,
    rePrepareOnUp: true,
    encoding: { copyBuffer: true, useUndefinedAsUnset: true },
    monitorReporting: { enabled: true },
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Plain objects merge recursively; anything else (arrays, policies, buffers) replaces by reference. */
function deepExtend(target: Record<string, unknown>, ...sources: Array<Record<string, unknown> | undefined>): Record<string, unknown> {
  for (const source of sources) {
    if (!source) continue;
    for (const key of Object.keys(source)) {
      const value = source[key];
      if (value === undefined) continue;
      const current = target[key];
      if (isPlainObject(value) && isPlainObject(current)) target[key] = deepExtend({ ...current }, value);
      else if (isPlainObject(value)) target[key] = deepExtend({}, value);
      else target[key] = value;
    }
  }
  return target;
}

/** Defaults + user options, validated as cassandra-driver's `client-options.extend`. */
export function extend(userOptions: ClientOptions): ResolvedClientOptions {
  // cassandra-driver merges whatever it is given, then finds no contact points in it.
  if (userOptions === null || typeof userOptions !== 'object') throw new TypeError('Contacts points are not defined.');
  const options = deepExtend(
    {},
    defaultOptions() as unknown as Record<string, unknown>,
    userOptions as Record<string, unknown>,
  ) as unknown as ResolvedClientOptions;
  // Kept by reference (deepExtend copies plain objects): a duck-typed tracker may hold state.
  options.requestTracker = userOptions.requestTracker ?? null;
  // A random client id unless the user gives one (null: none), sent as STARTUP CLIENT_ID (a driver convention, not in the spec),
  // as cassandra-driver does; Cassandra 4.0+ lists it in system_views.clients.
  if (userOptions.id === undefined) options.id = Uuid.random();
  else if (userOptions.id !== null && !(userOptions.id instanceof Uuid)) throw new TypeError('Client id must be a Uuid');
  if (options.cloud) throw new TypeError('Cloud (secure connect bundle) connections are not supported by shardcql');
  // The user's object, not deepExtend's copy: a field of it may be a class instance (refused by name there).
  options.sslOptions = validateSslOptions(userOptions.sslOptions);
  validateContactPoints(userOptions.contactPoints, options.contactPoints);
  for (const key of ['localDataCenter', 'keyspace'] as const) {
    const v = options[key];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new TypeError(`${key} must be a String, obtained ${show(v)}`);
  }
  if (!options.queryOptions || typeof options.queryOptions !== 'object') throw new TypeError('queryOptions not defined in options');
  // The defaults of every execution: the same checks as the options of one execution.
  validateQueryOptions(options.queryOptions, 'queryOptions.');
  validatePolicies(options.policies);
  validateProtocolOptions(options.protocolOptions);
  validateSocketOptions(options.socketOptions);
  validatePooling(options.pooling);
  if (!Number.isInteger(options.maxPrepared) || options.maxPrepared < 1) {
    // NaN would never evict (unbounded cache); 0 or less would prepare again on every execution.
    throw new TypeError(`maxPrepared must be an integer >= 1, obtained ${show(options.maxPrepared)}`);
  }
  if (options.metrics !== null && options.metrics !== undefined && !(options.metrics instanceof ClientMetrics)) {
    throw new TypeError('metrics must be an instance of ClientMetrics');
  }
  resolveAuthProvider(options);
  validateEncoding(options);
  if (options.profiles && (!Array.isArray(options.profiles) || !options.profiles.every((p) => p instanceof ExecutionProfile))) {
    throw new TypeError('profiles must be an Array of ExecutionProfile instances');
  }
  for (const key of ['applicationName', 'applicationVersion'] as const) {
    const v = options[key];
    if (v !== null && v !== undefined && typeof v !== 'string') throw new TypeError(`${key} should be a String`);
  }
  const rt = options.requestTracker as unknown as Record<string, unknown> | null | undefined;
  if (
    rt !== null &&
    rt !== undefined &&
    !(rt instanceof RequestTracker) &&
    (typeof rt !== 'object' || typeof rt['onSuccess'] !== 'function' || typeof rt['onError'] !== 'function')
  ) {
    throw new TypeError('requestTracker must be an instance of RequestTracker');
  }
  const mr = options.monitorReporting;
  if (mr === null || typeof mr !== 'object') throw new TypeError(`Monitor reporting must be an object, obtained: ${String(mr)}`);
  validateShardcqlOptions(options);
  return options;
}

/** At least one contact point, each a host name or address with an optional port from 1 to 65535. */
function validateContactPoints(given: unknown, contactPoints: ResolvedClientOptions['contactPoints']): void {
  if (!Array.isArray(given) || given.length === 0) {
    throw new TypeError('Contacts points are not defined.');
  }
  contactPoints.forEach((c, i) => {
    if (!c || typeof c !== 'string') {
      throw new TypeError(
        `Contact point ${i} (${String(c)}) is not a valid host name, the following values are valid contact points: ipAddress, hostName or ipAddress:port`,
      );
    }
    // The engine reads a trailing ":digits" as the port (not in IPv6 addresses); 0 or > 65535 would fail late in net.connect.
    const m = /:(\d+)$/.exec(c);
    if (m !== null && !c.includes('::') && !(Number(m[1]) >= 1 && Number(m[1]) <= 65535)) {
      throw new TypeError(`Contact point ${i} (${c}) has an invalid port: use an integer from 1 to 65535`);
    }
  });
}

/** `authProvider`, else a PlainTextAuthProvider from `credentials`, else none. */
function resolveAuthProvider(options: ResolvedClientOptions): void {
  if (!options.authProvider) {
    const c = options.credentials;
    if (c) {
      if (typeof c.username !== 'string' || typeof c.password !== 'string') {
        throw new TypeError('credentials username and password must be a string');
      }
      options.authProvider = new PlainTextAuthProvider(c.username, c.password);
    } else {
      options.authProvider = new NoAuthProvider();
    }
  } else if (!(options.authProvider instanceof AuthProvider)) {
    throw new TypeError('options.authProvider must be an instance of AuthProvider');
  }
}

/** `encoding.map` and `encoding.set`: constructors with the methods the codec calls. */
function validateEncoding(options: ResolvedClientOptions): void {
  options.encoding = options.encoding || {};
  const enc = options.encoding;
  if (
    enc.map &&
    (typeof enc.map !== 'function' || typeof enc.map.prototype.forEach !== 'function' || typeof enc.map.prototype.set !== 'function')
  ) {
    throw new TypeError('Map constructor not valid');
  }
  if (
    enc.set &&
    (typeof enc.set !== 'function' || typeof enc.set.prototype.forEach !== 'function' || typeof enc.set.prototype.add !== 'function')
  ) {
    throw new TypeError('Set constructor not valid');
  }
}

/** shardcql's own options (workers, metrics, direct lane, compression) and the top-level compression. */
function validateShardcqlOptions(options: ResolvedClientOptions): void {
  const sc = options.shardcql;
  if (sc !== undefined && sc !== null && typeof sc !== 'object')
    throw new TypeError(`shardcql options must be an object, obtained ${show(sc)}`);
  if (sc && sc.workers !== undefined && (!Number.isInteger(sc.workers) || sc.workers < 1 || sc.workers > MAX_WORKERS)) {
    throw new TypeError(`shardcql.workers must be an integer from 1 to ${MAX_WORKERS}, obtained ${show(sc.workers)}`);
  }
  if (sc && sc.metrics !== undefined && typeof sc.metrics !== 'boolean') throw new TypeError('shardcql.metrics must be a boolean');
  if (sc && sc.directLane !== undefined && (!Number.isInteger(sc.directLane) || sc.directLane < 0 || sc.directLane > 32768)) {
    throw new TypeError('shardcql.directLane must be an integer from 0 to 32768');
  }
  if (sc && sc.compression !== undefined && sc.compression !== 'none' && sc.compression !== 'lz4' && sc.compression !== 'snappy') {
    throw new TypeError(`shardcql.compression must be 'lz4', 'snappy' or 'none', obtained: ${String(sc.compression)}`);
  }
  const c = options.compression;
  if (c !== undefined && c !== null && c !== 'none' && c !== 'lz4' && c !== 'snappy') {
    throw new TypeError(`compression must be 'lz4', 'snappy' or 'none', obtained: ${String(c)}`);
  }
}

function validateProtocolOptions(p: ResolvedClientOptions['protocolOptions']): void {
  if (!p || typeof p !== 'object') throw new TypeError('protocolOptions not defined in options');
  const version = p.maxVersion;
  if (version && (typeof version !== 'number' || version < 1 || version > 6)) {
    throw new TypeError(`protocolOptions.maxVersion provided (${String(version)}) is invalid`);
  }
  if (version && (!Number.isInteger(version) || version < 4)) {
    // The engine speaks v4 and v5 only; an older maximum cannot be honoured (it used to mean v5).
    throw new TypeError(
      `protocolOptions.maxVersion provided (${String(version)}) is not supported by shardcql: use 4, 5 (or 0 to negotiate)`,
    );
  }
  // A port from an environment variable is often a string: digits are taken as the number.
  if (typeof p.port === 'string' && /^\d{1,5}$/.test(p.port)) p.port = Number(p.port);
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
    throw new TypeError(`protocolOptions.port must be an integer from 1 to 65535, obtained ${show(p.port)}`);
  }
  const wait = p.maxSchemaAgreementWaitSeconds;
  if (typeof wait !== 'number' || !(wait >= 0 && wait <= MAX_TIMEOUT_S)) {
    throw new TypeError(
      `protocolOptions.maxSchemaAgreementWaitSeconds must be a number of seconds from 0 to ${MAX_TIMEOUT_S}, obtained ${show(wait)}`,
    );
  }
}

function validateSocketOptions(so: ResolvedClientOptions['socketOptions']): void {
  if (!so || typeof so !== 'object') throw new TypeError('socketOptions not defined in options');
  if (typeof so.readTimeout !== 'number') throw new TypeError('socketOptions.readTimeout must be a Number');
  checkTimeout(so.readTimeout, 'socketOptions.readTimeout', 'type');
  checkTimeout(so.connectTimeout, 'socketOptions.connectTimeout', 'type');
  // NaN passed cassandra-driver's `<= 0` test; it would never force an early write.
  if (typeof so.coalescingThreshold !== 'number' || !(so.coalescingThreshold > 0)) {
    throw new TypeError('socketOptions.coalescingThreshold must be a positive Number');
  }
}

function validatePooling(p: ResolvedClientOptions['pooling']): void {
  if (!p || typeof p !== 'object') throw new TypeError('pooling not defined in options');
  if (p.heartBeatInterval !== undefined) checkTimeout(p.heartBeatInterval, 'pooling.heartBeatInterval', 'type');
  const max = p.maxRequestsPerConnection;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_STREAM_IDS)) {
    throw new TypeError(
      `pooling.maxRequestsPerConnection must be an integer from 1 to ${MAX_STREAM_IDS} (the stream ids of a connection), obtained ${show(max)}`,
    );
  }
  const core = p.coreConnectionsPerHost;
  if (core !== undefined && core !== null) {
    if (typeof core !== 'object')
      throw new TypeError(`pooling.coreConnectionsPerHost must be an object by distance, obtained ${show(core)}`);
    for (const key of Object.keys(core)) {
      const n = (core as Record<string, unknown>)[key];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_CONNECTIONS_PER_HOST) {
        throw new TypeError(
          `pooling.coreConnectionsPerHost[${key}] must be an integer from 0 to ${MAX_CONNECTIONS_PER_HOST}, obtained ${show(n)}`,
        );
      }
    }
  }
}

function validatePolicies(p: ResolvedClientOptions['policies']): void {
  if (!p) throw new TypeError('policies not defined in options');
  if (!(p.loadBalancing instanceof LoadBalancingPolicy))
    throw new TypeError('Load balancing policy must be an instance of LoadBalancingPolicy');
  if (!(p.reconnection instanceof ReconnectionPolicy)) throw new TypeError('Reconnection policy must be an instance of ReconnectionPolicy');
  if (!(p.retry instanceof RetryPolicy)) throw new TypeError('Retry policy must be an instance of RetryPolicy');
  if (!(p.addressResolution instanceof AddressTranslator))
    throw new TypeError('Address resolution policy must be an instance of AddressTranslator');
  if (!(p.speculativeExecution instanceof SpeculativeExecutionPolicy)) {
    throw new TypeError('Speculative execution policy must be an instance of SpeculativeExecutionPolicy');
  }
  if (p.timestampGeneration !== null && !(p.timestampGeneration instanceof TimestampGenerator)) {
    throw new TypeError('Timestamp generation policy must be an instance of TimestampGenerator');
  }
}

/** Default worker count: leave one core to the application's main thread, but never fewer than one worker. */
export function defaultWorkers(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, n - 1);
}

export function toEngineOptions(o: ResolvedClientOptions): EngineOptions {
  const auth = o.authProvider;
  const credentials = auth instanceof PlainTextAuthProvider ? { username: auth.username, password: auth.password } : null;
  const core = o.pooling.coreConnectionsPerHost;
  return {
    contactPoints: o.contactPoints,
    port: o.protocolOptions.port,
    localDataCenter: o.localDataCenter ?? o.policies.loadBalancing.localDc ?? null,
    keyspace: o.keyspace ?? null,
    credentials,
    authProvider: credentials === null && !(auth instanceof NoAuthProvider) ? auth : null,
    sslOptions: o.sslOptions ?? null,
    compression: o.shardcql?.compression ?? o.compression ?? 'none',
    workers: o.shardcql?.workers ?? defaultWorkers(),
    metrics: o.shardcql?.metrics !== false,
    directLane: o.shardcql?.directLane ?? 4,
    connectionsPerHost: core?.[0] ?? 1,
    maxProtocolVersion: o.protocolOptions.maxVersion === 4 ? 4 : 5,
    connectTimeoutMs: o.socketOptions.connectTimeout,
    heartbeatIntervalMs: o.pooling.heartBeatInterval ?? 30000,
    coalescingThreshold: o.socketOptions.coalescingThreshold,
    maxRequestsPerConnection: o.pooling.maxRequestsPerConnection ?? 2048,
    applicationName: o.applicationName ?? null,
    applicationVersion: o.applicationVersion ?? null,
    clientId: o.id ? o.id.toString() : null,
    reconnection: o.policies.reconnection,
  };
}
