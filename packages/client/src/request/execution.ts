/**
 * The execution loop (cassandra-driver `lib/request-handler.js` and `request-execution.js`): encodes and sends
 * one request, then applies what the answer calls for: a result, re-prepare on UNPREPARED, a resend of a
 * request that was never written to a socket, the retry policy's decision after an error, speculative
 * executions of idempotent requests (speculative-send.ts), the metrics and tracker calls.
 *
 * The default path (no tracker, no speculation, an answer from the first host) allocates nothing here besides
 * what `run` must return: the request object is the caller's, and every step is a plain method call.
 */
import { NoHostAvailableError, OperationTimedOutError, opcodes, type ResponseError } from '@shardcql/core';
import type { Engine, EngineAnswer } from '../engine/engine';
import { reportError, reportRetry } from '../metrics/client-metrics';
import { NoSpeculativeExecutionPolicy } from '../policies/speculative-execution';
import { RetryPolicy, type DecisionInfo } from '../policies/retry';
import type { PreparedInfo } from '../prepared-cache';
import { ResultSet } from '../result-set';
import { SpeculativeRun } from '../speculative-send';
import { addressOf, indexOf, type ClientContext } from './context';
import type { RequestEncoder } from './encoder';
import type { PrepareHandler } from './prepare';
import { RequestKind, type Request } from './request';
import type { Pager, ResultDecoder } from './result';
import { ERR_UNPREPARED, decideOnRequestError, decideOnServerError } from './retry';
import { Tracking } from './tracking';

/* Hot-path bindings resolved once (see encoder.ts). */
const OP_QUERY: number = opcodes.query;
const OP_EXECUTE: number = opcodes.execute;
const OP_BATCH: number = opcodes.batch;
const OP_ERROR: number = opcodes.error;
const RETRY: number = RetryPolicy.retryDecision.retry;
const IGNORE: number = RetryPolicy.retryDecision.ignore;

const LOCAL_ONE = 0x000a;

/** Resends of a request the engine reports as never sent (see onSendFailure). */
const MAX_NOT_SENT_RETRIES = 2;

/** A failure of `engine.send` (no answer). */
type SendError = Error & { host?: string; coordinator?: string; wasNotSent?: boolean; query?: string };

export class RequestExecutor implements Pager {
  /** `info.triedHosts` of requests answered by the first host tried, per address (read-only by convention). */
  private readonly triedOnce = new Map<string, Record<string, Error | null>>();
  /** The tracker's calls, when options.requestTracker is set: the loop tests it once per answer. */
  private readonly tracking: Tracking | null;
  /** The speculative execution policy is not NoSpeculativeExecutionPolicy: the request loop's one test. */
  private readonly speculative: boolean;

  constructor(
    private readonly ctx: ClientContext,
    private readonly encoder: RequestEncoder,
    private readonly prepare: PrepareHandler,
    private readonly results: ResultDecoder,
  ) {
    this.tracking = ctx.tracker !== null ? new Tracking(ctx, ctx.tracker, prepare) : null;
    this.speculative = !(ctx.options.policies.speculativeExecution instanceof NoSpeculativeExecutionPolicy);
  }

  /**
   * Sends `req` until it has an answer or a final error. Encoding happens right before each send because the
   * writer is shared by all requests.
   */
  async run(req: Request): Promise<ResultSet> {
    const engine = this.ctx.requireEngine();
    this.begin(req);
    for (;;) {
      this.encodeTry(req, engine);
      let frame: EngineAnswer;
      try {
        frame = await this.send(req, engine);
      } catch (e) {
        const ignored = this.onSendFailure(req, engine, e as SendError);
        if (ignored === null) continue;
        return ignored;
      }
      if (frame.opcode !== OP_ERROR) return this.onResult(req, engine, frame);
      const address = addressOf(engine, frame.hostIndex);
      const err = this.serverError(req, frame, address);
      if (err.code === ERR_UNPREPARED && !req.reprepared) {
        // The node lost the statement: prepare it again on that node and retry there, once.
        await this.prepare.afterUnprepared(req, err, frame.hostIndex, address);
        req.hostIndex = frame.hostIndex;
        continue;
      }
      const ignored = this.onServerError(req, engine, err, frame.hostIndex, address);
      if (ignored === null) continue;
      return ignored;
    }
  }

