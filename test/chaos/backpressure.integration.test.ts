/**
 * Back-pressure: the server is slower than the callers. The Go stub (test/simulator, protocol v5, one node on
 * 127.0.0.44) sits behind Toxiproxy with 50 ms of latency and a 128 KB/s bandwidth limit on its answers; the
 * test issues 200,000 prepared INSERTs without awaiting them (chunks of 10,000, one macrotask between chunks,
 * so every request is outstanding at once) with `pooling.maxRequestsPerConnection` = 128.
 *
 * Asserted: every promise settles (with a result or a typed error); the stream-id limit holds on every
 * connection (`getShardMetrics()[i].inFlight <= 128`, sampled every 10 ms); the engine's in-flight count
 * never exceeds its request-slot table (131,072) and drops to 0; the requester's ring backlog is bounded by
 * the same table; heap and RSS growth stay under stated bounds (memory is bounded by the limits, not by the
 * number of callers). Figures go to .cache/chaos/backpressure.json (docs/RELIABILITY.md with
 * SHARDCQL_CHAOS_DOCS=1).
 *
 * Short form: 200,000 requests. Full form: SHARDCQL_CHAOS_BP_REQUESTS=2000000 (the bounds are the same:
 * they do not grow with the number of requests).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@shardcql/client';
import { startStub, type StubProcess } from '../simulator/stub';
import { freePort } from '../../scripts/toxiproxy.mjs';
import { startToxiproxy, type Toxiproxy } from './toxiproxy-client';
import { errorClass } from './load';
import { record, writeReliabilityTable } from './report';

const HOST = '127.0.0.44';
const REQUESTS = Number(process.env['SHARDCQL_CHAOS_BP_REQUESTS'] ?? 200_000);
const CHUNK = 10_000;
const LIMIT = 128;
/** The requester's slot table (RingRequester's default capacity, packages/client/src/engine/ring-requester.ts). */
const SLOT_CAPACITY = 1 << 17;
/**
 * Memory bounds, whatever the number of requests (heap and RSS growth at the run's peak): what is held per
 * outstanding request (the caller's promise and values, the slot, a backlog record) times the slot table,
 * at 5 KiB a request (measured after a full GC: about 1.5 KiB), plus the RSS the workers' buffers add.
 */
const HEAP_BOUND_MB = (SLOT_CAPACITY * 5) / 1024;
const RSS_BOUND_MB = 1024;
const SETTLE_BOUND_MS = 120_000;
const TYPED = new Set(['BusyConnectionError', 'NoHostAvailableError', 'OperationTimedOutError']);
const INSERT = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';
const MB = 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A full collection, so heapUsed is what is retained (not garbage yet to be collected). */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The requester's per-worker ring backlogs (records waiting for ring space), when the engine has them. */
function backlogOf(client: Client): number | null {
  const req = (client.getEngine() as unknown as { requester?: { links?: Array<{ writer: { waiting: number } }> } } | null)?.requester;
  if (req?.links === undefined) return null;
  let n = 0;
  for (const l of req.links) n += l.writer.waiting;
  return n;
}

