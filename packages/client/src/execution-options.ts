/**
 * Per-request options resolved against the execution profile and the client's defaults
 * (cassandra-driver `lib/execution-options.js`): query option, else profile, else client option.
 */
import { inspect } from 'node:util';
import { ArgumentError, type DataType, type Long } from '@shardcql/core';
import { ExecutionProfile, type ProfileManager } from './execution-profile';
import type { LoadBalancingPolicy } from './policies/load-balancing';
import { RetryPolicy } from './policies/retry';
import type { TimestampGenerator, TimestampLogger } from './policies/timestamp-generation';
import type { Host } from './host';
import { checkConsistency, checkTimeout, checkTimestamp, show } from './option-checks';

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
const MAX_INT32 = 2147483647;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function isBufferArray(v: unknown): boolean {
  if (!Array.isArray(v) || v.length === 0) return false;
  for (let i = 0; i < v.length; i++) if (!Buffer.isBuffer(v[i])) return false;
  return true;
}

/**
 * Checks the options of one execution (or the client's `queryOptions` defaults, `prefix` 'queryOptions.').
 * Checked: what the request is encoded or routed from. Booleans keep cassandra-driver's truthiness.
 * TypeError for a value of the wrong type, ArgumentError for one of the right type out of range.
 */
export function validateQueryOptions(q: QueryOptions, prefix: string): void {
  const o = q as Record<string, unknown>;
  let v = o['timestamp'];
  if (v !== undefined && v !== null) checkTimestamp(v, `${prefix}timestamp`);
  // null readTimeout / fetchSize: no timeout / no paging, as cassandra-driver reads them (its `!(millis > 0)` and
  // `fetchSize > 0` tests); the getters below give 0 for them.
  v = o['readTimeout'];
  if (v !== undefined && v !== null) checkTimeout(v, `${prefix}readTimeout`, 'argument');
  v = o['fetchSize'];
  if (v !== undefined && v !== null) {
    if (typeof v !== 'number') throw new TypeError(`${prefix}fetchSize must be a Number, obtained ${show(v)}`);
    // 0 or less: no paging, as in cassandra-driver; the page size travels as an [int].
    if (!(Number.isInteger(v) && v <= MAX_INT32)) {
      throw new ArgumentError(`${prefix}fetchSize must be an integer up to ${MAX_INT32} (0: no paging), obtained ${show(v)}`);
    }
  }
  v = o['consistency'];
  if (v !== undefined) checkConsistency(v, `${prefix}consistency`, 'argument');
  v = o['serialConsistency'];
  if (v !== undefined) checkConsistency(v, `${prefix}serialConsistency`, 'argument');
  v = o['pageState'];
  if (v !== undefined && v !== null && !Buffer.isBuffer(v)) {
    if (typeof v !== 'string') throw new TypeError(`${prefix}pageState must be a Buffer or a hex string, obtained ${show(v)}`);
    // Buffer.from(x, 'hex') stops at the first bad digit: a mangled state would restart the paging silently.
    if (!HEX.test(v)) throw new ArgumentError(`${prefix}pageState is not a hex string: ${show(v)}`);
  }
  v = o['routingKey'];
  if (v !== undefined && v !== null && !Buffer.isBuffer(v) && !isBufferArray(v)) {
    // cassandra-driver's message (execution-options.js / client.js); Token and TokenRange keys are not supported here.
    throw new TypeError(`${prefix}Unexpected routingKey '${inspect(v)}' provided. Expected Buffer, Array<Buffer>, Token, or TokenRange.`);
  }
  v = o['keyspace'];
  if (v !== undefined && v !== null && typeof v !== 'string')
    throw new TypeError(`${prefix}keyspace must be a String, obtained ${show(v)}`);
  v = o['executeAs'];
  if (v !== undefined && v !== null && typeof v !== 'string')
    throw new TypeError(`${prefix}executeAs must be a String, obtained ${show(v)}`);
  v = o['customPayload'];
  if (v !== undefined && v !== null) {
    if (typeof v !== 'object' || Array.isArray(v))
      throw new TypeError(`${prefix}customPayload must be an object of Buffers, obtained ${show(v)}`);
    const payload = v as Record<string, unknown>;
    for (const key of Object.keys(payload)) {
      if (!Buffer.isBuffer(payload[key]))
        throw new TypeError(`${prefix}customPayload.${key} must be a Buffer, obtained ${show(payload[key])}`);
    }
  }
  v = o['hints'];
  if (v !== undefined && v !== null && typeof v !== 'object') {
    throw new TypeError(`${prefix}hints must be an Array or an object of type names, obtained ${show(v)}`);
  }
  v = o['retry'];
  if (v !== undefined && !(v instanceof RetryPolicy))
    throw new TypeError(`${prefix}retry must be an instance of RetryPolicy, obtained ${show(v)}`);
  v = o['host'];
  if (v !== undefined && v !== null && (typeof v !== 'object' || typeof (v as { address?: unknown }).address !== 'string')) {
    throw new TypeError(`${prefix}host must be a Host (client.hosts), obtained ${show(v)}`);
  }
  v = o['executionProfile'];
  if (v !== undefined && v !== null && typeof v !== 'string' && !(v instanceof ExecutionProfile)) {
    throw new TypeError(`${prefix}executionProfile must be a String or an ExecutionProfile, obtained ${show(v)}`);
  }
}

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
  getCaptureStackTrace(): boolean {
    return undefined!;
  }
  getConsistency(): number {
    return undefined!;
  }
  getCustomPayload(): Record<string, Buffer> {
    return undefined!;
  }
  getFetchSize(): number {
    return undefined!;
  }
  getFixedHost(): Host {
    return undefined!;
  }
  /**
   * A host a load-balancing policy should try first (DefaultLoadBalancingPolicy.newQueryPlan does), unlike `host`
   * not exclusive. The engine routes by its precomputed plans and does not read it: it matters to code that
   * calls a policy's newQueryPlan itself.
   */
  getPreferredHost(): Host | undefined {
    return undefined;
  }
  getHints(): QueryOptions['hints'] | undefined {
    return undefined;
  }
  isAutoPage(): boolean {
    return undefined!;
  }
  isBatchCounter(): boolean {
    return false;
  }
  isBatchLogged(): boolean {
    return true;
  }
  isIdempotent(): boolean {
    return undefined!;
  }
  isPrepared(): boolean {
    return undefined!;
  }
  isQueryTracing(): boolean {
    return undefined!;
  }
  getKeyspace(): string {
    return undefined!;
  }
  getLoadBalancingPolicy(): LoadBalancingPolicy {
    return undefined!;
  }
  getPageState(): Buffer {
    return undefined!;
  }
  getRawQueryOptions(): QueryOptions {
    return EMPTY;
  }
  getReadTimeout(): number {
    return undefined!;
  }
  getRetryPolicy(): RetryPolicy {
    return undefined!;
  }
  getRowCallback(): ((n: number, row: unknown) => void) | undefined {
    return undefined;
  }
  getOrGenerateTimestamp(): Long | number | bigint | null {
    return null;
  }
  getRoutingIndexes(): number[] | undefined {
    return undefined;
  }
  getRoutingKey(): Buffer | Buffer[] {
    return undefined!;
  }
  getRoutingNames(): string[] | undefined {
    return undefined;
  }
  getSerialConsistency(): number {
    return undefined!;
  }
  /** Declared without bigint, as cassandra-driver declares it (a bigint timestamp given in the options comes back as given). */
  getTimestamp(): number | Long | undefined | null {
    return undefined;
  }
  /* eslint-disable @typescript-eslint/no-unused-vars -- cassandra-driver's signatures: the parameters are for subclasses (their names show in the .d.ts) */
  setHints(hints: QueryOptions['hints']): void {}
  setKeyspace(keyspace: string): void {}
  setPageState(pageState: Buffer | null): void {}
  setPreferredHost(host: Host): void {}
  setRoutingIndexes(routingIndexes: number[]): void {}
  setRoutingKey(value: Buffer | Buffer[]): void {}
  /* eslint-enable @typescript-eslint/no-unused-vars */
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
    if (queryOptions !== EMPTY) {
      if (typeof queryOptions !== 'object') throw new TypeError(`Query options must be an object, obtained ${show(queryOptions)}`);
      validateQueryOptions(queryOptions, '');
    }
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
  static create(
    options: QueryOptions | null | undefined | ((...args: never[]) => unknown),
    client: ExecutionContext,
    rowCallback?: (n: number, row: unknown) => void,
  ): DefaultExecutionOptions {
    const q = !options || typeof options === 'function' ? EMPTY : options;
    return new DefaultExecutionOptions(q, client, rowCallback);
  }

  override getCaptureStackTrace(): boolean {
    return ifUndefined(this.q.captureStackTrace, this.defaults.captureStackTrace)!;
  }
  override getConsistency(): number {
    return ifUndefined3(this.q.consistency, this.profile.consistency, this.defaults.consistency)!;
  }
  override getCustomPayload(): Record<string, Buffer> {
    return this.customPayload!;
  }
  override getFetchSize(): number {
    return nullAsZero(ifUndefined(this.q.fetchSize, this.defaults.fetchSize));
  }
  override getFixedHost(): Host {
    return this.q.host!;
  }
  override getHints(): QueryOptions['hints'] | undefined {
    return this.hints;
  }
  override isAutoPage(): boolean {
    return ifUndefined(this.q.autoPage, this.defaults.autoPage)!;
  }
  override isBatchCounter(): boolean {
    return ifUndefined(this.q.counter, false);
  }
  override isBatchLogged(): boolean {
    return ifUndefined3(this.q.logged, this.defaults.logged, true);
  }
  override isIdempotent(): boolean {
    return ifUndefined(this.q.isIdempotent, this.defaults.isIdempotent)!;
  }
  override isPrepared(): boolean {
    return ifUndefined(this.q.prepare, this.defaults.prepare)!;
  }
  override isQueryTracing(): boolean {
    return ifUndefined(this.q.traceQuery, this.defaults.traceQuery)!;
  }
  override getKeyspace(): string {
    return this.keyspace!;
  }
  override getLoadBalancingPolicy(): LoadBalancingPolicy {
    return this.profile.loadBalancing!;
  }
  override getPageState(): Buffer {
    return this.pageState!;
  }
  getProfile(): ExecutionProfile {
    return this.profile;
  }
  override getRawQueryOptions(): QueryOptions {
    return this.q;
  }
  override getReadTimeout(): number {
    return nullAsZero(ifUndefined3(this.q.readTimeout, this.profile.readTimeout, this.client.options.socketOptions.readTimeout));
  }
  override getRetryPolicy(): RetryPolicy {
    return ifUndefined3(this.q.retry, this.profile.retry, this.client.options.policies.retry)!;
  }
  override getRowCallback(): ((n: number, row: unknown) => void) | undefined {
    return this.rowCallback;
  }
  /** The query's timestamp, else the generator's (client-side default timestamp), else null. */
  override getOrGenerateTimestamp(): Long | number | bigint | null {
    const ts = this.q.timestamp;
    // Truncated as Long.fromNumber does in cassandra-driver (the value was checked in the constructor).
    if (ts !== undefined && ts !== null) return typeof ts === 'number' ? Math.trunc(ts) : ts;
    const gen = this.client.options.policies.timestampGeneration;
    if (!gen) return null;
    const t = gen.next(this.client);
    // A user's generator: the same check, so a wrong return value is an error and not timestamp 0.
    if (typeof t !== 'number' && t !== null) checkTimestamp(t, "The timestamp generator's value");
    return t;
  }
  override getRoutingIndexes(): number[] | undefined {
    return this.routingIndexes;
  }
  override getRoutingKey(): Buffer | Buffer[] {
    return this.routingKey!;
  }
  override getRoutingNames(): string[] | undefined {
    return this.q.routingNames;
  }
  override getSerialConsistency(): number {
    return ifUndefined3(this.q.serialConsistency, this.profile.serialConsistency, this.defaults.serialConsistency)!;
  }
  override getTimestamp(): number | Long | undefined | null {
    return this.q.timestamp as number | Long | undefined;
  }
  override setHints(hints: QueryOptions['hints']): void {
    this.hints = hints;
  }
  override setKeyspace(keyspace: string): void {
    this.keyspace = keyspace;
  }
  override setPageState(pageState: Buffer | null): void {
    this.pageState = pageState;
  }
  override getPreferredHost(): Host | undefined {
    return this.preferredHost;
  }
  override setPreferredHost(host: Host): void {
    this.preferredHost = host;
  }
  override setRoutingIndexes(routingIndexes: number[]): void {
    this.routingIndexes = routingIndexes;
  }
  override setRoutingKey(value: Buffer | Buffer[]): void {
    this.routingKey = value;
  }
}

/** A null readTimeout / fetchSize is 0 (no timeout / no paging), as cassandra-driver reads it; undefined stays unset. */
function nullAsZero(v: number | null | undefined): number {
  return (v === null ? 0 : v)!;
}
