/**
 * The contract between the `Client` facade and the machinery that moves requests to the servers.
 * The facade encodes message bodies and decodes answers; the engine only carries bytes, picks the
 * connection (token -> host -> connection -> shard worker) and reports failures as typed errors. What to send
 * and how to route it travel together in one EngineRequest (request.ts).
 *
 * Two implementations share this contract: the sharded engine (sharded-engine.ts: the thread that created
 * the client; shard worker threads own the connections, requests go through ring queues, or the direct lane
 * at low concurrency) and a handle thread's engine (handle-engine.ts: another thread given a handle of that
 * client; its own rings to the same shard workers, no connection of its own). The client's unit tests use
 * fakes (test/helpers/fake-engine.ts).
 */
import type { EventEmitter } from 'node:events';
import type { CqlEvent } from '@shardcql/core';
import type { ShardMetrics } from '../metrics/shard-metrics';
import type { EngineHandle } from './handle-engine';
import type { EngineRequest } from './request';

/**
 * One answer, as the engine hands it back: not a protocol frame but what the facade decodes (the opcode, flags
 * and body after the frame header) and the host it came from. `body` is owned by the caller (copied out of the
 * ring or the socket buffer).
 */
export class EngineAnswer {
  constructor(
    public opcode: number,
    public flags: number,
    public body: Buffer,
    /** Index into `Engine.hosts` of the host that answered. */
    public hostIndex: number,
  ) {}
}

export interface EngineHost {
  /** "ip:port", as cassandra-driver's Host.address. */
  address: string;
  datacenter: string | null;
  rack: string | null;
  hostId: string | null;
  cassandraVersion: string | null;
  tokens: string[];
  up: boolean;
}

export interface EngineOptions {
  contactPoints: string[];
  port: number;
  localDataCenter: string | null;
  /**
   * The client's own `localDataCenter` option (not a policy's): as cassandra-driver's control connection, connect
   * fails with NoHostAvailableError (an ArgumentError per contact point) when no host is in it.
   */
  requiredDataCenter?: string | null;
  /** Throws what the load-balancing policies' init would throw for hosts in these data centers (before workers start). */
  checkDataCenters?: ((dataCenters: string[]) => void) | null;
  keyspace: string | null;
  credentials: { username: string; password: string } | null;
  /**
   * A custom AuthProvider (not PlainTextAuthProvider, whose credentials go in `credentials`): it stays on the
   * engine's thread and answers the workers' SASL steps there (auth/engine-authenticator.ts).
   */
  authProvider?: import('../auth/provider').AuthProvider | null;
  sslOptions: import('node:tls').ConnectionOptions | null;
  compression: 'none' | 'lz4' | 'snappy';
  /** Shard worker threads (>= 1). */
  workers: number;
  /** Per-shard counters in shared memory (client.getShardMetrics()); default on. */
  metrics?: boolean;
  /** Requests the direct lane (engine/direct-lane.ts) may carry at once; 0 or absent: no lane. */
  directLane?: number;
  connectionsPerHost: number;
  maxProtocolVersion: 4 | 5;
  connectTimeoutMs: number;
  heartbeatIntervalMs: number;
  coalescingThreshold: number;
  maxRequestsPerConnection: number;
  applicationName: string | null;
  applicationVersion: string | null;
  clientId: string | null;
  /**
   * policies.reconnection: the delays between the attempts of a lost or failed connection (worker connections, the
   * direct lane, the shard refill). Absent: cassandra-driver's default, ExponentialReconnectionPolicy(1000, 10 min).
   */
  reconnection?: import('@shardcql/shard-worker').ReconnectionSchedules | null;
}

/**
 * Events: 'event' (CqlEvent from the server: topology, status, schema), 'log' (level, message),
 * 'hostUp' / 'hostDown' (EngineHost).
 */
export interface Engine extends EventEmitter {
  connect(): Promise<void>;
  readonly connected: boolean;
  /** The negotiated protocol version (4 or 5); valid after connect(). */
  readonly protocolVersion: number;
  readonly hosts: readonly EngineHost[];
  /**
   * Sends one request (request.ts). `req.body[0, req.bodyLength)` is copied and every field read before
   * `send` returns, so the caller may reuse the buffer and the object. `req.hostIndex` >= 0 pins the request
   * to a host (cassandra-driver's `options.host`); -1 lets the engine pick (token-aware when `req.hasToken`,
   * primary replica first when `req.lwt`). Rejects with OperationTimedOutError, NoHostAvailableError,
   * BusyConnectionError or DriverError; never leaves the promise pending.
   */
  send(req: EngineRequest): Promise<EngineAnswer>;
  /** Sends the same request on one connection of every up host (PREPARE on all hosts). */
  sendToAllHosts(opcode: number, body: Uint8Array, bodyLength: number, timeoutMs: number): Promise<Array<EngineAnswer | Error>>;
  /** `USE ks` on every connection, present and future. */
  setKeyspace(keyspace: string): Promise<void>;
  /**
   * Polls system.local and system.peers through the control connection until every up host reports the
   * same schema_version (after DDL); resolves false if `maxWaitMs` passes first. Never rejects.
   */
  waitForSchemaAgreement(maxWaitMs: number): Promise<boolean>;
  /**
   * One schema agreement check, no retry (metadata.checkSchemaAgreement): the same query as
   * waitForSchemaAgreement's; false when the hosts disagree or the check fails. Never rejects.
   */
  checkSchemaAgreement(): Promise<boolean>;
  /** ScyllaDB's LWT bit mask from SUPPORTED (0 when the server has none). */
  readonly lwtMask?: number;
  /**
   * ScyllaDB tablets: a RESULT carried the `tablets-routing-v1` custom payload (the request reached a node
   * or shard that is not a replica of its tablet); `payloadValue` is that entry's value. A bad payload is
   * logged and ignored. The answer-side hook of routing: requests name their table in their RoutingInfo.
   */
  noteTablet?(keyspace: string, table: string, payloadValue: Buffer): void;
  /**
   * The query plan of `req` as host indexes (routing/router.ts): the token's replicas (its tablet's when known;
   * local datacenter first, round robin among them unless `req.lwt`), then the other hosts with an open
   * connection. Computed on the first call into the request (`req.plan`) and returned again after: every retry
   * and speculative execution of one request takes the next host of it (`req.planNext`), as cassandra-driver's
   * plan iterator does.
   */
  queryPlan(req: EngineRequest): number[];
  /** Changes whenever host indexes change meaning (a host was removed): a queryPlan taken before is stale. */
  readonly hostsEpoch: number;
  /** A handle up to `threads` other threads may use at once (client.createHandle; handle-engine.ts). */
  createHandle?(threads?: number): Promise<EngineHandle>;
  /** Per (host, shard) counters read from shared memory. */
  getShardMetrics?(): ShardMetrics[];
  /** Waits for in-flight requests (bounded), then closes everything. Requests sent after this reject. */
  shutdown(): Promise<void>;
  readonly inFlight: number;
}

export type { CqlEvent };
