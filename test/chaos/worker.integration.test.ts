/**
 * Shard worker faults under steady load: a worker that throws (an uncaught exception) and one terminated
 * from outside (`worker.terminate()`). The engine must fail exactly the requests that were on it, with a
 * typed DriverError, restart it, reopen its connections, and carry on; no promise is lost and no
 * non-idempotent write is applied twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@shardcql/client';
import { SteadyLoad, checkWrites, dropSchema, ensureSchema } from './load';
import { record, writeReliabilityTable } from './report';

const UPSTREAM = process.env['SHARDCQL_TEST_UPSTREAM'] ?? '127.0.0.1:9042';
const CONCURRENCY = 64;
const READ_TIMEOUT_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface EngineInternals {
  crashWorkerForTest(index: number): void;
  workers: { list: Array<{ thread: { terminate(): Promise<number> }; alive: boolean }> };
  workerCount: number;
  connTable: { hostCount: number; connsOf(h: number): number[]; workerOf(c: number): number; isUp(c: number): boolean };
}

/** The hosts' connections (not the direct lane's metrics slots, worker -1, which are never marked up). */
function ownedConns(engine: EngineInternals): number[] {
  const t = engine.connTable;
  const owned: number[] = [];
  for (let h = 0; h < t.hostCount; h++) for (const c of t.connsOf(h)) if (t.workerOf(c) >= 0) owned.push(c);
  return owned;
}

/** Every worker alive and every connection open: a restart from the previous test is over. */
async function whole(engine: EngineInternals, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const owned = ownedConns(engine);
    if (engine.workers.list.every((w) => w.alive) && owned.length > 0 && owned.every((c) => engine.connTable.isUp(c))) return true;
    await sleep(50);
  }
  return false;
}

describe('chaos: shard worker faults under load', () => {
  let client: Client;
  let engine: EngineInternals;

  beforeAll(async () => {
    await ensureSchema(UPSTREAM);
    client = new Client({
      contactPoints: [UPSTREAM],
      localDataCenter: 'dc1',
      socketOptions: { readTimeout: READ_TIMEOUT_MS },
      pooling: { coreConnectionsPerHost: { 0: 2 } },
      shardcql: { workers: 2 },
    } as unknown as ConstructorParameters<typeof Client>[0]);
    client.on('log', (level: string, cls: string, message: string) => {
      if (level === 'error' || level === 'warning' || /restarted/.test(message))
        console.log(`[chaos] client log ${level} ${cls}: ${message}`);
    });
    await client.connect();
    engine = (client as unknown as { engine: EngineInternals }).engine;
    expect(engine.workerCount).toBe(2);
  });

  afterAll(async () => {
    await client?.shutdown();
    writeReliabilityTable();
    await dropSchema(UPSTREAM);
  });

  const faults = [
    { name: 'worker-throws', fault: 'shard worker 0 throws (uncaught)', act: () => engine.crashWorkerForTest(0) },
    { name: 'worker-terminated', fault: 'shard worker 0 terminated', act: () => void engine.workers.list[0]!.thread.terminate() },
  ];

  for (const f of faults) {
    it(`${f.fault}: only its requests fail, typed; it restarts; no promise lost, no duplicated write`, async () => {
      // The pool: one connection per worker (so worker 0 carries about half of the requests).
      expect(await whole(engine), 'all workers and connections up before the fault').toBe(true);
      expect(ownedConns(engine).map((c) => engine.connTable.workerOf(c))).toContain(0);
      const run = `${f.name}-${Date.now()}`;
      const load = new SteadyLoad(client, { run, concurrency: CONCURRENCY });
      load.start();
      await sleep(1500);
      const baseline = load.throughput(300, 1500);
      const failedBefore = load.stats.failed;
      const faultAt = Date.now() - load.stats.startedAt;
      f.act();
      let recovery: number | null = null;
      const bound = faultAt + 20_000;
      while (Date.now() - load.stats.startedAt < bound) {
        await sleep(250);
        recovery = load.recoveryMs(faultAt, baseline, Date.now() - load.stats.startedAt);
        if (recovery !== null && load.stats.failed > failedBefore && Date.now() - load.stats.startedAt > faultAt + recovery + 1000) break;
      }
      const stats = await load.stop(READ_TIMEOUT_MS + 10_000);
      const writes = await checkWrites(run, load.ackedIds, UPSTREAM);
      record({
        suite: 'worker',
        scenario: f.name,
        fault: f.fault,
        protocol: 5,
        concurrency: CONCURRENCY,
        faultMs: 0,
        sent: stats.sent,
        succeeded: stats.succeeded,
        failed: stats.failed,
        errors: stats.errors,
        retried: stats.retried,
        lost: stats.lost,
        duplicated: writes.duplicated,
        ackedMissing: writes.ackedMissing,
        baselineOpsPerSec: baseline,
        recoveryMs: recovery,
        notes: 'restarted; its connection reopened',
        samples: stats.samples,
        at: new Date().toISOString(),
      });

      console.log(
        `[chaos] ${f.name}: baseline ${Math.round(baseline)} ops/s, recovery ${recovery} ms`,
        stats.errors,
        stats.samples,
        writes,
      );
      expect(stats.lost).toBe(0);
      expect(writes.duplicated).toBe(0);
      expect(writes.ackedMissing).toBe(0);
      expect(stats.failed).toBeGreaterThan(0);
      // Only the requests on worker 0 fail (at most the lanes in flight) ... and those sent to its connection
      // in the moment before the engine saw it go (NoHostAvailableError, never sent).
      expect(stats.errors['DriverError'] ?? 0).toBeLessThanOrEqual(CONCURRENCY);
      for (const k of Object.keys(stats.errors)) expect(['DriverError', 'NoHostAvailableError', 'OperationTimedOutError']).toContain(k);
      expect(Object.values(stats.samples).some((m) => /shard worker 0 stopped/.test(m))).toBe(true);
      expect(recovery).not.toBeNull();
      // Afterwards: fresh requests succeed.
      const rs = await client.execute("SELECT key FROM system.local WHERE key='local'");
      expect(rs.rows.length).toBe(1);
      expect(await whole(engine), 'worker 0 restarted with its connection').toBe(true);
    });
  }
});
