// ScyllaDB shard awareness against the Go simulator (test/simulator: -nodes 3 -shards 4 on 127.0.0.11-13):
// one connection per shard per host (the shard-aware port, local port % 4 = shard), token -> replica ->
// shard routing, and the simulator's own count of EXECUTEs that reached a node or shard not owning
// their partition key (`SELECT * FROM simulator.misrouted`). Needs Go, not Cassandra.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, types } from '@shardcql/client';
import { ShardedEngine } from '../src/engine';
import { parseSharding, LocalPortPicker, isLocalPortTaken } from '../src/engine/topology';
import type { ConnectionTable } from '../src/engine/routing/connection-table';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { route, routeBy } from './helpers/route';

interface MisroutedRow {
  node: string;
  shard: number;
  connections: bigint;
  executes: bigint;
  wrong_node: bigint;
  wrong_shard: bigint;
  not_primary: bigint;
}

interface HostInternals {
  address: string;
  sharder: { nrShards: number } | null;
}
interface EngineInternals {
  hostStates: HostInternals[];
  connTable: ConnectionTable;
}

/** The shard slots of host h (routing/connection-table.ts). */
function shardConns(e: EngineInternals, h: number): number[] {
  return e.connTable.shardConnsOf(h);
}

const N_KEYS = 100_000;
const CONCURRENCY = 256;

async function misrouted(client: Client): Promise<MisroutedRow[]> {
  const rs = await client.execute('SELECT * FROM simulator.misrouted');
  return rs.rows.map((r) => ({
    node: r['node'] as string,
    shard: r['shard'] as number,
    connections: BigInt(String(r['connections'])),
    executes: BigInt(String(r['executes'])),
    wrong_node: BigInt(String(r['wrong_node'])),
    wrong_shard: BigInt(String(r['wrong_shard'])),
    not_primary: BigInt(String(r['not_primary'])),
  }));
}

