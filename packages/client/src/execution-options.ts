/**
 * Per-request options resolved against the execution profile and the client's defaults
 * (cassandra-driver `lib/execution-options.js`): query option, else profile, else client option.
 */
import { ArgumentError, type DataType, type Long } from '@shardcql/core';
import type { ExecutionProfile, ProfileManager } from './execution-profile';
import type { LoadBalancingPolicy } from './policies/load-balancing';
import type { RetryPolicy } from './policies/retry';
import type { TimestampGenerator, TimestampLogger } from './policies/timestamp-generation';
import type { Host } from './host';

export interface QueryOptions {
  autoPage?: boolean;
  captureStackTrace?: boolean;
  consistency?: number;
  counter?: boolean;
  customPayload?: Record<string, Buffer> | null;
  executionProfile?: string | ExecutionProfile;
  fetchSize?: number;
  hints?: Array<string | DataType | null | undefined> | Record<string, string | DataType> | string[][] | null;
  host?: Host;
  isIdempotent?: boolean;
  keyspace?: string;
  logged?: boolean;
  pageState?: Buffer | string | null;
  prepare?: boolean;
  readTimeout?: number;
  retry?: RetryPolicy;
  routingIndexes?: number[];
  routingKey?: Buffer | Buffer[];
  routingNames?: string[];
  serialConsistency?: number;
  timestamp?: number | Long | bigint;
  traceQuery?: boolean;
  executeAs?: string;
}

/** What ExecutionOptions needs from the client (kept narrow so tests can fake it). */
export interface ExecutionContext extends TimestampLogger {
  options: {
    queryOptions: QueryOptions;
    socketOptions: { readTimeout: number };
    policies: { retry: RetryPolicy; timestampGeneration: TimestampGenerator | null };
  };
  profileManager: ProfileManager;
}

const EMPTY: QueryOptions = Object.freeze({}) as QueryOptions;

function ifUndefined<T>(a: T | undefined, b: T): T {
  return a !== undefined ? a : b;
}
function ifUndefined3<T>(a: T | undefined, b: T | undefined, c: T): T {
  return a !== undefined ? a : b !== undefined ? b : c;
}

/**
 * The abstract API (cassandra-driver exports it as `ExecutionOptions`). The getters' return types are
 * cassandra-driver's declarations (`getConsistency(): consistencies`, not `| undefined`) so that policies and
 * trackers written against them compile unchanged; an option nobody set still reads as undefined.
 */
export class ExecutionOptions {
  static empty(): ExecutionOptions {
    return new ExecutionOptions();
  }
  getCaptureStackTrace(): boolean { return undefined!; }
  getConsistency(): number { return undefined!; }
  getCustomPayload(): Record<string, Buffer> { return undefined!; }
  getFetchSize(): number { return undefined!; }
  getFixedHost(): Host { return undefined!; }
  /**
   * A host a load-balancing policy should try first (DefaultLoadBalancingPolicy.newQueryPlan does), unlike `host`
   * not exclusive. The engine routes by its precomputed plans and does not read it: it matters to code that
   * calls a policy's newQueryPlan itself.
   */
  getPreferredHost(): Host | undefined { return undefined; }
  getHints(): QueryOptions['hints'] | undefined { return undefined; }
  isAutoPage(): boolean { return undefined!; }
  isBatchCounter(): boolean { return false; }
  isBatchLogged(): boolean { return true; }
  isIdempotent(): boolean { return undefined!; }
  isPrepared(): boolean { return undefined!; }
  isQueryTracing(): boolean { return undefined!; }
  getKeyspace(): string { return undefined!; }
  getLoadBalancingPolicy(): LoadBalancingPolicy { return undefined!; }
  getPageState(): Buffer { return undefined!; }
  getRawQueryOptions(): QueryOptions { return EMPTY; }
  getReadTimeout(): number { return undefined!; }
  getRetryPolicy(): RetryPolicy { return undefined!; }
  getRowCallback(): ((n: number, row: unknown) => void) | undefined { return undefined; }
  getOrGenerateTimestamp(): Long | number | bigint | null { return null; }
  getRoutingIndexes(): number[] | undefined { return undefined; }
  getRoutingKey(): Buffer | Buffer[] { return undefined!; }
  getRoutingNames(): string[] | undefined { return undefined; }
  getSerialConsistency(): number { return undefined!; }
  /** Declared without bigint, as cassandra-driver declares it (a bigint timestamp given in the options comes back as given). */
  getTimestamp(): number | Long | undefined | null { return undefined; }
  setHints(hints: QueryOptions['hints']): void {}
  setKeyspace(keyspace: string): void {}
  setPageState(pageState: Buffer | null): void {}
  setPreferredHost(host: Host): void {}
  setRoutingIndexes(routingIndexes: number[]): void {}
  setRoutingKey(value: Buffer | Buffer[]): void {}
}

export class DefaultExecutionOptions extends ExecutionOptions {
  private readonly q: QueryOptions;
  private readonly defaults: QueryOptions;
  private readonly profile: ExecutionProfile;
  private readonly client: ExecutionContext;
  private readonly rowCallback: ((n: number, row: unknown) => void) | undefined;
  private routingKey: Buffer | Buffer[] | undefined;
  private hints: QueryOptions['hints'] | undefined;
  private keyspace: string | undefined;
  private routingIndexes: number[] | undefined;
  private pageState: Buffer | null | undefined;
  private preferredHost: Host | undefined = undefined;
  private readonly customPayload: Record<string, Buffer> | null | undefined;

