/** cassandra-driver's `metrics` namespace. */
export { ClientMetrics, DefaultMetrics } from '../metrics/client-metrics';
