/**
 * The engine's record of one host: what the facade shows (EngineHost), what the direct lane keeps (LaneHost).
 * Its connections and ScyllaDB shard slots are in the connection table (routing/connection-table.ts).
 */
import type { Sharder } from '@shardcql/core';
import type { LaneHost } from './direct-lane';
import type { EngineHost } from './engine';
import type { ShardingInfo, TopologyHost } from './topology';
import type { ConnectionTable } from './routing/connection-table';

export interface HostState extends EngineHost, LaneHost {
  port: number;
  ip: string;
  /** The contact point name this host was given by (TLS verification and SNI); null for an address or a peer. */
  servername: string | null;
  /** Round robin over the host's connections (connection table). */
  rr: number;
  /** In the local datacenter: the engine keeps connections to it. */
  local: boolean;
  /** ScyllaDB: the host's sharding (null: not sharded, or not known yet). */
  sharder: Sharder | null;
  /** ScyllaDB: SCYLLA_SHARD_AWARE_PORT (0: none). */
  shardAwarePort: number;
}

export function newHostState(t: TopologyHost, local: boolean, servername: string | null): HostState {
  return {
    servername,
    address: t.address,
    ip: t.ip,
    port: t.port,
    datacenter: t.datacenter,
    rack: t.rack,
    hostId: t.hostId,
    cassandraVersion: t.cassandraVersion,
    tokens: t.tokens,
    up: !local,
    rr: 0,
    local,
    sharder: null,
    shardAwarePort: 0,
    index: -1,
    lane: null,
    laneSlot: -1,
  };
}

/**
 * Records the sharding of host hs (index h): its shard slots in `table`, all empty but the one of `conn`, the
 * connection that read it (it serves info.shard).
 */
export function applySharding(table: ConnectionTable, h: number, hs: HostState, info: ShardingInfo, conn: number): void {
  hs.sharder = info.sharder;
  hs.shardAwarePort = info.shardAwarePort;
  table.initShards(h, info.sharder.nrShards);
  table.setShardConn(h, info.shard, conn);
}
