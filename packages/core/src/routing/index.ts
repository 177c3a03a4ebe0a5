// Partition routing: Murmur3 tokens, routing keys, ScyllaDB shards, the token ring, replica placement and
// precomputed per-range replica plans.
export { murmur3Token, murmur3TokenHiLo, tokenFromHiLo, tokenToHiLo } from './murmur3';
export { tokenToShard, Sharder } from './sharder';
export { buildRoutingKey, routingKeyLength, writeRoutingKey } from './routing-key';
export { TokenRing } from './token-ring';
export type { TokenEntry } from './token-ring';
export { computeReplicas, parseReplication } from './replicas';
export type { HostLocation, ReplicationStrategy } from './replicas';
export { ReplicaPlans } from './plans';
export { TabletMap, TableTablets, decodeTabletPayload, TABLETS_ROUTING_V1, TABLETS_PAYLOAD_KEY } from './tablets';
export type { TabletPayload, HostIndexOf } from './tablets';
