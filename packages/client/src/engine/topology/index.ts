// Topology: rows -> hosts and replication (pure), the routing table (plans per keyspace, host selection),
// and the control connection's refresh and schema agreement logic.
export { parseTopologyRows, type TopologyHost, type ParsedTopology } from './host-rows';
export { parseKeyspaceRows, type ParsedKeyspaces } from './keyspace-rows';
export { RoutingTable, type RoutingHost } from './routing-table';
export {
  RefreshScheduler,
  refreshFor,
  schemaVersionsAgree,
  REFRESH_TOPOLOGY,
  REFRESH_KEYSPACES,
  LOCAL_QUERY,
  PEERS_QUERY,
  PEERS_V2_QUERY,
  KEYSPACES_QUERY,
  LOCAL_SCHEMA_QUERY,
} from './control-connection';
export { parseSharding, parseLwtMark, isLocalPortTaken, LocalPortPicker, LOCAL_PORT_MIN, LOCAL_PORT_MAX, type ShardingInfo, type LwtMark } from './shard-awareness';