describe('chaos: back-pressure, a server slower than the callers', () => {
  let tp: Toxiproxy;
  let stub: StubProcess;
  let client: Client;
  let proxyPort = 0;
  let observed: { connInFlight: number; conns: number; samples: number } | null = null;

  beforeAll(async () => {
    tp = await startToxiproxy();
    stub = await startStub({ host: HOST, port: 0, v5: true });
    proxyPort = await freePort(HOST);
    await tp.api.createProxy('bp', `${HOST}:${proxyPort}`, `${HOST}:${stub.port}`);
    client = new Client({
      contactPoints: [`${HOST}:${proxyPort}`],
      localDataCenter: 'datacenter1',
      pooling: { maxRequestsPerConnection: LIMIT, heartBeatInterval: 0 },
      socketOptions: { readTimeout: 60_000 },
    } as ConstructorParameters<typeof Client>[0]);
    await client.connect();
    await client.execute(INSERT, [1, 1, 1], { prepare: true });
  });

  afterAll(async () => {
    await client?.shutdown();
    await tp?.stop();
    await stub?.stop();
    writeReliabilityTable();
  });

  it(`${REQUESTS} requests issued at once: every promise settles, typed errors only, in-flight and memory bounded`, async () => {
    await tp.api.addToxic('bp', { name: 'slow', type: 'latency', stream: 'downstream', attributes: { latency: 50, jitter: 0 } });
    await tp.api.addToxic('bp', { name: 'thin', type: 'bandwidth', stream: 'downstream', attributes: { rate: 128 } });
    const engine = client.getEngine()!;
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const rss0 = process.memoryUsage().rss;
    const s = { settled: 0, ok: 0, failed: 0, errors: {} as Record<string, number>, samples: {} as Record<string, string> };
    const peak = {
      heap: heap0,
      heapRaw: heap0,
      rss: rss0,
      engineInFlight: 0,
      connInFlight: 0,
      backlog: 0,
      ringMaxBatch: 0,
      conns: 0,
      samples: 0,
    };
    const sample = (): void => {
      const m = process.memoryUsage();
      if (m.heapUsed > peak.heapRaw) peak.heapRaw = m.heapUsed;
      if (m.rss > peak.rss) peak.rss = m.rss;
      if (engine.inFlight > peak.engineInFlight) peak.engineInFlight = engine.inFlight;
      const shards = client.getShardMetrics();
      peak.conns = Math.max(peak.conns, shards.length);
      for (const x of shards) {
        if (x.inFlight > peak.connInFlight) peak.connInFlight = x.inFlight;
        if (x.ringMaxBatch > peak.ringMaxBatch) peak.ringMaxBatch = x.ringMaxBatch;
      }
      const b = backlogOf(client);
      if (b !== null && b > peak.backlog) peak.backlog = b;
      peak.samples++;
    };
    const timer = setInterval(sample, 10);
    const ok = (): void => {
      s.settled++;
      s.ok++;
    };
    const fail = (e: unknown): void => {
      s.settled++;
      s.failed++;
      const k = errorClass(e);
      s.errors[k] = (s.errors[k] ?? 0) + 1;
      if (s.samples[k] === undefined) s.samples[k] = String((e as Error)?.message ?? e).slice(0, 200);
    };
    const t0 = Date.now();
    for (let i = 0; i < REQUESTS; i += CHUNK) {
      const end = Math.min(REQUESTS, i + CHUNK);
      for (let k = i; k < end; k++) client.execute(INSERT, [k, k, k], { prepare: true }).then(ok, fail);
      sample();
      // Retained heap with every request of this chunk outstanding (the ones still in flight).
      gc();
      const retained = process.memoryUsage().heapUsed;
      if (retained > peak.heap) peak.heap = retained;
      await new Promise((r) => setImmediate(r));
    }
    const issuedMs = Date.now() - t0;
    while (s.settled < REQUESTS && Date.now() - t0 < SETTLE_BOUND_MS) await sleep(20);
    const settleMs = Date.now() - t0;
    clearInterval(timer);
    sample();
    const lost = REQUESTS - s.settled;
    await sleep(200);
    const after = {
      engineInFlight: engine.inFlight,
      connInFlight: Math.max(0, ...client.getShardMetrics().map((x) => x.inFlight)),
      backlog: backlogOf(client),
    };
    const heapMb = (peak.heap - heap0) / MB;
    const perRequestKb = (peak.heap - heap0) / 1024 / Math.max(1, peak.engineInFlight);
    const rssMb = (peak.rss - rss0) / MB;
    const notes =
      `server: stub behind latency 50 ms + 128 KB/s; ${REQUESTS} issued in ${issuedMs} ms, all settled after ${settleMs} ms; ` +
      `maxRequestsPerConnection ${LIMIT}: peak in flight on a connection ${peak.connInFlight} (${peak.conns} conn.); ` +
      `peak engine in flight ${peak.engineInFlight} (slot table ${SLOT_CAPACITY}); peak ring backlog ${peak.backlog}; ` +
      `largest ring batch ${peak.ringMaxBatch}; retained heap +${heapMb.toFixed(0)} MiB (bound ${HEAP_BOUND_MB}; ${perRequestKb.toFixed(1)} KiB per request in flight; +${((peak.heapRaw - heap0) / MB).toFixed(0)} MiB with garbage), RSS +${rssMb.toFixed(0)} MiB (bound ${RSS_BOUND_MB}); ` +
      `after: in flight ${after.engineInFlight}, backlog ${after.backlog ?? 'n/a'}`;
    record({
      suite: 'backpressure',
      scenario: 'slow-server',
      fault: `server slower than the callers: ${REQUESTS} requests at once, limit ${LIMIT}/connection`,
      protocol: 5,
      concurrency: REQUESTS,
      faultMs: 0,
      sent: REQUESTS,
      succeeded: s.ok,
      failed: s.failed,
      errors: s.errors,
      retried: 0,
      lost,
      duplicated: null,
      ackedMissing: null,
      baselineOpsPerSec: 0,
      recoveryMs: null,
      notes,
      samples: s.samples,
      at: new Date().toISOString(),
    });

    console.log(`[chaos] backpressure: ${notes}`, s.errors, s.samples);
    expect(lost).toBe(0);
    expect(s.ok + s.failed).toBe(REQUESTS);
    expect(s.ok).toBeGreaterThan(0);
    for (const k of Object.keys(s.errors)) expect(TYPED, `untyped error ${k}: ${s.samples[k]}`).toContain(k);
    expect(peak.samples).toBeGreaterThan(10);
    expect(peak.conns).toBeGreaterThan(0);
    expect(peak.engineInFlight).toBeLessThanOrEqual(SLOT_CAPACITY);
    expect(peak.backlog).toBeLessThanOrEqual(SLOT_CAPACITY);
    expect(after.engineInFlight).toBe(0);
    expect(after.connInFlight).toBe(0);
    expect(heapMb).toBeLessThan(HEAP_BOUND_MB);
    expect(rssMb).toBeLessThan(RSS_BOUND_MB);
    observed = { connInFlight: peak.connInFlight, conns: peak.conns, samples: peak.samples };
  });

  // Separate, so that a failure names the limit alone (the run above is shared).
  it(`pooling.maxRequestsPerConnection (${LIMIT}) holds on every connection under that load`, () => {
    expect(observed, 'the load test ran').not.toBeNull();
    expect(observed!.samples).toBeGreaterThan(10);
    expect(observed!.conns).toBeGreaterThan(0);
    expect(observed!.connInFlight, `in flight on one connection (peak of getShardMetrics().inFlight)`).toBeLessThanOrEqual(LIMIT);
  });
});
