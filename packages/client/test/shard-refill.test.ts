// ScyllaDB: a connection that reconnects on the plain port may come back on another shard (placeShard frees its
// old slot). The engine then opens a replacement for the emptied slot (shard-aware port when the host has one,
// else bounded plain-port tries), and an extra connection serving a freed shard takes the slot. Against the Go
// simulator (3 nodes x 4 shards); the move is reported to the engine as its worker would report it, then the
// simulator's own counters show the replacement on the right shard and zero misrouted EXECUTEs.
import { afterEach, describe, expect, it } from 'vitest';
import { Client, types } from '@shardcql/client';
import { ShardedEngine } from '../src/engine';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import type { ConnectionTable } from '../src/engine/routing/connection-table';

interface Internals {
  hostStates: Array<{ address: string; ip: string; shardAwarePort: number }>;
  connTable: ConnectionTable;
  shards: { refills: Set<unknown> };
  workers: { onMessage(w: unknown, m: unknown): void };
}

interface Row {
  node: string;
  shard: number;
  connections: number;
  executes: number;
  wrongShard: number;
  wrongNode: number;
}

async function rows(client: Client): Promise<Row[]> {
  const rs = await client.execute('SELECT * FROM simulator.misrouted');
  return rs.rows.map((r) => ({
    node: r['node'] as string,
    shard: r['shard'] as number,
    connections: Number(String(r['connections'])),
    executes: Number(String(r['executes'])),
    wrongShard: Number(String(r['wrong_shard'])),
    wrongNode: Number(String(r['wrong_node'])),
  }));
}

