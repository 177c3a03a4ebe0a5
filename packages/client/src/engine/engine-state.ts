/**
 * What the sharded engine's parts (cluster/, shards/, workers/, handles/) share: the hosts, the connections,
 * the requester, the session facts and the parts themselves. ShardedEngine (sharded-engine.ts) holds it and
 * passes itself to each part as this interface.
 */
import type { ConnectionTable } from './routing/connection-table';
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
  /**
   * Every connection and every host's connections (routing/connection-table.ts): add() a connection index to a
   * host (with its worker and spec), setUp() through setConnUp, remove() when dropped, renumberHosts() after
   * the host list was compacted, initShards() / setShardConn() for ScyllaDB shard slots. Shared with handles.
   */
  readonly connTable: ConnectionTable;
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
  /** Points the requester's connection -> host map at the table (after the table grew; cheap, no copy). */
  syncTargets(): void;
  /** A new routing table from the hosts and the cluster's replication data. */
  rebuildTable(): void;
}
