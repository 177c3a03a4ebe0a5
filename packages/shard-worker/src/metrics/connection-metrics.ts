// The layout's defining module, not the package index: its exports are plain properties (see core ring/records.ts).
import {
  C_LATENCY_COUNT,
  C_LATENCY_MAX_US,
  C_LATENCY_SUM_US,
  CONN_F64,
  H_MAX_CONNS,
  H_MAX_WORKERS,
  HEADER_F64,
  HIST_BUCKETS,
  HIST_MAX_SHIFT,
  HIST_SUB_BITS,
  METRICS_MAGIC,
  H_MAGIC,
  WORKER_F64,
  connOffset,
  workerOffset,
} from '@shardcql/core/ring/metrics-layout';

/**
 * The writer's view of one connection slot (core ring/metrics-layout.ts). Only the owning worker writes it; fields are
 * plain typed-array stores, no Atomics (monotonic counters read approximately).
 */
export class ConnectionMetrics {
  /** Counters, indexed by the C_* constants. */
  readonly c: Float64Array;
  readonly hist: Uint32Array;

  constructor(sab: SharedArrayBuffer, maxWorkers: number, conn: number) {
    const off = connOffset(maxWorkers, conn);
    this.c = new Float64Array(sab, off, CONN_F64);
    this.hist = new Uint32Array(sab, off + CONN_F64 * 8, HIST_BUCKETS);
  }

  /** One latency sample in milliseconds (performance.now() difference). */
  recordLatencyMs(ms: number): void {
    // Whole microseconds; the bucket as bucketOf computes it, inlined here (hot path).
    const us = ms <= 0 ? 0 : ms >= 2_000_000 ? 0x7fffffff : (ms * 1000) | 0;
    let b: number;
    if (us < 2 << HIST_SUB_BITS) b = us;
    else {
      const shift = 31 - Math.clz32(us) - HIST_SUB_BITS;
      b = shift > HIST_MAX_SHIFT ? HIST_BUCKETS - 1 : (shift << HIST_SUB_BITS) + (us >>> shift);
    }
    this.hist[b]!++;
    const c = this.c;
    c[C_LATENCY_COUNT]!++;
    c[C_LATENCY_SUM_US]! += us;
    if (us > c[C_LATENCY_MAX_US]!) c[C_LATENCY_MAX_US] = us;
  }
}

/** The worker's view of the whole buffer: its own section and the slots of the connections it owns. */
export class WorkerMetrics {
  readonly w: Float64Array;
  readonly maxConns: number;
  readonly maxWorkers: number;

  constructor(
    readonly sab: SharedArrayBuffer,
    worker: number,
  ) {
    const h = new Float64Array(sab, 0, HEADER_F64);
    if (h[H_MAGIC] !== METRICS_MAGIC) throw new RangeError('not a shardcql metrics buffer');
    this.maxConns = h[H_MAX_CONNS]!;
    this.maxWorkers = h[H_MAX_WORKERS]!;
    // A worker beyond the buffer's sections writes into a private one: its drains are simply not seen.
    this.w = worker < this.maxWorkers ? new Float64Array(sab, workerOffset(worker), WORKER_F64) : new Float64Array(WORKER_F64);
  }

  /** The slot of engine-wide connection `conn`, or null when the buffer has no room for it. */
  connection(conn: number): ConnectionMetrics | null {
    return conn >= 0 && conn < this.maxConns ? new ConnectionMetrics(this.sab, this.maxWorkers, conn) : null;
  }
}
