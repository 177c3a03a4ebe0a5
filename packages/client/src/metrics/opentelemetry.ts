/**
 * OpenTelemetry adapter (optional; needs `@opentelemetry/api`, a peer dependency): observable instruments
 * read by one batch callback per collection, which calls `getShardMetrics()` once. Attributes: host,
 * shard, worker. Nothing is counted on the request path.
 *
 *   import { metrics } from '@opentelemetry/api';
 *   import { observeShardMetrics } from '@shardcql/client/metrics/opentelemetry';
 *   observeShardMetrics(client, metrics.getMeter('shardcql'));
 */
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { ShardMetrics } from './shard-metrics';
import type { ShardMetricsSource } from './prometheus';

type Field = 'requests' | 'responses' | 'bytesSent' | 'bytesReceived' | 'socketWrites' | 'framesWritten';

/** Creates the instruments on `meter`; returns a function that stops observing. */
export function observeShardMetrics(source: ShardMetricsSource, meter: Meter, prefix = 'shardcql.shard.'): () => void {
  const counters: Array<[Observable, Field]> = [
    [meter.createObservableCounter(`${prefix}requests`, { description: 'Requests handed to the connection' }), 'requests'],
    [meter.createObservableCounter(`${prefix}responses`, { description: 'Answers received (ERROR included)' }), 'responses'],
    [meter.createObservableCounter(`${prefix}bytes_sent`, { unit: 'By' }), 'bytesSent'],
    [meter.createObservableCounter(`${prefix}bytes_received`, { unit: 'By' }), 'bytesReceived'],
    [meter.createObservableCounter(`${prefix}socket_writes`), 'socketWrites'],
    [meter.createObservableCounter(`${prefix}frames_written`), 'framesWritten'],
  ];
  const errors = meter.createObservableCounter(`${prefix}errors`, { description: 'Failed requests by kind' });
  const inFlight = meter.createObservableUpDownCounter(`${prefix}in_flight`);
  const framesPerWrite = meter.createObservableGauge(`${prefix}frames_per_write`);
  const latency = meter.createObservableGauge(`${prefix}latency`, { unit: 'us', description: 'Latency in the shard worker, by quantile' });
  const all: Observable[] = [...counters.map((c) => c[0]), errors, inFlight, framesPerWrite, latency];

  const callback = (r: BatchObservableResult): void => {
    const list: ShardMetrics[] = source.getShardMetrics();
    for (const m of list) {
      const a: Attributes = { host: m.host, shard: m.shard, worker: m.worker };
      for (const [inst, field] of counters) r.observe(inst, m[field], a);
      r.observe(errors, m.serverErrors, { ...a, kind: 'server' });
      r.observe(errors, m.timeouts, { ...a, kind: 'timeout' });
      r.observe(errors, m.connectionLost, { ...a, kind: 'connection_lost' });
      r.observe(errors, m.busy, { ...a, kind: 'busy' });
      r.observe(errors, m.noConnection, { ...a, kind: 'no_connection' });
      r.observe(inFlight, m.inFlight, a);
      r.observe(framesPerWrite, m.framesPerWrite, a);
      r.observe(latency, m.p50Us, { ...a, quantile: 0.5 });
      r.observe(latency, m.p99Us, { ...a, quantile: 0.99 });
      r.observe(latency, m.p999Us, { ...a, quantile: 0.999 });
    }
  };
  meter.addBatchObservableCallback(callback, all);
  return () => meter.removeBatchObservableCallback(callback, all);
}
