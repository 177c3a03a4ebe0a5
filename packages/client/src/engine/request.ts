/**
 * The request object of the send path: what to send (opcode, flags, body, timeout), how to route it (its
 * RoutingInfo) and where its query plan is (the router's cursor). The facade makes one per execute and hands
 * the same object to every `Engine.send` of that execute (first try, retries, speculative executions), so all
 * of them walk one plan; the engine reads it synchronously: `body[0,
 * bodyLength)` is copied before `send` returns, so the caller may reuse the buffer (and change the fields)
 * afterwards. One class, every field set in the constructor in one order: one hidden class on the hot path.
 */

/** How a request is routed: built once by the facade, read by the engine's router. */
export interface RoutingInfo {
  /** The partition key's Murmur3 token, as two signed 32-bit halves (valid when `hasToken`). */
  tokenHi: number;
  tokenLo: number;
  hasToken: boolean;
  /** The statement's keyspace (replica plans) and table (ScyllaDB tablets); null: the session keyspace, no table. */
  keyspace: string | null;
  table: string | null;
  /** ScyllaDB LWT: the replicas in ring order, primary first, never round robin. */
  lwt: boolean;
  /** >= 0: pinned to this index of `Engine.hosts` (cassandra-driver's `options.host`); -1: the engine picks. */
  hostIndex: number;
}

const EMPTY = new Uint8Array(0);

export class EngineRequest implements RoutingInfo {
  opcode: number;
  flags: number;
  /** Only `body[0, bodyLength)` is sent. */
  body: Uint8Array;
  bodyLength: number;
  timeoutMs: number;
  tokenHi: number;
  tokenLo: number;
  hasToken: boolean;
  keyspace: string | null;
  table: string | null;
  lwt: boolean;
  hostIndex: number;
  /**
   * The request's query plan (routing/router.ts queryPlan): host indexes, computed on first use (a retry, a
   * speculative execution) and shared by every later one; null until then. Only the router writes it.
   */
  plan: number[] | null;
  /** The next position of `plan` to try (retries and speculative executions advance it). */
  planNext: number;
  /** The router's epoch `plan` was computed in (host indexes renumbered since: stale). */
  planEpoch: number;

  constructor() {
    this.opcode = 0;
    this.flags = 0;
    this.body = EMPTY;
    this.bodyLength = 0;
    this.timeoutMs = 0;
    this.tokenHi = 0;
    this.tokenLo = 0;
    this.hasToken = false;
    this.keyspace = null;
    this.table = null;
    this.lwt = false;
    this.hostIndex = -1;
    this.plan = null;
    this.planNext = 0;
    this.planEpoch = -1;
  }

  /** A request of `body[0, bodyLength)` without a token, to `hostIndex` (-1: any host). */
  static of(opcode: number, body: Uint8Array, bodyLength: number, timeoutMs: number, hostIndex = -1): EngineRequest {
    const r = new EngineRequest();
    r.setMessage(opcode, 0, body, bodyLength, timeoutMs);
    r.hostIndex = hostIndex;
    return r;
  }

  /** What to send. */
  setMessage(opcode: number, flags: number, body: Uint8Array, bodyLength: number, timeoutMs: number): void {
    this.opcode = opcode;
    this.flags = flags;
    this.body = body;
    this.bodyLength = bodyLength;
    this.timeoutMs = timeoutMs;
  }

  /** The partition key's token (hasToken true), or none (`hasToken` false: the halves are ignored). */
  setToken(hasToken: boolean, tokenHi: number, tokenLo: number): void {
    this.hasToken = hasToken;
    this.tokenHi = tokenHi;
    this.tokenLo = tokenLo;
  }
}