async function insertRandom(client: Client, n: number): Promise<number> {
  let next = 0;
  let failed = 0;
  const loop = async (): Promise<void> => {
    while (next < n) {
      next++;
      const pk = types.Long.fromBits((Math.random() * 0x100000000) >>> 0, (Math.random() * 0x100000000) | 0);
      await client
        .execute('INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)', [pk, pk, pk], { prepare: true })
        .catch(() => failed++);
    }
  };
  await Promise.all(Array.from({ length: 64 }, loop));
  return failed;
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const state = { stub: null as StubProcess | null, client: null as Client | null };

afterEach(async () => {
  await state.client?.shutdown();
  await state.stub?.stop();
  state.client = null;
  state.stub = null;
});

describe.each([
  { name: 'plain port only', host: '127.0.0.71', aware: false },
  { name: 'shard-aware port', host: '127.0.0.81', aware: true },
])('ScyllaDB simulator, 3 nodes x 4 shards ($name): an emptied shard slot is filled again', ({ host, aware }) => {
  it("opens a replacement on the freed shard, routes that shard's requests to it, logs once; an extra connection takes a freed slot", async () => {
    const stub = (state.stub = await startStub({
      host,
      port: 0,
      shards: 4,
      extraArgs: ['-nodes', '3', ...(aware ? ['-shard-aware-port', '-1'] : [])],
    }));
    let engine: ShardedEngine | null = null;
    const client = (state.client = new Client(
      {
        contactPoints: [host],
        localDataCenter: 'datacenter1',
        protocolOptions: { port: stub.port },
        shardcql: { workers: 2, directLane: 0 },
      },
      (o) => (engine = new ShardedEngine(o)),
    ));
    const logs: string[] = [];
    client.on('log', (_level: string, _cls: string, message: string) => logs.push(message));
    await client.connect();
    const e = engine! as unknown as Internals;
    const hs = e.hostStates[1]!;
    expect(hs.shardAwarePort > 0).toBe(aware);
    // Host 1's shard slots and connections, read live (routing/connection-table.ts).
    const sc = (s: number): number => e.connTable.shardConnOf(1, s);
    const hostConns = (): number[] => e.connTable.connsOf(1);
    const c1 = sc(1);
    const c3 = sc(3);
    expect(e.connTable.shardConnsOf(1).every((c) => c >= 0 && e.connTable.isUp(c))).toBe(true);
    const connsOf = (rs: Row[], shard: number): number => rs.find((r) => r.node === hs.ip && r.shard === shard)!.connections;
    const before = await rows(client);

    // As its worker reports it: c1 reconnected on the plain port and landed on shard 3, which has a connection.
    e.workers.onMessage(null, { type: 'connection-state', conn: c1, up: false, error: null, shard: -1 });
    e.workers.onMessage(null, { type: 'connection-state', conn: c1, up: true, error: null, shard: 3 });
    expect(sc(1)).toBe(-1);
    expect(sc(3)).toBe(c3);
    // Before the refill starts (the reconnection policy's first delay, ~1 s), c3 reconnects on shard 0 (taken): shard 3's slot is freed and c1, an
    // open extra connection on shard 3 (as reported), takes it at once.
    e.workers.onMessage(null, { type: 'connection-state', conn: c3, up: false, error: null, shard: -1 });
    e.workers.onMessage(null, { type: 'connection-state', conn: c3, up: true, error: null, shard: 0 });
    expect(sc(3)).toBe(c1);
    expect(e.shards.refills.size).toBe(1);

    await until('shard 1 has a connection again', () => sc(1) >= 0 && e.connTable.isUp(sc(1)), 15_000);
    const fresh = sc(1);
    expect(fresh).not.toBe(c1);
    expect(hostConns()).toContain(fresh);
    if (aware) {
      expect(e.connTable.specOf(fresh)!.port).toBe(hs.shardAwarePort);
      expect(e.connTable.specOf(fresh)!.localPort! % 4).toBe(1);
    }
    await until('the refill to finish', () => e.shards.refills.size === 0, 5_000);
    expect(logs.filter((m) => m.includes('lost their connection')).length).toBe(1);
    // Every slot filled: the connection left in no slot (c3) is closed, so the host keeps one per shard
    // (reconnections never grow the pool). The server sees its per-shard counts as before, c3 gone from shard 3
    // and c1 still on shard 1 (the simulator never moved it), plus the replacement on shard 1.
    expect(hostConns()).not.toContain(c3);
    expect([...hostConns()].sort((a, b) => a - b)).toEqual(e.connTable.shardConnsOf(1).sort((a, b) => a - b));
    let after = await rows(client);
    const t0 = Date.now();
    while (connsOf(after, 3) !== connsOf(before, 3) - 1 && Date.now() - t0 < 10_000) {
      await new Promise((r) => setTimeout(r, 100));
      after = await rows(client);
    }
    expect(connsOf(after, 3)).toBe(connsOf(before, 3) - 1);
    expect(connsOf(after, 1)).toBe(connsOf(before, 1) + 1);

    // Requests for every shard go where the engine's slots say: none to a wrong node, none to a wrong shard
    // except shard 3's, which c1 carries while really on shard 1 (the move above was only reported), and
    // shard 1 of that node gets its share through the replacement.
    await client.execute('TRUNCATE simulator.misrouted');
    expect(await insertRandom(client, 4000)).toBe(0);
    const counted = await rows(client);
    const isC1 = (r: Row): boolean => r.node === hs.ip && r.shard === 1;
    expect(counted.reduce((a, r) => a + r.wrongNode, 0)).toBe(0);
    expect(counted.filter((r) => !isC1(r)).reduce((a, r) => a + r.wrongShard, 0)).toBe(0);
    expect(counted.find(isC1)!.wrongShard).toBeGreaterThan(0);
    expect(counted.find((r) => r.node === hs.ip && r.shard === 1)!.executes).toBeGreaterThan(50);
  }, 60_000);
});

describe('ScyllaDB simulator, 3 nodes x 4 shards: shard slots refilled again and again', () => {
  it("reuses the indexes of the connections it closes (real workers): bounded, each shard's requests on its own connection", async () => {
    const host = '127.0.0.91';
    const stub = (state.stub = await startStub({ host, port: 0, shards: 4, extraArgs: ['-nodes', '3', '-shard-aware-port', '-1'] }));
    let engine: ShardedEngine | null = null;
    const client = (state.client = new Client(
      {
        contactPoints: [host],
        localDataCenter: 'datacenter1',
        protocolOptions: { port: stub.port },
        shardcql: { workers: 2, directLane: 0 },
      },
      (o) => (engine = new ShardedEngine(o)),
    ));
    await client.connect();
    const e = engine! as unknown as Internals & { connIndexes: { highWater: number; quarantineMs: number } };
    // Without the quarantine (60 s), so that the test sees reuse; the in-flight check still applies.
    e.connIndexes.quarantineMs = 0;
    const hs = e.hostStates[1]!;
    // Host 1's shard slots and connections, read live (routing/connection-table.ts).
    const sc = (s: number): number => e.connTable.shardConnOf(1, s);
    const hostConns = (): number[] => e.connTable.connsOf(1);
    const start = e.connIndexes.highWater;
    const used = new Set<number>();
    for (let round = 0; round < 8; round++) {
      // As its worker would report it: shard 1's connection came back on shard 3 (taken): it becomes an extra
      // connection, shard 1 gets a replacement, then the extra one is closed and its index given back.
      const c = sc(1);
      e.workers.onMessage(null, { type: 'connection-state', conn: c, up: false, error: null, shard: -1 });
      e.workers.onMessage(null, { type: 'connection-state', conn: c, up: true, error: null, shard: 3 });
      await until(
        `round ${round}: shard 1 has a new connection`,
        () => sc(1) >= 0 && sc(1) !== c && e.connTable.isUp(sc(1)) && e.shards.refills.size === 0,
        15_000,
      );
      expect(hostConns()).not.toContain(c);
      used.add(sc(1));
    }
    // One index more than at connect (the replacement opens before the extra one closes), then the two alternate.
    expect(e.connIndexes.highWater).toBeLessThanOrEqual(start + 1);
    expect(used.size).toBeLessThanOrEqual(2);
    expect([...hostConns()].sort((a, b) => a - b)).toEqual(e.connTable.shardConnsOf(1).sort((a, b) => a - b));
    // The reused indexes reach the right (node, shard) through the workers: no request on a wrong node or shard.
    await client.execute('TRUNCATE simulator.misrouted');
    expect(await insertRandom(client, 4000)).toBe(0);
    const counted = await rows(client);
    expect(counted.reduce((a, r) => a + r.wrongNode + r.wrongShard, 0)).toBe(0);
    expect(counted.find((r) => r.node === hs.ip && r.shard === 1)!.executes).toBeGreaterThan(50);
    // The metrics see one live connection per (node, shard): a reused slot starts over, with its new owner.
    const live = client.getShardMetrics().filter((m) => m.up);
    expect(
      live
        .filter((m) => m.host.startsWith(`${hs.ip}:`))
        .map((m) => m.shard)
        .sort(),
    ).toEqual([0, 1, 2, 3]);
  }, 90_000);
});
