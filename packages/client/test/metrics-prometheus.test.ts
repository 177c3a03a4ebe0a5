import { describe, expect, it } from 'vitest';
import * as prom from 'prom-client';
import { registerShardMetrics } from '../src/metrics/prometheus';
import type { ShardMetrics } from '../src/metrics/shard-metrics';

function sample(host: string, shard: number, worker: number, requests: number): ShardMetrics {
  return {
    host,
    shard,
    worker,
    conn: worker,
    up: true,
    requests,
    responses: requests - 2,
    errors: 3,
    serverErrors: 1,
    timeouts: 1,
    connectionLost: 0,
    busy: 1,
    noConnection: 0,
    inFlight: 1,
    bytesSent: 100,
    bytesReceived: 200,
    socketWrites: 4,
    framesWritten: 40,
    framesPerWrite: 10,
    latencyCount: requests,
    meanUs: 500,
    maxUs: 9000,
    p50Us: 400,
    p99Us: 2000,
    p999Us: 8000,
    ringMeanBatch: 5,
    ringMaxBatch: 50,
  };
}

describe('Prometheus adapter', () => {
  it('exposes one series per host and shard, read at scrape time', async () => {
    const registry = new prom.Registry();
    let reads = 0;
    let n = 10;
    const source = { getShardMetrics: () => (reads++, [sample('10.0.0.1:9042', 0, 0, n), sample('10.0.0.1:9042', 1, 1, 2 * n)]) };
    const unregister = registerShardMetrics(source, { registry, promClient: prom });
    const text = await registry.metrics();
    expect(reads).toBe(1); // one read of the shared counters per scrape
    expect(text).toContain('# TYPE shardcql_shard_requests_total counter');
    expect(text).toContain('shardcql_shard_requests_total{host="10.0.0.1:9042",shard="0",worker="0"} 10');
    expect(text).toContain('shardcql_shard_requests_total{host="10.0.0.1:9042",shard="1",worker="1"} 20');
    expect(text).toContain('shardcql_shard_errors_total{host="10.0.0.1:9042",shard="0",worker="0",kind="timeout"} 1');
    expect(text).toContain('shardcql_shard_frames_per_write{host="10.0.0.1:9042",shard="1",worker="1"} 10');
    expect(text).toContain('shardcql_shard_latency_seconds{host="10.0.0.1:9042",shard="0",worker="0",quantile="0.99"} 0.002');
    await new Promise((r) => setImmediate(r));
    n = 15;
    expect(await registry.metrics()).toContain('shardcql_shard_requests_total{host="10.0.0.1:9042",shard="0",worker="0"} 15');
    unregister();
    expect(await registry.metrics()).not.toContain('shardcql_shard_');
  });
});
