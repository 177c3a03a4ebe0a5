import { describe, expect, it } from 'vitest';
import {
  ConnectionMetrics,
  C_REQUESTS,
  C_RESPONSES,
  C_SOCKET_WRITES,
  C_FRAMES_WRITTEN,
  C_STATE,
  C_TIMEOUTS,
  HIST_BUCKETS,
  bucketLow,
  bucketOf,
  createMetricsBuffer,
} from '@shardcql/shard-worker';
import { ShardMetricsReader } from '../src/metrics/shard-metrics';

describe('metrics layout', () => {
  it('buckets are contiguous, monotonic and within 1/64 relative error', () => {
    let prev = -1;
    for (let us = 0; us < 1 << 22; us += us < 4096 ? 1 : 97) {
      const b = bucketOf(us);
      expect(b).toBeGreaterThanOrEqual(prev);
      prev = b;
      const lo = bucketLow(b);
      expect(lo).toBeLessThanOrEqual(us);
      expect(us - lo).toBeLessThanOrEqual(Math.max(0, us / 64));
    }
    expect(bucketOf(2 ** 27 - 1)).toBe(HIST_BUCKETS - 1);
    expect(bucketOf(2 ** 31 - 1)).toBe(HIST_BUCKETS - 1);
    for (let b = 1; b < HIST_BUCKETS; b++) expect(bucketOf(bucketLow(b))).toBe(b);
  });

  it('ConnectionMetrics.recordLatencyMs puts each sample in bucketOf(us)', () => {
    const sab = createMetricsBuffer(2, 1);
    const m = new ConnectionMetrics(sab, 1, 0);
    for (const us of [0, 1, 63, 127, 128, 129, 255, 256, 1000, 4095, 65_536, 1_000_000, 2 ** 27 - 1, 2 ** 27, 5e9]) {
      m.hist.fill(0);
      m.recordLatencyMs(us / 1000);
      expect(m.hist.indexOf(1)).toBe(bucketOf(Math.min(us, 2 ** 31 - 1)));
    }
  });

  it('the reader sees what a ConnectionMetrics wrote, and quantiles are right within 2%', () => {
    const sab = createMetricsBuffer(8, 4);
    const m = new ConnectionMetrics(sab, 4, 3);
    m.c[C_STATE] = 1;
    m.c[C_REQUESTS] = 1000;
    m.c[C_RESPONSES] = 990;
    m.c[C_TIMEOUTS] = 4;
    m.c[C_SOCKET_WRITES] = 10;
    m.c[C_FRAMES_WRITTEN] = 1000;
    for (let i = 1; i <= 990; i++) m.recordLatencyMs(i / 10); // 100 us .. 99 ms
    const r = new ShardMetricsReader(sab);
    expect(r.read(0, 'h:1')).toBeNull();
    const s = r.read(3, 'h:1')!;
    expect(s).toMatchObject({
      host: 'h:1',
      conn: 3,
      up: true,
      requests: 1000,
      responses: 990,
      timeouts: 4,
      errors: 4,
      inFlight: 6,
      framesPerWrite: 100,
      latencyCount: 990,
    });
    expect(Math.abs(s.p50Us - 49_500) / 49_500).toBeLessThan(0.02);
    expect(Math.abs(s.p99Us - 98_000) / 98_000).toBeLessThan(0.02);
    expect(s.maxUs).toBe(99_000);
  });

  it('measures the cost of reading: allocation is the returned objects only', () => {
    const sab = createMetricsBuffer(64, 4);
    for (let c = 0; c < 16; c++) {
      const m = new ConnectionMetrics(sab, 4, c);
      m.c[C_STATE] = 1;
      for (let i = 0; i < 100; i++) m.recordLatencyMs(i);
    }
    const r = new ShardMetricsReader(sab);
    const t0 = performance.now();
    for (let k = 0; k < 1000; k++) for (let c = 0; c < 16; c++) r.read(c, 'h');
    const perConn = ((performance.now() - t0) * 1000) / 16000;
    console.log(`read: ${perConn.toFixed(2)} us per connection (3 quantile scans of ${HIST_BUCKETS} buckets)`);
    expect(perConn).toBeLessThan(200);
  });
});
