// Per-shard metrics shared between the shard workers (writers) and any reading thread.
export * from './layout';
export { ConnectionMetrics, WorkerMetrics } from './connection-metrics';