  constructor(queryOptions: QueryOptions, client: ExecutionContext, rowCallback?: (n: number, row: unknown) => void) {
    super();
    this.q = queryOptions;
    this.client = client;
    this.defaults = client.options.queryOptions;
    this.rowCallback = rowCallback;
    this.routingKey = queryOptions.routingKey;
    this.hints = queryOptions.hints;
    this.keyspace = queryOptions.keyspace;
    this.routingIndexes = queryOptions.routingIndexes;
    const ps = queryOptions.pageState;
    this.pageState = typeof ps === 'string' ? Buffer.from(ps, 'hex') : ps;
    const profile = client.profileManager.getProfile(queryOptions.executionProfile);
    if (profile === undefined) {
      throw new ArgumentError(`Execution profile "${String(queryOptions.executionProfile)}" not found`);
    }
    this.profile = profile;
    let payload = queryOptions.customPayload ?? this.defaults.customPayload;
    const executeAs = queryOptions.executeAs ?? this.defaults.executeAs;
    if (executeAs) payload = { ...(payload ?? {}), ProxyExecute: Buffer.from(executeAs) };
    this.customPayload = payload;
  }

  /** `options` may be absent, or a callback in the optional position. */
  static create(options: QueryOptions | null | undefined | ((...args: never[]) => unknown), client: ExecutionContext,
    rowCallback?: (n: number, row: unknown) => void): DefaultExecutionOptions {
    const q = !options || typeof options === 'function' ? EMPTY : options;
    return new DefaultExecutionOptions(q, client, rowCallback);
  }

  override getCaptureStackTrace(): boolean { return ifUndefined(this.q.captureStackTrace, this.defaults.captureStackTrace)!; }
  override getConsistency(): number {
    return ifUndefined3(this.q.consistency, this.profile.consistency, this.defaults.consistency)!;
  }
  override getCustomPayload(): Record<string, Buffer> { return this.customPayload!; }
  override getFetchSize(): number { return ifUndefined(this.q.fetchSize, this.defaults.fetchSize)!; }
  override getFixedHost(): Host { return this.q.host!; }
  override getHints(): QueryOptions['hints'] | undefined { return this.hints; }
  override isAutoPage(): boolean { return ifUndefined(this.q.autoPage, this.defaults.autoPage)!; }
  override isBatchCounter(): boolean { return ifUndefined(this.q.counter, false); }
  override isBatchLogged(): boolean { return ifUndefined3(this.q.logged, this.defaults.logged, true); }
  override isIdempotent(): boolean { return ifUndefined(this.q.isIdempotent, this.defaults.isIdempotent)!; }
  override isPrepared(): boolean { return ifUndefined(this.q.prepare, this.defaults.prepare)!; }
  override isQueryTracing(): boolean { return ifUndefined(this.q.traceQuery, this.defaults.traceQuery)!; }
  override getKeyspace(): string { return this.keyspace!; }
  override getLoadBalancingPolicy(): LoadBalancingPolicy { return this.profile.loadBalancing!; }
  override getPageState(): Buffer { return this.pageState!; }
  getProfile(): ExecutionProfile { return this.profile; }
  override getRawQueryOptions(): QueryOptions { return this.q; }
  override getReadTimeout(): number {
    return ifUndefined3(this.q.readTimeout, this.profile.readTimeout, this.client.options.socketOptions.readTimeout)!;
  }
  override getRetryPolicy(): RetryPolicy {
    return ifUndefined3(this.q.retry, this.profile.retry, this.client.options.policies.retry)!;
  }
  override getRowCallback(): ((n: number, row: unknown) => void) | undefined { return this.rowCallback; }
  /** The query's timestamp, else the generator's (client-side default timestamp), else null. */
  override getOrGenerateTimestamp(): Long | number | bigint | null {
    const ts = this.q.timestamp;
    if (ts !== undefined && ts !== null) return ts;
    const gen = this.client.options.policies.timestampGeneration;
    return gen ? gen.next(this.client) : null;
  }
  override getRoutingIndexes(): number[] | undefined { return this.routingIndexes; }
  override getRoutingKey(): Buffer | Buffer[] { return this.routingKey!; }
  override getRoutingNames(): string[] | undefined { return this.q.routingNames; }
  override getSerialConsistency(): number {
    return ifUndefined3(this.q.serialConsistency, this.profile.serialConsistency, this.defaults.serialConsistency)!;
  }
  override getTimestamp(): number | Long | undefined | null { return this.q.timestamp as number | Long | undefined; }
  override setHints(hints: QueryOptions['hints']): void { this.hints = hints; }
  override setKeyspace(keyspace: string): void { this.keyspace = keyspace; }
  override setPageState(pageState: Buffer | null): void { this.pageState = pageState; }
  override getPreferredHost(): Host | undefined { return this.preferredHost; }
  override setPreferredHost(host: Host): void { this.preferredHost = host; }
  override setRoutingIndexes(routingIndexes: number[]): void { this.routingIndexes = routingIndexes; }
  override setRoutingKey(value: Buffer | Buffer[]): void { this.routingKey = value; }
}
