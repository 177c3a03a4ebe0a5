// The public surface of @shardcql/shard-worker: what the engine on the requesting side needs.
export * from './protocol';
export { startShardWorker } from './worker-script';
export { TAG_SPLIT, MAX_REQUESTERS, DROPPED_REQUESTER } from './tag';
export * from './connection';
export * from './metrics';
export * from './connection-set';
