import { describe, expect, it } from 'vitest';
import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import { observeShardMetrics } from '../src/metrics/opentelemetry';
import type { ShardMetrics } from '../src/metrics/shard-metrics';

/** A meter that records instruments and runs the batch callbacks on demand (what an SDK reader does). */
function fakeMeter(): { meter: Meter; collect(): Array<{ name: string; value: number; attributes: Attributes }> } {
  const callbacks: BatchObservableCallback[] = [];
  const make = (name: string): Observable => ({ name, addCallback() {}, removeCallback() {} }) as unknown as Observable;
  const meter = {
    createObservableCounter: make,
    createObservableUpDownCounter: make,
    createObservableGauge: make,
    addBatchObservableCallback: (cb: BatchObservableCallback) => callbacks.push(cb),
    removeBatchObservableCallback: (cb: BatchObservableCallback) => callbacks.splice(callbacks.indexOf(cb), 1),
  } as unknown as Meter;
  return {
    meter,
    collect() {
      const out: Array<{ name: string; value: number; attributes: Attributes }> = [];
      for (const cb of callbacks) {
        void cb({
          observe: (o: Observable, value: number, attributes: Attributes = {}) =>
            out.push({ name: (o as unknown as { name: string }).name, value, attributes }),
        });
      }
      return out;
    },
  };
}

const m: ShardMetrics = {
  host: '10.0.0.2:9042',
  shard: 3,
  worker: 1,
  conn: 7,
  up: true,
  requests: 42,
  responses: 40,
  errors: 2,
  serverErrors: 2,
  timeouts: 0,
  connectionLost: 0,
  busy: 0,
  noConnection: 0,
  inFlight: 0,
  bytesSent: 1,
  bytesReceived: 2,
  socketWrites: 2,
  framesWritten: 42,
  framesPerWrite: 21,
  latencyCount: 40,
  meanUs: 300,
  maxUs: 900,
  p50Us: 250,
  p99Us: 800,
  p999Us: 900,
  ringMeanBatch: 5,
  ringMaxBatch: 50,
};

describe('OpenTelemetry adapter', () => {
  it('observes every instrument per (host, shard, worker) in one batch callback', () => {
    let reads = 0;
    const { meter, collect } = fakeMeter();
    const stop = observeShardMetrics({ getShardMetrics: () => (reads++, [m]) }, meter);
    const obs = collect();
    expect(reads).toBe(1);
    const attrs = { host: '10.0.0.2:9042', shard: 3, worker: 1 };
    expect(obs).toContainEqual({ name: 'shardcql.shard.requests', value: 42, attributes: attrs });
    expect(obs).toContainEqual({ name: 'shardcql.shard.errors', value: 2, attributes: { ...attrs, kind: 'server' } });
    expect(obs).toContainEqual({ name: 'shardcql.shard.frames_per_write', value: 21, attributes: attrs });
    expect(obs).toContainEqual({ name: 'shardcql.shard.latency', value: 800, attributes: { ...attrs, quantile: 0.99 } });
    stop();
    expect(collect()).toEqual([]);
  });
});
