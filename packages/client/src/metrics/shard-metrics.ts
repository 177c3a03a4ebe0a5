import {
  C_BUSY,
  C_BYTES_RECEIVED,
  C_BYTES_SENT,
  C_CONNECTION_LOST,
  C_FRAMES_WRITTEN,
  C_LATENCY_COUNT,
  C_LATENCY_MAX_US,
  C_LATENCY_SUM_US,
  C_NO_CONNECTION,
  C_REQUESTS,
  C_RESPONSES,
  C_SERVER_ERRORS,
  C_SHARD,
  C_SOCKET_WRITES,
  C_STATE,
  C_TIMEOUTS,
  C_WORKER,
  CONN_F64,
  H_MAGIC,
  H_MAX_CONNS,
  H_MAX_WORKERS,
  HIST_BUCKETS,
  METRICS_MAGIC,
  W_DRAINS,
  W_MAX_BATCH,
  W_NO_CONNECTION,
  W_RECORDS,
  bucketMid,
  connOffset,
  workerOffset,
  CONN_SLOT_BYTES,
} from '@shardcql/core/ring/metrics-layout';

/** One connection's counters: one per (host, shard, worker). Plain data, safe to serialize. */
export interface ShardMetrics {
  /** "ip:port" of the host. */
  host: string;
  /** The server shard the connection is bound to (ScyllaDB); 0 on Cassandra. */
  shard: number;
  /** The shard worker thread that owns the connection; -1 for the calling thread's direct lane (low concurrency). */
  worker: number;
  /** The engine's connection index. */
  conn: number;
  up: boolean;
  /** Requests handed to the connection (the driver's own control queries included). */
  requests: number;
  /** Answers received (server ERROR answers included). */
  responses: number;
  /** serverErrors + timeouts + connectionLost + busy + noConnection. */
  errors: number;
  serverErrors: number;
  timeouts: number;
  connectionLost: number;
  busy: number;
  noConnection: number;
  /** requests - responses - timeouts - connectionLost (approximate: counters are read without a lock). */
  inFlight: number;
  bytesSent: number;
  bytesReceived: number;
  socketWrites: number;
  framesWritten: number;
  /** framesWritten / socketWrites: the write coalescing factor (0 before the first write). */
  framesPerWrite: number;
  /** Latency samples (dispatch in the worker to the socket read of the answer). */
  latencyCount: number;
  meanUs: number;
  maxUs: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  /** The owning worker's request rings: mean and largest number of records one drain found (sampled per drain). */
  ringMeanBatch: number;
  ringMaxBatch: number;
}

/** A worker's request-ring counters, sampled once per drain. */
export interface WorkerRingMetrics {
  worker: number;
  /** Drains that found at least one record. */
  drains: number;
  /** Records those drains found. */
  records: number;
  /** records / drains: the mean ring occupancy a drain finds, in records. */
  meanBatch: number;
  maxBatch: number;
  /** Requests that failed for lack of any connection to charge them to. */
  noConnection: number;
}

/** Reads a metrics buffer (@shardcql/core ring/metrics-layout.ts, its defining module: plain properties, no getters) without any message to the workers. */
export class ShardMetricsReader {
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  readonly maxConns: number;
  readonly maxWorkers: number;
  private readonly q = new Float64Array(3);

  constructor(readonly buffer: SharedArrayBuffer) {
    this.f64 = new Float64Array(buffer);
    this.u32 = new Uint32Array(buffer);
    if (this.f64[H_MAGIC] !== METRICS_MAGIC) throw new RangeError('not a shardcql metrics buffer');
    this.maxConns = this.f64[H_MAX_CONNS]!;
    this.maxWorkers = this.f64[H_MAX_WORKERS]!;
  }

  /**
   * Zeroes connection `conn`'s slot before its index is used again (engine/conn-indexes.ts: the connection
   * that had it is closed), so the new connection's series does not start with the old one's counts.
   */
  clearSlot(conn: number): void {
    if (conn < 0 || conn >= this.maxConns) return;
    new Uint8Array(this.buffer, connOffset(this.maxWorkers, conn), CONN_SLOT_BYTES).fill(0);
  }