  /** What is resolved once per execute: the fixed host, consistency, timeout, timestamp, clock, speculation. */
  private begin(req: Request): void {
    const eo = req.eo;
    const fixed = eo.getFixedHost();
    if (fixed) {
      // A fixed host by its address, not by the index it carries: a Host kept from before a topology change (or
      // from another client) would point at whichever host now has that index.
      const index = indexOf(this.ctx.hosts, fixed.address);
      if (index < 0)
        throw new NoHostAvailableError({}, `Host ${String(fixed.address)} (execution option host) is not a host of this client`);
      req.fixedIndex = index;
    }
    req.hostIndex = req.fixedIndex;
    req.consistency = eo.getConsistency() ?? LOCAL_ONE;
    req.timeoutMs = eo.getReadTimeout() ?? 12000;
    req.timestamp = eo.getOrGenerateTimestamp();
    if (req.internal) return;
    const metrics = this.ctx.metrics;
    // One clock read per request only when someone consumes latencies (ClientMetrics.timed, a tracker).
    if (metrics.timed || this.tracking !== null) req.started = process.hrtime();
    // Speculative executions: idempotent requests without a fixed host (cassandra-driver's rule).
    if (this.speculative && req.fixedIndex < 0 && eo.isIdempotent()) {
      req.spec = new SpeculativeRun(this.ctx.options.policies.speculativeExecution.newPlan(this.ctx.keyspace ?? null, req.query), metrics);
    }
  }

  /** Encodes the body into the shared writer and computes the routing token. */
  private encodeTry(req: Request, engine: Engine): void {
    const enc = this.encoder;
    try {
      req.flags = enc.encode(req);
    } catch (e) {
      enc.releaseLargeBuffers();
      throw this.withRequestFields(e, engine, req);
    }
    let hasToken: boolean;
    try {
      hasToken = enc.computeToken(req);
    } catch (e) {
      enc.releaseLargeBuffers();
      throw e;
    }
    if (hasToken) routeByTable(req);
    // Read before the await: the shared writer holds other requests by the time this one settles.
    req.requestLength = enc.writer.pos + 9;
  }

  private send(req: Request, engine: Engine): Promise<EngineAnswer> {
    const enc = this.encoder;
    const w = enc.writer;
    const kind = req.kind;
    const opcode = kind === RequestKind.Batch ? OP_BATCH : kind === RequestKind.Execute ? OP_EXECUTE : OP_QUERY;
    const spec = req.spec;
    // ---- the send (engine/request.ts): the request is what the engine sends; speculative executions send
    // the body again later, so they own a copy of it.
    const speculate = spec !== null && req.hostIndex < 0;
    req.setMessage(opcode, req.flags, speculate ? Buffer.from(w.buf.subarray(0, w.pos)) : w.buf, w.pos, req.timeoutMs);
    req.lwt = req.info !== null && this.isLwt(engine, req.info);
    const pending = speculate ? spec.send(engine, req) : engine.send(req);
    // ---- end of the send
    // The engine copied the body before send returned: give back what an unusually large request grew.
    if (enc.holdsLargeBuffer()) enc.releaseLargeBuffers();
    return pending;
  }

