/** The engine's record of one host: what the facade shows (EngineHost), what the direct lane keeps (LaneHost), its connections. */
import type { Sharder } from '@shardcql/core';
import type { LaneHost } from './direct-lane';
import type { EngineHost } from './engine';
import type { ShardingInfo, TopologyHost } from './topology';

export interface HostState extends EngineHost, LaneHost {
  port: number;
  ip: string;
  /** The contact point name this host was given by (TLS verification and SNI); null for an address or a peer. */
  servername: string | null;
  /** Engine-wide connection indexes of this host. */
  conns: number[];
  rr: number;
  /** In the local datacenter: the engine keeps connections to it. */
  local: boolean;
  /** ScyllaDB: the host's sharding (null: not sharded, or not known yet). */
  sharder: Sharder | null;
  /** ScyllaDB: the connection of each shard (-1: none). */
  shardConns: Int32Array;
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
    conns: [],
    rr: 0,
    local,
    sharder: null,
    shardConns: new Int32Array(0),
    shardAwarePort: 0,
    index: -1,
    lane: null,
    laneSlot: -1,
  };
}

/** Records a host's sharding; `conn` is the connection that read it (it serves info.shard). */
export function applySharding(hs: HostState, info: ShardingInfo, conn: number): void {
  hs.sharder = info.sharder;
  hs.shardAwarePort = info.shardAwarePort;
  hs.shardConns = new Int32Array(info.sharder.nrShards).fill(-1);
  hs.shardConns[info.shard] = conn;
}
