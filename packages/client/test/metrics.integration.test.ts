import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as prom from 'prom-client';
import { Client } from '../src';
import { registerShardMetrics } from '../src/metrics/prometheus';
import { DefaultMetrics } from '../src/metrics/client-metrics';
import type { ShardMetrics } from '../src/metrics/shard-metrics';
import { localDataCenter } from './helpers/local-dc';
import { ddl } from './helpers/busy-server';
import { dropKeyspaces, ownKeyspace } from './helpers/own-keyspace';

const CONTACT = process.env['SHARDCQL_CONTACT'] ?? '127.0.0.1';
const KS = ownKeyspace('shardcql_metrics_it');

function sum(list: ShardMetrics[], k: keyof ShardMetrics): number {
  let s = 0;
  for (const m of list) s += m[k] as number;
  return s;
}

async function runConcurrent(client: Client, total: number, concurrency: number, query: string): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      await client.execute(query, [i, `v${i}`], { prepare: true });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe('per-shard metrics against the real Cassandra', () => {
  let client: Client;
  let dc = 'datacenter1';

  beforeAll(async () => {
    dc = await localDataCenter();
    const setup = new Client({ contactPoints: [CONTACT], localDataCenter: dc, shardcql: { workers: 1 } });
    await setup.connect();
    await ddl(setup, `CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await ddl(setup, `CREATE TABLE IF NOT EXISTS ${KS}.kv (k int PRIMARY KEY, v text)`);
    await setup.shutdown();
    client = new Client({ contactPoints: [CONTACT], localDataCenter: dc, keyspace: KS, shardcql: { workers: 2 } });
    await client.connect();
  });

  afterAll(async () => {
    if (client) await dropKeyspaces([KS], client);
    await client?.shutdown();
  });

  it('lists one object per (host, shard, worker) once connected', () => {
    const list = client.getShardMetrics();
    expect(list.filter((m) => m.worker >= 0).length).toBeGreaterThan(0);
    // connect()'s background metadata queries start opening the direct lane (worker -1, one per host): it is
    // listed or not yet, depending on whether its handshake finished before this line.
    const lanes = list.filter((m) => m.worker === -1);
    expect(new Set(lanes.map((m) => m.host)).size).toBe(lanes.length);
    for (const m of list) {
      expect(m.host).toMatch(/:\d+$/);
      expect(m.shard).toBe(0); // Cassandra: one shard per host
      expect(m.up).toBe(true);
      expect(m.worker).toBeGreaterThanOrEqual(-1);
    }
    expect(new Set(list.map((m) => `${m.host}/${m.shard}/${m.worker}`)).size).toBe(list.length);
  });

  it('counts exactly 10,000 requests (delta), coalesces at concurrency 1024, plausible latencies', async () => {
    const insert = `INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`;
    await client.execute(insert, [0, 'warm'], { prepare: true }); // prepares outside the measured window
    // The node is shared: another client's DDL reaches this one as SCHEMA_CHANGE, and the engine's refresh (1 s
    // after the event) and the metadata's re-read are requests on these connections too. A window that such an
    // event or refresh touched is measured again (at most 5 times); a quiet one must count exactly 10,000.
    const engine = (
      client as unknown as { engine: { on(e: 'event', f: () => void): void; off(e: 'event', f: () => void): void; refreshCount: number } }
    ).engine;
    let lastEvent = -Infinity;
    const onEvent = (): void => void (lastEvent = Date.now());
    engine.on('event', onEvent);
    let before: ShardMetrics[] = [];
    let after: ShardMetrics[] = [];
    let noisy = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        // connect() loads the keyspace metadata in the background: on a busy machine its queries can still be
        // out here, and their answers would land in the measured window (seen: responses delta 10,001). Wait them out.
        for (const end = Date.now() + 10_000; sum(client.getShardMetrics(), 'inFlight') > 0 && Date.now() < end;)
          await new Promise((r) => setTimeout(r, 10));
        // And start in a quiet moment: no schema event for 2.5 s (its refresh is done), waited for up to 30 s.
        for (const end = Date.now() + 30_000; Date.now() - lastEvent < 2500 && Date.now() < end;)
          await new Promise((r) => setTimeout(r, 50));
        const started = Date.now();
        const refreshes = engine.refreshCount;
        before = client.getShardMetrics();
        await runConcurrent(client, 10_000, 1024, insert);
        after = client.getShardMetrics();
        const quiet = lastEvent < started - 2000 && engine.refreshCount === refreshes && sum(after, 'inFlight') === 0;
        if (quiet || attempt === 5) break;
        noisy++;
      }
    } finally {
      engine.off('event', onEvent);
    }
    if (noisy > 0) console.log(`metrics: ${noisy} measured window(s) shared with a schema event or refresh, measured again`);
    const delta = sum(after, 'requests') - sum(before, 'requests');
    expect(delta).toBe(10_000);
    expect(sum(after, 'responses') - sum(before, 'responses')).toBe(10_000);
    expect(sum(after, 'errors')).toBe(0);
    expect(sum(after, 'inFlight')).toBe(0);
    const writes = sum(after, 'socketWrites') - sum(before, 'socketWrites');
    const frames = sum(after, 'framesWritten') - sum(before, 'framesWritten');
    expect(frames).toBeGreaterThanOrEqual(10_000);
    expect(frames / writes).toBeGreaterThan(1);
    // The direct lane's connection (worker -1) opens on the first sequential request and may have carried none
    // of them if it finished opening after the warm-up: an idle connection has no latencies to check.
    const used = after.filter((m) => m.requests > 0);
    expect(used.filter((m) => m.worker >= 0).length).toBeGreaterThan(0);
    for (const m of after.filter((x) => x.requests === 0)) {
      expect(m.worker).toBe(-1);
      expect(m.p50Us).toBe(0);
    }
    for (const m of used) {
      expect(m.framesPerWrite).toBeGreaterThan(0);
      expect(m.bytesSent).toBeGreaterThan(0);
      expect(m.bytesReceived).toBeGreaterThan(0);
      expect(m.p50Us).toBeGreaterThan(10);
      expect(m.p99Us).toBeGreaterThanOrEqual(m.p50Us);
      expect(m.p99Us).toBeLessThan(10_000_000);
      expect(m.maxUs).toBeGreaterThanOrEqual(m.p99Us * 0.98);
    }
    console.log(
      'coalescing',
      (frames / writes).toFixed(1),
      'frames/write;',
      after
        .map(
          (m) =>
            `${m.host}/s${m.shard}/w${m.worker}: req=${m.requests} p50=${m.p50Us.toFixed(0)}us p99=${m.p99Us.toFixed(0)}us fpw=${m.framesPerWrite.toFixed(1)}`,
        )
        .join(' | '),
    );
  });

  it('counts server errors by kind', async () => {
    const before = sum(client.getShardMetrics(), 'serverErrors');
    await expect(client.execute(`SELECT * FROM ${KS}.no_such_table`)).rejects.toThrow();
    expect(sum(client.getShardMetrics(), 'serverErrors') - before).toBe(1);
  });

  it('exposes the real counters to Prometheus, one series per host and shard', async () => {
    const registry = new prom.Registry();
    const unregister = registerShardMetrics(client, { registry, promClient: prom });
    const before = client.getShardMetrics();
    const text = await registry.metrics();
    const after = client.getShardMetrics();
    unregister();
    let total = 0;
    for (const m of after) {
      const labels = `host="${m.host}",shard="${m.shard}",worker="${m.worker}"`;
      // Each series is its connection's own counter (read between the two snapshots), whichever way (lane or
      // worker) the requests of the tests above went; together they hold at least the 10,000.
      const line = new RegExp(`shardcql_shard_requests_total\\{${labels}\\} (\\d+)`).exec(text);
      expect(line).not.toBeNull();
      const exported = Number(line![1]);
      expect(exported).toBeGreaterThanOrEqual(before.find((b) => b.conn === m.conn)?.requests ?? 0);
      expect(exported).toBeLessThanOrEqual(m.requests);
      total += exported;
      expect(text).toContain(`shardcql_shard_frames_per_write{${labels}}`);
      expect(text).toContain(`shardcql_shard_latency_seconds{${labels},quantile="0.99"}`);
    }
    expect(total).toBeGreaterThanOrEqual(10_000);
    console.log(
      text
        .split('\n')
        .filter((l) => l.startsWith('shardcql_shard_') && !l.includes('kind='))
        .join('\n'),
    );
  });

  it('client.metrics (DefaultMetrics) hears responses with latencies and server errors', async () => {
    const m = client.metrics as DefaultMetrics;
    expect(m).toBeInstanceOf(DefaultMetrics);
    const latencies: Array<[number, number]> = [];
    let errors = 0;
    const onLat = (l: [number, number]): void => void latencies.push(l);
    const onErr = (): void => void errors++;
    m.responses.success.on('increment', onLat);
    m.errors.other.on('increment', onErr);
    await client.execute('SELECT release_version FROM system.local');
    await expect(client.execute('SELEC broken')).rejects.toThrow();
    m.responses.success.off('increment', onLat);
    m.errors.other.off('increment', onErr);
    expect(latencies.length).toBe(1);
    expect(latencies[0]![0] * 1e9 + latencies[0]![1]).toBeGreaterThan(0);
    expect(errors).toBe(1);
  });

  it('allocates nothing with shardcql.metrics: false', async () => {
    const off = new Client({
      contactPoints: [CONTACT],
      localDataCenter: dc,
      keyspace: KS,
      shardcql: { workers: 1, metrics: false } as { workers: number },
    });
    await off.connect();
    try {
      await off.execute('SELECT release_version FROM system.local');
      expect(off.getShardMetrics()).toEqual([]);
    } finally {
      await off.shutdown();
    }
  });
});