  /** Connection `conn`'s metrics, or null if it has no slot or was never opened. Allocates the result only. */
  read(conn: number, host: string): ShardMetrics | null {
    if (conn < 0 || conn >= this.maxConns) return null;
    const base = connOffset(this.maxWorkers, conn) >>> 3;
    const f = this.f64;
    const state = f[base + C_STATE]!;
    if (state === 0) return null;
    const requests = f[base + C_REQUESTS]!;
    const responses = f[base + C_RESPONSES]!;
    const serverErrors = f[base + C_SERVER_ERRORS]!;
    const timeouts = f[base + C_TIMEOUTS]!;
    const connectionLost = f[base + C_CONNECTION_LOST]!;
    const busy = f[base + C_BUSY]!;
    const noConnection = f[base + C_NO_CONNECTION]!;
    const socketWrites = f[base + C_SOCKET_WRITES]!;
    const framesWritten = f[base + C_FRAMES_WRITTEN]!;
    const latencyCount = f[base + C_LATENCY_COUNT]!;
    const q = this.quantiles((base + CONN_F64) * 2);
    const worker = f[base + C_WORKER]!;
    // worker -1: the requesting thread's direct lane (engine/direct-lane.ts), which has no ring section.
    const wb = worker >= 0 && worker < this.maxWorkers ? workerOffset(worker) >>> 3 : -1;
    const drains = wb >= 0 ? f[wb + W_DRAINS]! : 0;
    return {
      host,
      shard: f[base + C_SHARD]!,
      worker,
      conn,
      up: state === 1,
      requests,
      responses,
      errors: serverErrors + timeouts + connectionLost + busy + noConnection,
      serverErrors,
      timeouts,
      connectionLost,
      busy,
      noConnection,
      inFlight: Math.max(0, requests - responses - timeouts - connectionLost),
      bytesSent: f[base + C_BYTES_SENT]!,
      bytesReceived: f[base + C_BYTES_RECEIVED]!,
      socketWrites,
      framesWritten,
      framesPerWrite: socketWrites > 0 ? framesWritten / socketWrites : 0,
      latencyCount,
      meanUs: latencyCount > 0 ? f[base + C_LATENCY_SUM_US]! / latencyCount : 0,
      maxUs: f[base + C_LATENCY_MAX_US]!,
      p50Us: q[0]!,
      p99Us: q[1]!,
      p999Us: q[2]!,
      ringMeanBatch: drains > 0 ? f[wb + W_RECORDS]! / drains : 0,
      ringMaxBatch: wb >= 0 ? f[wb + W_MAX_BATCH]! : 0,
    };
  }

  /** Worker `w`'s ring counters. */
  readWorker(w: number): WorkerRingMetrics | null {
    if (w < 0 || w >= this.maxWorkers) return null;
    const base = workerOffset(w) >>> 3;
    const f = this.f64;
    const drains = f[base + W_DRAINS]!;
    const records = f[base + W_RECORDS]!;
    return {
      worker: w,
      drains,
      records,
      meanBatch: drains > 0 ? records / drains : 0,
      maxBatch: f[base + W_MAX_BATCH]!,
      noConnection: f[base + W_NO_CONNECTION]!,
    };
  }

  /** The histogram at u32 index `h` as an array copy (for adapters that export buckets). */
  histogram(conn: number): Uint32Array {
    const h = (connOffset(this.maxWorkers, conn) >>> 2) + CONN_F64 * 2;
    return this.u32.slice(h, h + HIST_BUCKETS);
  }

  /** p50, p99 and p99.9 of the histogram at u32 index `h`, in two scans; written into `q` (reused). */
  private quantiles(h: number): Float64Array {
    const u = this.u32;
    const q = this.q;
    let total = 0;
    for (let b = 0; b < HIST_BUCKETS; b++) total += u[h + b]!;
    q[0] = q[1] = q[2] = 0;
    if (total === 0) return q;
    const r50 = Math.ceil(0.5 * total);
    const r99 = Math.ceil(0.99 * total);
    const r999 = Math.ceil(0.999 * total);
    let seen = 0;
    let k = 0;
    for (let b = 0; b < HIST_BUCKETS && k < 3; b++) {
      const n = u[h + b]!;
      if (n === 0) continue;
      seen += n;
      if (k === 0 && seen >= r50) q[k++] = bucketMid(b);
      if (k === 1 && seen >= r99) q[k++] = bucketMid(b);
      if (k === 2 && seen >= r999) q[k++] = bucketMid(b);
    }
    return q;
  }
}