  /** A RESULT: the hosts tried, metrics, tracker, then the decoded result. */
  private onResult(req: Request, engine: Engine, frame: EngineAnswer): ResultSet | Promise<ResultSet> {
    const address = addressOf(engine, frame.hostIndex);
    const tried = req.triedHosts;
    if (tried === null) {
      // First try succeeded (the common case): one shared { [address]: null } per host, not a new dictionary.
      let shared = this.triedOnce.get(address);
      if (shared === undefined) {
        shared = { [address]: null };
        this.triedOnce.set(address, shared);
      }
      req.triedHosts = shared;
    } else if (!(address in tried)) tried[address] = null;
    const started = req.started;
    if (started !== null) {
      const latency = process.hrtime(started);
      this.ctx.metrics.onResponse(latency);
      this.ctx.metrics.onSuccessfulResponse(latency);
    }
    if (this.tracking !== null && !req.internal) this.tracking.success(req, address, frame.body.length + 9);
    const rs = this.results.toResultSet(frame, address, req, this);
    const spec = req.spec;
    return spec !== null && spec.executions > 0 ? withSpeculativeCount(rs, spec.executions) : rs;
  }

  /**
   * `engine.send` failed without an answer: a resend when it was never written to a socket, else the retry
   * policy's decision. null to try again, the result of an ignored error; throws the final error.
   */
  private onSendFailure(req: Request, engine: Engine, err: SendError): ResultSet | null {
    // A send that threw before handing the body over keeps no huge buffer either.
    this.encoder.releaseIfLarge();
    // Never written to a socket (the connection had just gone): safe to send again whatever the statement's
    // idempotence; the engine picks another open connection.
    if (err.wasNotSent === true && !req.internal && req.notSentRetries < MAX_NOT_SENT_RETRIES) {
      req.notSentRetries++;
      req.hostIndex = req.fixedIndex;
      return null;
    }
    const address = err.host ?? err.coordinator;
    // cassandra-driver names the host of every failed execution (request-execution.js _handleError).
    if (address !== undefined && err.coordinator === undefined && !req.internal) err.coordinator = address;
    if (address !== undefined) (req.triedHosts ??= {})[address] = err;
    if (this.tracking !== null && !req.internal) this.tracking.error(req, address, err);
    const decision = decideOnRequestError(req, err);
    const clientTimeout = err instanceof OperationTimedOutError;
    if (decision.decision === RETRY) {
      this.countRetry(req, decision, err, clientTimeout);
      const next =
        decision.useCurrentHost !== false && address !== undefined
          ? indexOf(this.ctx.hosts, address)
          : this.nextHost(engine, req, req.triedHosts ?? {});
      this.retryOn(req, err, clientTimeout, next);
      return null;
    }
    return this.finish(req, decision, err, clientTimeout, address);
  }

  /** An ERROR answer: decoded, its coordinator and the hosts tried noted, the tracker told. */
  private serverError(req: Request, frame: EngineAnswer, address: string): ResponseError & { query?: string } {
    const err = this.results.error(frame) as ResponseError & { query?: string };
    if (!req.internal) err.coordinator = address;
    (req.triedHosts ??= {})[address] = err;
    if (this.tracking !== null && !req.internal) this.tracking.error(req, address, err);
    return err;
  }

  /** The retry policy's decision on a server error. null to try again, the result of an ignored error; throws the final error. */
  private onServerError(
    req: Request,
    engine: Engine,
    err: ResponseError & { query?: string },
    hostIndex: number,
    address: string,
  ): ResultSet | null {
    if (req.started !== null) this.ctx.metrics.onResponse(process.hrtime(req.started));
    const decision = decideOnServerError(req, err);
    if (decision.decision === RETRY) {
      this.countRetry(req, decision, err, false);
      this.ctx.log('info', 'Retrying request');
      this.retryOn(req, err, false, decision.useCurrentHost !== false ? hostIndex : this.nextHost(engine, req, req.triedHosts!));
      return null;
    }
    return this.finish(req, decision, err, false, address);
  }

  /** The policy retries: counted, at the consistency it asks for. */
  private countRetry(req: Request, decision: DecisionInfo, err: Error, clientTimeout: boolean): void {
    req.retryCount++;
    reportRetry(this.ctx.metrics, err, clientTimeout);
    if (typeof decision.consistency === 'number') req.consistency = decision.consistency;
  }

