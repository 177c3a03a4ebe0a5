// Per-shard metrics read from the shard workers' shared buffer; adapters live in their own modules
// (./prometheus, ./opentelemetry) so their optional dependencies load only when asked for.
export { ShardMetricsReader, type ShardMetrics, type WorkerRingMetrics } from './shard-metrics';
