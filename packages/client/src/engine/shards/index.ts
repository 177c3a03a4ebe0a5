// ScyllaDB shard awareness: a connection per shard, re-placement after reconnections, slot refills.
export { ShardPlacer } from './shard-placement';
