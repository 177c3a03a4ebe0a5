// Per-shard metrics shared between the shard workers (writers) and any reading thread.
// The layout lives in core beside the rings (ring/metrics-layout.ts); re-exported here for the package's users,
// through core's index: a subpath in a published .d.ts would not resolve under moduleResolution node10.
export {
  METRICS_MAGIC, H_MAGIC, H_MAX_CONNS, H_MAX_WORKERS, HEADER_F64, W_DRAINS, W_RECORDS, W_MAX_BATCH,
  W_NO_CONNECTION, WORKER_F64, C_STATE, C_SHARD, C_WORKER, C_REQUESTS, C_RESPONSES, C_SERVER_ERRORS, C_TIMEOUTS,
  C_CONNECTION_LOST, C_BUSY, C_NO_CONNECTION, C_BYTES_SENT, C_BYTES_RECEIVED, C_SOCKET_WRITES, C_FRAMES_WRITTEN,
  C_LATENCY_COUNT, C_LATENCY_SUM_US, C_LATENCY_MAX_US, CONN_F64, HIST_SUB_BITS, HIST_MAX_SHIFT, HIST_BUCKETS,
  DEFAULT_MAX_CONNS, DEFAULT_MAX_WORKERS, CONN_SLOT_BYTES, workerOffset, connOffset, metricsBufferBytes,
  createMetricsBuffer, bucketOf, bucketLow, bucketMid,
} from '@shardcql/core';
export { ConnectionMetrics, WorkerMetrics } from './connection-metrics';
