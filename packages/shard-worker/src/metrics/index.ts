// Per-shard metrics shared between the shard workers (writers) and any reading thread.
// The layout lives in core beside the rings (ring/metrics-layout.ts); re-exported here for the package's users.
export * from '@shardcql/core/ring/metrics-layout';
export { ConnectionMetrics, WorkerMetrics } from './connection-metrics';