  /** The retry goes to the fixed host, else to `next` (-1: no host left, NoHostAvailableError with every host's error). */
  private retryOn(req: Request, err: Error, clientTimeout: boolean, next: number): void {
    req.hostIndex = req.fixedIndex >= 0 ? req.fixedIndex : next;
    if (req.hostIndex === -1) {
      reportError(this.ctx.metrics, err, clientTimeout);
      throw new NoHostAvailableError(errorsOf(req.triedHosts));
    }
  }

  /** No retry: the empty result of an ignored error, else the error (with its query, not for a batch). */
  private finish(req: Request, decision: DecisionInfo, err: SendError, clientTimeout: boolean, address: string | undefined): ResultSet {
    if (req.internal) throw err;
    const metrics = this.ctx.metrics;
    if (decision.decision === IGNORE) {
      metrics.onIgnoreError(err);
      return this.results.emptyResult(address, req);
    }
    reportError(metrics, err, clientTimeout);
    if (req.kind !== RequestKind.Batch) err.query = req.query;
    throw err;
  }

  /**
   * A value that does not encode fails in cassandra-driver while the request is written to the first host of
   * its plan: the error then carries that host as `coordinator`, and the query (not for a batch).
   */
  private withRequestFields(e: unknown, engine: Engine, req: Request): unknown {
    if (e === null || typeof e !== 'object') return e;
    const err = e as { coordinator?: string; query?: string };
    let target = req.hostIndex;
    if (target < 0) {
      try {
        this.encoder.computeToken(req);
      } catch {
        // The routing key does not encode either: the plan without a token.
        req.hasToken = false;
      }
      if (req.hasToken) routeByTable(req);
      // The request's own plan (routing/router.ts): it fails here, nothing else walks it.
      const plan = engine.queryPlan(req);
      target = plan.length > 0 ? plan[0]! : engine.hosts.findIndex((h) => h.up);
    }
    if (target >= 0 && err.coordinator === undefined) err.coordinator = addressOf(this.ctx.getEngine(), target);
    if (req.kind !== RequestKind.Batch) err.query = req.query;
    return e;
  }

  /**
   * The retry policy asked for the next host of the query plan (cassandra-driver's plan iterator moves on): the
   * next host of the request's plan (engine.queryPlan(req): the token's replicas, local datacenter first, then
   * the other hosts; the plan its speculative executions walk too) that is up, in the local datacenter (any when
   * none is set) and not tried yet; -1 when the plan is exhausted, which cassandra-driver reports as
   * NoHostAvailableError with every tried host's error.
   */
  private nextHost(engine: Engine, req: Request, tried: Record<string, Error | null>): number {
    const hosts = engine.hosts;
    const o = this.ctx.options;
    const dc = o.localDataCenter ?? o.policies.loadBalancing.localDc ?? null;
    const plan = engine.queryPlan(req);
    while (req.planNext < plan.length) {
      const i = plan[req.planNext++]!;
      const h = hosts[i];
      if (h === undefined || !h.up || h.address in tried) continue;
      if (dc !== null && h.datacenter !== null && h.datacenter !== dc) continue;
      return i;
    }
    return -1;
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
}

/**
 * The keyspace and table a request with a token is routed by (its RoutingInfo, engine/request.ts): those of
 * the prepared statement's first bind column (replica plans of that keyspace; ScyllaDB tablets of that table),
 * else the query's keyspace option (null: the session keyspace), no table.
 */
function routeByTable(req: Request): void {
  const info = req.info;
  const cols = info !== null ? info.bindMetadata?.columns : null;
  const col = cols !== null && cols !== undefined && cols.length > 0 ? cols[0]! : null;
  req.keyspace = col !== null ? col.ksname : (req.eo.getKeyspace() ?? null);
  req.table = col !== null ? col.tablename : null;
}

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
