/**
 * What the sharded engine's parts (cluster/, shards/, workers/, handles/) share: the hosts, the connections,
 * the requester, the session facts and the parts themselves. ShardedEngine (sharded-engine.ts) holds it and
 * passes itself to each part as this interface.
 */
import type { ConnectionSpec } from '@shardcql/shard-worker';
import type { LwtMark } from './topology';
import type { EngineOptions } from './engine';
import type { HostState } from './host-state';
import type { RingRequester } from './ring-requester';
import type { DirectLane } from './direct-lane';
import type { ShardMetricsReader } from '../metrics/shard-metrics';
import type { WorkerSet } from './workers';
import type { HandleOwner } from './handles';
import type { Cluster } from './cluster';
import type { ShardPlacer } from './shards';
import type { ReconnectionSchedules } from '@shardcql/shard-worker';

export type LogLevel = 'error' | 'warning' | 'info' | 'verbose';

export interface EngineState {
  readonly options: EngineOptions;
  /** The user's policies.reconnection: worker connections get a sample of it, the lane and the shard refill use it. */
  readonly reconnection: ReconnectionSchedules;
  readonly connected: boolean;
  readonly shuttingDown: boolean;
  /** The negotiated protocol version (0 before the first connection). */
  version: number;
  keyspace: string | null;
  hostStates: HostState[];
  /** 1 when host i has at least one open connection: what routing reads. */
  hostUsable: Uint8Array;
  connWorker: number[];
  /** Host index of each connection; -1 once its host was removed. */
  connHost: number[];
  connUp: boolean[];
  connSpecs: ConnectionSpec[];
  /** ScyllaDB: the shard a connection reported when it (re)connected (placeShard); lets an extra one take a freed slot. */
  connShard: number[];
  /** Changes when host indexes change meaning (a host removed). */
  hostsEpoch: number;
  requester: RingRequester | null;
  lane: DirectLane | null;
  /** Per-shard metrics the workers write (metrics/layout.ts); null with `shardcql.metrics: false`. */
  metricsReader: ShardMetricsReader | null;
  /** The control connection's host announced ScyllaDB sharding: hosts get one connection per shard. */
  sharded: boolean;
  /** ScyllaDB's LWT mark from the first connection's SUPPORTED; echoed in later STARTUPs. */
  lwtMark: LwtMark | null;
  /** ScyllaDB: the server offers tablets-routing-v1 (asked for in every STARTUP). */
  tabletsRouting: boolean;
  readonly workers: WorkerSet;
  readonly handles: HandleOwner;
  readonly cluster: Cluster;
  readonly shards: ShardPlacer;
  log(level: LogLevel, message: string): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  /** A new connect starts the connection indexes over; returns the first one (0). */
  resetConnIndexes(): number;
  takeConnIndex(): number;
  releaseConnIndex(c: number): void;
  setConnUp(conn: number, up: boolean): void;
  addressOfConn(conn: number): string;
  /** The requester's connection -> host map, after connections were added or moved. */
  syncTargets(): void;
  /** A new routing table from the hosts and the cluster's replication data. */
  rebuildTable(): void;
}
