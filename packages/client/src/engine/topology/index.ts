// Topology: rows -> hosts and replication (pure), the routing table (plans per keyspace, host selection),
// the system-table queries and schema agreement check, and when to refresh.
export { parseTopologyRows, type TopologyHost, type ParsedTopology } from './host-rows';
export { parseKeyspaceRows, type ParsedKeyspaces } from './keyspace-rows';
export { RoutingTable, type RoutingHost } from './routing-table';
export { RefreshScheduler, refreshFor, REFRESH_TOPOLOGY, REFRESH_KEYSPACES } from './refresh';
export {
  schemaVersionsAgree,
  waitForAgreement,
  LOCAL_QUERY,
  PEERS_QUERY,
  PEERS_V2_QUERY,
  KEYSPACES_QUERY,
  LOCAL_SCHEMA_QUERY,
  PEERS_SCHEMA_QUERY,
  PEERS_V2_SCHEMA_QUERY,
} from './system-queries';
export {
  parseSharding,
  parseLwtMark,
  isLocalPortTaken,
  LocalPortPicker,
  LOCAL_PORT_MIN,
  LOCAL_PORT_MAX,
  type ShardingInfo,
  type LwtMark,
} from './shard-awareness';
