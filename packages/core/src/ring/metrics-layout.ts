/**
 * Layout of the per-shard metrics SharedArrayBuffer, shared memory between threads like the rings (layout.ts)
 * and so beside them: one buffer per engine, written by the shard workers (each writes only the slots of the
 * connections it owns, plus its own worker section: @shardcql/shard-worker metrics/connection-metrics.ts) and
 * read by any thread without a message (@shardcql/client metrics/shard-metrics.ts). Counters only grow, so a
 * reader needs no Atomics: a read may see a counter a few increments old, never a torn one (Float64 stores of
 * aligned slots are single writes on the platforms Node supports; the readers only want approximate,
 * monotonic values). Hot code imports it as `@shardcql/core/ring/metrics-layout` (see records.ts).
 *
 *   byte 0
 *   +--------------------------------------------------------------+
 *   | header: HEADER_F64 x f64  [MAGIC, MAX_CONNS, MAX_WORKERS, ...]|
 *   +--------------------------------------------------------------+
 *   | worker 0: WORKER_F64 x f64 (drains, records drained, ...)   |
 *   | worker 1 ...                           (MAX_WORKERS of them) |
 *   +--------------------------------------------------------------+
 *   | connection slot 0 (engine-wide connection index 0):          |
 *   |   CONN_F64 x f64 counters  [STATE, SHARD, WORKER, REQUESTS..]|
 *   |   HIST_BUCKETS x u32 latency histogram (microseconds)        |
 *   | connection slot 1 ...                (MAX_CONNS of them)     |
 *   +--------------------------------------------------------------+
 *
 * A connection (one per (host, shard, worker); Cassandra has one shard per host, shard 0) keeps its
 * slot across reconnections: the slot is indexed by the engine's connection index, which the engine
 * reuses only after the connection is closed and a quarantine passed, zeroing the slot first
 * (@shardcql/client engine/conn-indexes.ts). Connections with an index >= MAX_CONNS are not counted.
 *
 * Latency histogram: log-linear (HdrHistogram-like) with 64 sub-buckets per power of two, i.e. a
 * relative error under 1/64 (~1.6 %, about two significant digits), from 1 us to 2^27 us (134 s); larger
 * values land in the last bucket.
 */

export const METRICS_MAGIC = 0x5343_4d31; // "SCM1"

/** Header (f64 indexes). */
export const H_MAGIC = 0;
export const H_MAX_CONNS = 1;
export const H_MAX_WORKERS = 2;
export const HEADER_F64 = 8;

/** Worker section (f64 indexes). */
export const W_DRAINS = 0;
/** Ring records found by non-empty drains: records / drains = mean ring occupancy at drain time. */
export const W_RECORDS = 1;
/** The largest batch one drain found (a sampled high-water mark of ring occupancy, in records). */
export const W_MAX_BATCH = 2;
/** Requests failed NO_CONNECTION with no target connection to charge them to. */
export const W_NO_CONNECTION = 3;
export const WORKER_F64 = 8;

/** Connection slot counters (f64 indexes). */
/** 0 = never used, 1 = up, 2 = down (reconnecting), 3 = closed (host removed). */
export const C_STATE = 0;
export const C_SHARD = 1;
export const C_WORKER = 2;
/** Requests handed to the connection (the engine's ring requests, control queries included). */
export const C_REQUESTS = 3;
/** Answers received (any opcode, ERROR included). */
export const C_RESPONSES = 4;
/** Answers that were a server ERROR (a subset of C_RESPONSES). */
export const C_SERVER_ERRORS = 5;
export const C_TIMEOUTS = 6;
export const C_CONNECTION_LOST = 7;
/** All stream ids in use: the request never left. */
export const C_BUSY = 8;
/** The connection was down when the request targeted it (and no sibling could take it). */
export const C_NO_CONNECTION = 9;
export const C_BYTES_SENT = 10;
export const C_BYTES_RECEIVED = 11;
export const C_SOCKET_WRITES = 12;
/** CQL messages (envelopes) written: C_FRAMES_WRITTEN / C_SOCKET_WRITES is the coalescing factor. */
export const C_FRAMES_WRITTEN = 13;
export const C_LATENCY_COUNT = 14;
export const C_LATENCY_SUM_US = 15;
export const C_LATENCY_MAX_US = 16;
export const CONN_F64 = 24;

export const HIST_SUB_BITS = 6;
const SUB = 1 << HIST_SUB_BITS; // 64
/** Values below 2 * SUB (128 us) get one bucket each. */
export const HIST_MAX_SHIFT = 20;
/** 128 exact buckets, then 64 per power of two up to 2^27 us. */
export const HIST_BUCKETS = (HIST_MAX_SHIFT + 2) * SUB; // 1408

export const DEFAULT_MAX_CONNS = 1024;
export const DEFAULT_MAX_WORKERS = 256;

export const CONN_SLOT_BYTES = CONN_F64 * 8 + HIST_BUCKETS * 4;

export function workerOffset(worker: number): number {
  return (HEADER_F64 + worker * WORKER_F64) * 8;
}

export function connOffset(maxWorkers: number, conn: number): number {
  return (HEADER_F64 + maxWorkers * WORKER_F64) * 8 + conn * CONN_SLOT_BYTES;
}

export function metricsBufferBytes(maxConns: number, maxWorkers: number): number {
  return connOffset(maxWorkers, maxConns);
}

/** A zeroed metrics buffer with its header written. */
export function createMetricsBuffer(maxConns = DEFAULT_MAX_CONNS, maxWorkers = DEFAULT_MAX_WORKERS): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(metricsBufferBytes(maxConns, maxWorkers));
  const h = new Float64Array(sab, 0, HEADER_F64);
  h[H_MAGIC] = METRICS_MAGIC;
  h[H_MAX_CONNS] = maxConns;
  h[H_MAX_WORKERS] = maxWorkers;
  return sab;
}

/** Bucket of a latency in whole microseconds (>= 0). */
export function bucketOf(us: number): number {
  if (us < 2 * SUB) return us < 0 ? 0 : us;
  const msb = 31 - Math.clz32(us);
  const shift = msb - HIST_SUB_BITS;
  if (shift > HIST_MAX_SHIFT) return HIST_BUCKETS - 1;
  return shift * SUB + (us >>> shift);
}

/** Smallest microsecond value of bucket `b`. */
export function bucketLow(b: number): number {
  if (b < 2 * SUB) return b;
  const shift = (b >>> HIST_SUB_BITS) - 1;
  return (b - shift * SUB) * 2 ** shift;
}

/** A representative value (the middle) of bucket `b`, in microseconds. */
export function bucketMid(b: number): number {
  if (b < 2 * SUB) return b;
  const shift = (b >>> HIST_SUB_BITS) - 1;
  return (b - shift * SUB) * 2 ** shift + (2 ** shift - 1) / 2;
}