/** 100,000 prepared inserts with random bigint keys, CONCURRENCY at a time. */
async function insertRandom(client: Client, n: number, table = 'benchks.benchtab'): Promise<number> {
  const cql = `INSERT INTO ${table} (pk, v1, v2) VALUES (?, ?, ?)`;
  let next = 0;
  let failed = 0;
  const loop = async (): Promise<void> => {
    while (next < n) {
      next++;
      const hi = (Math.random() * 0x100000000) | 0;
      const lo = (Math.random() * 0x100000000) >>> 0;
      const pk = types.Long.fromBits(lo, hi);
      try {
        await client.execute(cql, [pk, pk, pk], { prepare: true });
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return failed;
}

describe('shard-awareness helpers', () => {
  it('parses SUPPORTED as ScyllaDB sends it', () => {
    const info = parseSharding({
      SCYLLA_SHARD: ['2'],
      SCYLLA_NR_SHARDS: ['4'],
      SCYLLA_PARTITIONER: ['org.apache.cassandra.dht.Murmur3Partitioner'],
      SCYLLA_SHARDING_ALGORITHM: ['biased-token-round-robin'],
      SCYLLA_SHARDING_IGNORE_MSB: ['12'],
      SCYLLA_SHARD_AWARE_PORT: ['19042'],
    });
    expect(info?.shard).toBe(2);
    expect(info?.sharder.nrShards).toBe(4);
    expect(info?.sharder.ignoreMsb).toBe(12);
    expect(info?.shardAwarePort).toBe(19042);
    expect(parseSharding({ CQL_VERSION: ['3.4.7'] })).toBeNull();
    expect(parseSharding({ SCYLLA_SHARD: ['0'], SCYLLA_NR_SHARDS: ['4'], SCYLLA_SHARDING_ALGORITHM: ['other'] })).toBeNull();
    expect(parseSharding({ SCYLLA_SHARD: ['0'], SCYLLA_NR_SHARDS: ['4'] })?.shardAwarePort).toBe(0);
  });

  it('picks local ports in the ephemeral range that land on the shard', () => {
    const p = new LocalPortPicker(0);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const s = i % 7;
      const port = p.next(s, 7);
      expect(port % 7).toBe(s);
      expect(port).toBeGreaterThanOrEqual(49152);
      expect(port).toBeLessThanOrEqual(65535);
      seen.add(port);
    }
    expect(seen.size).toBe(1000);
    expect(isLocalPortTaken({ name: 'Error', message: 'connect EADDRINUSE 127.0.0.1:50000', code: 'EADDRINUSE', fields: {} })).toBe(true);
    expect(isLocalPortTaken({ name: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED', fields: {} })).toBe(false);
  });
});

describe.each([
  { name: 'shard-aware port', aware: true },
  { name: 'no shard-aware port (plain-port fallback)', aware: false },
])('ScyllaDB simulator, 3 nodes x 4 shards, $name', ({ aware }) => {
  let stub: StubProcess;
  let client: Client;

  beforeAll(async () => {
    const extraArgs = ['-nodes', '3', '-tokens', '8'];
    if (aware) extraArgs.push('-shard-aware-port', '-1');
    stub = await startStub({ host: '127.0.0.11', port: 0, shards: 4, extraArgs });
    client = new Client({
      contactPoints: ['127.0.0.11'],
      localDataCenter: 'datacenter1',
      protocolOptions: { port: stub.port },
      shardcql: { workers: 2 },
    });
    await client.connect();
  }, 120_000); // the first run builds the Go binary

  afterAll(async () => {
    await client?.shutdown();
    if (stub !== undefined) {
      const gone = new Promise<void>((done) => stub.child.once('exit', () => done()));
      process.kill(stub.pid, 'SIGTERM');
      await gone;
    }
  });

  it('opens one connection per shard on every host, shard s of host h in worker (h + s) % W', () => {
    const engine = (client as unknown as { engine: ShardedEngine }).engine;
    const e = engine as unknown as EngineInternals;
    expect(e.hostStates.map((h) => h.address).sort()).toEqual([11, 12, 13].map((i) => `127.0.0.${i}:${stub.port}`));
    for (const [h, hs] of e.hostStates.entries()) {
      expect(hs.sharder?.nrShards).toBe(4);
      expect(shardConns(e, h).every((c) => c >= 0)).toBe(true);
      for (const [s, c] of shardConns(e, h).entries()) {
        const spec = e.connTable.specOf(c)!;
        if (aware && spec.localPort !== null) {
          expect(spec.localPort % 4).toBe(s);
          expect(e.connTable.workerOf(c)).toBe((h + s) % 2);
        }
        if (!aware) expect(spec.port).toBe(stub.port);
      }
    }
  });

  it(`routes ${N_KEYS} random-key prepared inserts to the owning node and shard`, async () => {
    await client.execute("CREATE KEYSPACE IF NOT EXISTS benchks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await client.execute('TRUNCATE simulator.misrouted');
    const t0 = performance.now();
    const failed = await insertRandom(client, N_KEYS);
    const ms = performance.now() - t0;
    const rows = await misrouted(client);
    const sum = (f: (r: MisroutedRow) => bigint): bigint => rows.reduce((a, r) => a + f(r), 0n);
    const total = sum((r) => r.executes);
    const perShard = rows.map((r) => `${r.node}/${r.shard}: ${r.executes} (conns ${r.connections})`).join(', ');
    console.log(
      `${aware ? 'aware' : 'fallback'}: ${N_KEYS} inserts in ${ms.toFixed(0)} ms (${Math.round(N_KEYS / (ms / 1000))}/s); ${perShard}`,
    );
    expect(failed).toBe(0);
    expect(rows).toHaveLength(12);
    expect(total).toBe(BigInt(N_KEYS));
    expect(sum((r) => r.wrong_node)).toBe(0n);
    expect(sum((r) => r.wrong_shard)).toBe(0n);
    // Random keys reach every node and shard.
    for (const r of rows) expect(r.executes).toBeGreaterThan(0n);
  }, 120_000);

  it.runIf(aware)(
    `routes ${N_KEYS} inserts with RF 3 to a replica and the owning shard`,
    async () => {
      await client.execute(
        "CREATE KEYSPACE IF NOT EXISTS scylla_rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
      );
      await client.execute('CREATE TABLE IF NOT EXISTS scylla_rf3.t (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)');
      // The simulator pushes no SCHEMA_CHANGE events: routing by an unknown keyspace asks for a refresh.
      const engine = (client as unknown as { engine: ShardedEngine }).engine;
      routeBy(engine, 'scylla_rf3');
      route(engine, 0, 0, true, -1);
      for (const end = Date.now() + 20_000; engine.routingTable?.plansFor('scylla_rf3') == null && Date.now() < end;)
        await new Promise((r) => setTimeout(r, 50));
      expect(engine.routingTable?.plansFor('scylla_rf3')).not.toBeNull();
      // The inserts name scylla_rf3 themselves (the prepared statement's bind metadata: their RoutingInfo).
      await client.execute('TRUNCATE simulator.misrouted');
      let failed: number;
      try {
        failed = await insertRandom(client, N_KEYS, 'scylla_rf3.t');
      } finally {
        routeBy(engine, null);
      }
      const rows = await misrouted(client);
      const notPrimary = rows.reduce((a, r) => a + r.not_primary, 0n);
      console.log(`RF 3: ${N_KEYS} inserts, ${notPrimary} at a non-primary replica`);
      expect(failed).toBe(0);
      expect(rows.reduce((a, r) => a + r.executes, 0n)).toBe(BigInt(N_KEYS));
      expect(rows.reduce((a, r) => a + r.wrong_node + r.wrong_shard, 0n)).toBe(0n);
      // Token-aware round robin over the three replicas: about 2/3 reach a non-primary one.
      expect(Number(notPrimary)).toBeGreaterThan(N_KEYS / 2);
    },
    120_000,
  );

  it.runIf(aware)('routes LWTs to the primary replica and its shard (RF 3), others round robin over replicas', () => {
    const engine = (client as unknown as { engine: ShardedEngine }).engine;
    const e = engine as unknown as EngineInternals;
    expect(engine.lwtMask).toBe(0x80000000);
    routeBy(engine, 'scylla_rf3');
    try {
      const ring = engine.routingTable!.ring!;
      const hostOf = (c: number): number => e.hostStates.findIndex((_h, i) => shardConns(e, i).includes(c));
      let nonPrimary = 0;
      for (let i = 0; i < 10_000; i++) {
        const hi = (Math.random() * 0x100000000) | 0;
        const lo = (Math.random() * 0x100000000) | 0;
        const owner = ring.ownerIndexOf(hi, lo);
        const c = route(engine, hi, lo, true, -1, true);
        const h = hostOf(c);
        expect(h).toBe(owner);
        const hs = e.hostStates[h]!;
        expect(shardConns(e, h).indexOf(c)).toBe((hs.sharder as unknown as { shardOf(a: number, b: number): number }).shardOf(hi, lo));
        if (hostOf(route(engine, hi, lo, true, -1)) !== owner) nonPrimary++;
      }
      // Without the LWT flag, RF 3 spreads over the three replicas: about 2/3 not the primary.
      expect(nonPrimary).toBeGreaterThan(5000);
    } finally {
      routeBy(engine, null);
    }
  });

  it.runIf(aware)('engine.route() to a shard connection allocates nothing over 1e6 picks', async () => {
    const engine = (client as unknown as { engine: ShardedEngine }).engine;
    const e = engine as unknown as EngineInternals & { shardOfConn?: never };
    const hi = new Int32Array(1024);
    const lo = new Int32Array(1024);
    for (let i = 0; i < 1024; i++) {
      const t = BigInt.asIntN(64, BigInt(i) * 18_014_398_509_481_951n - 9_000_000_000_000_000_000n);
      hi[i] = Number(t >> 32n) | 0;
      lo[i] = Number(t & 0xffffffffn) | 0;
    }
    // Every pick is the connection of the token's shard on the chosen host.
    for (let i = 0; i < 1024; i++) {
      const c = route(engine, hi[i]!, lo[i]!, true, -1);
      const h = e.hostStates.findIndex((_x, i) => shardConns(e, i).includes(c));
      const hs = e.hostStates[h]!;
      expect(shardConns(e, h).indexOf(c)).toBe(
        (hs.sharder as unknown as { shardOf(a: number, b: number): number }).shardOf(hi[i]!, lo[i]!),
      );
    }
    let sink = 0;
    for (let i = 0; i < 200_000; i++) sink += route(engine, hi[i & 1023]!, lo[i & 1023]!, true, -1);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) sink += route(engine, hi[i & 1023]!, lo[i & 1023]!, true, -1);
    const delta = process.memoryUsage().heapUsed - before;
    console.log(`sharded engine.route: 1e6 picks, heapUsed delta ${delta} bytes`);
    expect(sink).toBeGreaterThan(0);
    // Under 1 byte per lookup (JIT code and a busy test process move heapUsed by a few hundred KB).
    expect(delta).toBeLessThan(1024 * 1024);
  });

  it.runIf(aware)('the simulator counts misrouted requests (routing without shards)', async () => {
    const e = (client as unknown as { engine: EngineInternals }).engine;
    const saved = e.hostStates.map((h) => h.sharder);
    for (const h of e.hostStates) h.sharder = null; // host-aware only: the host's connections round robin
    try {
      await client.execute('TRUNCATE simulator.misrouted');
      await insertRandom(client, 4000);
      const rows = await misrouted(client);
      expect(rows.reduce((a, r) => a + r.wrong_node, 0n)).toBe(0n);
      // About 3/4 land on another shard.
      expect(Number(rows.reduce((a, r) => a + r.wrong_shard, 0n))).toBeGreaterThan(2000);
    } finally {
      e.hostStates.forEach((h, i) => (h.sharder = saved[i]!));
    }
  });
});

describe('ScyllaDB simulator: taken local ports', () => {
  it('moves to the next candidate port on EADDRINUSE', async () => {
    const stub = await startStub({ host: '127.0.0.11', port: 0, shards: 4, extraArgs: ['-nodes', '3', '-shard-aware-port', '-1'] });
    // Listening sockets on the first candidate ports make binding them fail with EADDRINUSE.
    const blockers: Server[] = [];
    for (let p = 49152; p < 49160; p++) {
      const srv = createServer();
      const ok = await new Promise<boolean>((done) => {
        srv.once('error', () => done(false));
        srv.listen(p, '0.0.0.0', () => done(true));
      });
      if (ok) blockers.push(srv);
    }
    let engine: ShardedEngine | null = null;
    const client = new Client(
      { contactPoints: ['127.0.0.11'], localDataCenter: 'datacenter1', protocolOptions: { port: stub.port }, shardcql: { workers: 2 } },
      (o) => {
        engine = new ShardedEngine(o);
        engine.shards.portPicker = new LocalPortPicker(0);
        return engine;
      },
    );
    try {
      await client.connect();
      expect(blockers.length).toBeGreaterThan(0);
      const e = engine! as unknown as EngineInternals;
      const blocked = new Set(blockers.map((b) => (b.address() as { port: number }).port));
      let viaAware = 0;
      for (let h = 0; h < e.hostStates.length; h++) {
        for (const [s, c] of shardConns(e, h).entries()) {
          expect(c).toBeGreaterThanOrEqual(0);
          const lp = e.connTable.specOf(c)!.localPort;
          if (lp === null) continue;
          viaAware++;
          expect(lp % 4).toBe(s);
          expect(blocked.has(lp)).toBe(false);
        }
      }
      expect(viaAware).toBe(9); // 3 hosts x 3 shards; each host's first connection is a plain one
      await client.execute('TRUNCATE simulator.misrouted');
      expect(await insertRandom(client, 5000)).toBe(0);
      const rows = await misrouted(client);
      expect(rows.reduce((a, r) => a + r.wrong_node + r.wrong_shard, 0n)).toBe(0n);
    } finally {
      await client.shutdown();
      for (const b of blockers) b.close();
      const gone = new Promise<void>((done) => stub.child.once('exit', () => done()));
      process.kill(stub.pid, 'SIGTERM');
      await gone;
    }
  }, 60_000);
});

describe('ScyllaDB simulator: a reconnection that lands on another shard', () => {
  it('moves the connection to the shard the server names, freeing its old slot', async () => {
    const stub = await startStub({ host: '127.0.0.11', port: 0, shards: 4, extraArgs: ['-nodes', '3'] });
    let engine: ShardedEngine | null = null;
    const client = new Client(
      { contactPoints: ['127.0.0.11'], localDataCenter: 'datacenter1', protocolOptions: { port: stub.port }, shardcql: { workers: 1 } },
      (o) => (engine = new ShardedEngine(o)),
    );
    try {
      await client.connect();
      const e = engine! as unknown as EngineInternals & { workers: { onMessage(w: unknown, m: unknown): void } };
      // Host 0's shard slots, read live.
      const sc = (s: number): number => e.connTable.shardConnOf(0, s);
      const c1 = sc(1);
      const c2 = sc(2);
      expect(c1).toBeGreaterThanOrEqual(0);
      // As a worker reports it: connection c1 came back (plain port) on shard 3 while shard 3 has its own.
      e.workers.onMessage(null, { type: 'connection-state', conn: c1, up: false, error: null, shard: -1 });
      e.workers.onMessage(null, { type: 'connection-state', conn: c1, up: true, error: null, shard: 3 });
      expect(sc(1)).toBe(-1);
      expect(sc(3)).not.toBe(c1);
      // Shard 2's connection is down, then c1 reconnects onto shard 2: it takes the slot.
      e.workers.onMessage(null, { type: 'connection-state', conn: c2, up: false, error: null, shard: -1 });
      e.workers.onMessage(null, { type: 'connection-state', conn: c1, up: true, error: null, shard: 2 });
      expect(sc(2)).toBe(c1);
    } finally {
      await client.shutdown();
      await stub.stop();
    }
  }, 60_000);
});
