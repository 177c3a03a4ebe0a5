// The direct lane (engine/direct-lane.ts): while no request is in flight through the shard workers, a request
// goes out on a connection of the calling thread; under load the rings carry everything. Against the Go stub
// (one node) and the ScyllaDB simulator (3 nodes x 4 shards), no Cassandra needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, types } from '@shardcql/client';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { misroutedTotals } from './helpers/simulator';
import type { ShardMetrics } from '../src/metrics/shard-metrics';

const INSERT = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';

function sum(ms: ShardMetrics[], pick: (m: ShardMetrics) => boolean): number {
  let n = 0;
  for (const m of ms) if (pick(m)) n += m.requests;
  return n;
}

/** Waits until the lane connection is open (it opens in the background on the first request that could use it). */
async function warmLane(client: Client): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await client.execute(INSERT, [types.Long.fromNumber(i), types.Long.fromNumber(i), types.Long.fromNumber(i)], { prepare: true });
    if (client.getShardMetrics().some((m) => m.worker === -1 && m.up)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the direct lane never opened');
}

describe('direct lane, one node', () => {
  let stub: StubProcess;
  let client: Client;
  let noLane: Client;

  beforeAll(async () => {
    stub = await startStub({ host: '127.0.0.21', port: 0 });
    const base = { contactPoints: ['127.0.0.21'], localDataCenter: 'datacenter1', protocolOptions: { port: stub.port } };
    client = new Client({ ...base, shardcql: { workers: 1 } });
    noLane = new Client({ ...base, shardcql: { workers: 1, directLane: 0 } });
    await client.connect();
    await noLane.connect();
  }, 120_000);

  afterAll(async () => {
    await client?.shutdown();
    await noLane?.shutdown();
    await stub?.stop();
  });

  it('carries sequential requests (concurrency 1) once its connection is open, counted as worker -1', async () => {
    await warmLane(client);
    const before = client.getShardMetrics();
    const laneBefore = sum(before, (m) => m.worker === -1);
    const ringBefore = sum(before, (m) => m.worker >= 0);
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const k = types.Long.fromNumber(i);
      const rs = await client.execute(INSERT, [k, k, k], { prepare: true });
      expect(rs.info.queriedHost).toBe(`127.0.0.21:${stub.port}`);
    }
    const after = client.getShardMetrics();
    const lane = sum(after, (m) => m.worker === -1) - laneBefore;
    const ring = sum(after, (m) => m.worker >= 0) - ringBefore;
    expect(lane + ring).toBe(n);
    // Every one of them found the rings empty: all on the lane.
    expect(lane).toBe(n);
    const laneSlot = after.find((m) => m.worker === -1)!;
    expect(laneSlot.host).toBe(`127.0.0.21:${stub.port}`);
    expect(laneSlot.shard).toBe(0);
    expect(laneSlot.inFlight).toBe(0);
  });

  it('leaves a burst to the rings: at most directLane requests ride the lane', async () => {
    await warmLane(client);
    const before = client.getShardMetrics();
    const laneBefore = sum(before, (m) => m.worker === -1);
    const ringBefore = sum(before, (m) => m.worker >= 0);
    const n = 1000;
    const ps: Array<Promise<unknown>> = [];
    for (let i = 0; i < n; i++) {
      const k = types.Long.fromNumber(i);
      ps.push(client.execute(INSERT, [k, k, k], { prepare: true }));
    }
    await Promise.all(ps);
    const after = client.getShardMetrics();
    const lane = sum(after, (m) => m.worker === -1) - laneBefore;
    const ring = sum(after, (m) => m.worker >= 0) - ringBefore;
    expect(lane + ring).toBe(n);
    // The first request finds the rings empty; later ones find them busy (the default lane size is 4).
    expect(lane).toBeLessThanOrEqual(4);
  });

  it('answers reads the same way as the rings do', async () => {
    await warmLane(client);
    const k = types.Long.fromNumber(7);
    const viaLane = await client.execute('SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?', [k], { prepare: true });
    const viaRings = await noLane.execute('SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?', [k], { prepare: true });
    expect(viaLane.rows.map((r) => ({ ...r }))).toEqual(viaRings.rows.map((r) => ({ ...r })));
    expect(viaLane.info.queriedHost).toBe(viaRings.info.queriedHost);
  });

  it('is off with shardcql.directLane: 0', async () => {
    for (let i = 0; i < 50; i++) {
      const k = types.Long.fromNumber(i);
      await noLane.execute(INSERT, [k, k, k], { prepare: true });
    }
    expect(noLane.getShardMetrics().some((m) => m.worker === -1)).toBe(false);
  });

  it('rejects a bad directLane option', () => {
    expect(() => new Client({ contactPoints: ['127.0.0.21'], localDataCenter: 'dc1', shardcql: { directLane: -1 } })).toThrow(TypeError);
    expect(() => new Client({ contactPoints: ['127.0.0.21'], localDataCenter: 'dc1', shardcql: { directLane: 1.5 } })).toThrow(TypeError);
  });
});

describe('direct lane, ScyllaDB simulator (3 nodes x 4 shards)', () => {
  let stub: StubProcess;
  let client: Client;

  beforeAll(async () => {
    stub = await startStub({
      host: '127.0.0.31',
      port: 0,
      shards: 4,
      extraArgs: ['-nodes', '3', '-tokens', '8', '-shard-aware-port', '-1'],
    });
    client = new Client({
      contactPoints: ['127.0.0.31'],
      localDataCenter: 'datacenter1',
      protocolOptions: { port: stub.port },
      shardcql: { workers: 1 },
    });
    await client.connect();
  }, 120_000);

  afterAll(async () => {
    await client?.shutdown();
    await stub?.stop();
  });

  it('uses a lane connection only for the shard it landed on: sequential token-aware requests are never misrouted', async () => {
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const hi = (Math.random() * 0x100000000) | 0;
      const lo = (Math.random() * 0x100000000) >>> 0;
      const k = types.Long.fromBits(lo, hi);
      await client.execute(INSERT, [k, k, k], { prepare: true });
    }
    const { wrongNode, wrongShard } = await misroutedTotals(client);
    expect(wrongNode).toBe(0);
    expect(wrongShard).toBe(0);
    const ms = client.getShardMetrics();
    // Some of them rode the lane (a lane connection lands on one shard of its host, so about a quarter).
    expect(sum(ms, (m) => m.worker === -1)).toBeGreaterThan(0);
  }, 60_000);
});
