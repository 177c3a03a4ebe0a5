/**
 * Prepared statements (cassandra-driver `lib/prepare-handler.js`): the cache by (keyspace, query), one PREPARE
 * shared by concurrent first executions, PREPARE on the other hosts (`prepareOnAllHosts`), re-prepare on the
 * node that answered UNPREPARED, and named parameters mapped to the bind markers.
 */
import { ArgumentError, DriverInternalError, opcodes, type ResponseError } from '@shardcql/core';
import type { ExecutionOptions } from '../execution-options';
import { PreparedCache, PreparedInfo } from '../prepared-cache';
import type { ClientContext } from './context';
import type { RequestEncoder } from './encoder';
import type { Params } from './params';
import type { Request } from './request';
import type { ResultDecoder } from './result';
import { EngineRequest } from '../engine/request';

/* Hot-path bindings resolved once (see encoder.ts). */
const OP_PREPARE: number = opcodes.prepare;
const OP_ERROR: number = opcodes.error;

export class PrepareHandler {
  private readonly cache: PreparedCache;

  constructor(
    private readonly ctx: ClientContext,
    private readonly encoder: RequestEncoder,
    private readonly results: ResultDecoder,
  ) {
    this.cache = new PreparedCache(ctx.options.maxPrepared);
  }

  /** Per-query keyspace (v5) else the session keyspace: the prepared cache key, as cassandra-driver's. */
  keyspaceOf(eo: ExecutionOptions): string | null {
    const ks = this.encoder.protocolVersion >= 5 ? eo.getKeyspace() : undefined;
    return ks || this.ctx.keyspace || null;
  }

  /** The cached statement (ready), or the promise of the PREPARE in flight (shared by concurrent callers). */
  get(query: string, queryKeyspace: string | null): PreparedInfo | Promise<PreparedInfo> {
    const key = PreparedCache.key(queryKeyspace, query);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached.id !== null ? cached : cached.promise!;
    const ctx = this.ctx;
    const perQueryKs = this.encoder.protocolVersion >= 5 && queryKeyspace !== (ctx.keyspace ?? null) ? queryKeyspace : null;
    const info = new PreparedInfo(query, perQueryKs);
    info.promise = this.prepareOn(info, -1).then(
      (i) => {
        if (ctx.options.prepareOnAllHosts && ctx.hosts.length > 1) this.prepareOnOtherHosts(info);
        return i;
      },
      (err: Error) => {
        this.cache.delete(key);
        throw err;
      },
    );
    // The promise is awaited by whoever asked; this no-op keeps an eviction-only rejection from being unhandled.
    info.promise.catch(() => undefined);
    this.cache.set(key, info);
    return info.promise;
  }

  /** The statement of a prepared id (UNPREPARED, batch entries). */
  byId(id: Buffer): PreparedInfo | undefined {
    return this.cache.getById(id);
  }

  /** Forgets every prepared statement (metadata.clearPrepared). */
  clear(): void {
    this.cache.clear();
  }

  /** Object parameters of a prepared statement, mapped to the bind markers by (lower-cased) name. */
  adaptParams(params: Params, info: PreparedInfo): unknown[] | null {
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

  /**
   * The node at `hostIndex` answered UNPREPARED (restart, schema change, eviction): prepare the statement again
   * there, once however many requests met it at once; a batch's entries get the new id.
   */
  async afterUnprepared(req: Request, err: ResponseError, hostIndex: number, address: string): Promise<void> {
    req.reprepared = true;
    const target = req.info ?? (err.queryId ? (this.cache.getById(err.queryId) ?? null) : null);
    if (target === null) throw new DriverInternalError(`Unprepared response invalid, id: 0x${err.queryId?.toString('hex') ?? ''}`);
    this.ctx.log('info', `Query 0x${err.queryId?.toString('hex') ?? ''} not prepared on host ${address}, preparing and retrying`);
    const oldId = target.id;
    await this.reprepare(target, hostIndex);
    const entries = req.entries;
    if (entries !== null && oldId !== null) {
      for (const e of entries) if (e.id !== null && Buffer.compare(e.id, oldId) === 0) e.id = target.id;
    }
  }

  /** Sends PREPARE (to `hostIndex`, or where the engine picks) and fills `info` from the PREPARED result. */
  private async prepareOn(info: PreparedInfo, hostIndex: number): Promise<PreparedInfo> {
    const engine = this.ctx.requireEngine();
    const enc = this.encoder;
    enc.encodePrepare(info);
    const w = enc.writer;
    const pending = engine.send(EngineRequest.of(OP_PREPARE, w.buf, w.pos, this.ctx.options.socketOptions.readTimeout, hostIndex));
    enc.releaseIfLarge();
    const frame = await pending;
    if (frame.opcode === OP_ERROR) {
      const err = this.results.error(frame);
      // Only the query, as cassandra-driver (prepare-handler.js): a PREPARE is not an execution, no `coordinator`.
      (err as ResponseError & { query?: string }).query = info.query;
      throw err;
    }
    const result = this.results.prepared(frame);
    this.cache.setId(info, result.id);
    info.resultMetadataId = result.resultMetadataId;
    info.bindMetadata = result.bindMetadata;
    info.resultMetadata = result.resultMetadata;
    const cols = result.bindMetadata.columns ?? [];
    info.bindTypes = cols.map((c) => c.type);
    return info;
  }

  /** One PREPARE per (statement, host) however many requests met UNPREPARED at once (cassandra-driver prepareOnce). */
  private reprepare(info: PreparedInfo, hostIndex: number): Promise<PreparedInfo> {
    const inFlight = (info.repreparing ??= new Map<number, Promise<PreparedInfo>>());
    let p = inFlight.get(hostIndex);
    if (p === undefined) {
      p = this.prepareOn(info, hostIndex).finally(() => inFlight.delete(hostIndex));
      inFlight.set(hostIndex, p);
    }
    return p;
  }

  private prepareOnOtherHosts(info: PreparedInfo): void {
    const engine = this.ctx.getEngine();
    if (engine === null) return;
    const enc = this.encoder;
    enc.encodePrepare(info);
    const w = enc.writer;
    engine.sendToAllHosts(OP_PREPARE, w.buf, w.pos, this.ctx.options.socketOptions.readTimeout).catch((err: Error) => {
      this.ctx.log('warning', `Prepare on all hosts failed: ${err.message}`, err);
    });
    enc.releaseIfLarge();
  }
}
