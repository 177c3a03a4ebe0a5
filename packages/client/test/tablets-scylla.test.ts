// ScyllaDB tablets (TABLETS_ROUTING_V1) against the Go simulator (test/simulator -nodes 3 -shards 4 -tablets
// route_tablets): a request that reaches a node or shard which is not a replica of its tablet comes back
// with the `tablets-routing-v1` custom payload; the client remembers the tablet and routes every later
// request for its tokens to a replica (host, shard) of it. The simulator counts misrouted EXECUTEs by
// the tablet's placement (`SELECT * FROM simulator.misrouted`). Needs Go, not Cassandra.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, types } from '@shardcql/client';
import { decodeTabletPayload, murmur3Token, tokenFromHiLo } from '@shardcql/core';
import { ShardedEngine } from '../src/engine';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { misroutedTotals } from './helpers/simulator';
import { route, routeBy } from './helpers/route';

const KS = 'route_tablets';
const INSERT = `INSERT INTO ${KS}.t (pk, v1, v2) VALUES (?, ?, ?)`;

interface Counters {
  executes: bigint;
  wrong: bigint;
}

async function misrouted(client: Client): Promise<Counters> {
  const m = await misroutedTotals(client);
  return { executes: BigInt(m.executes), wrong: BigInt(m.wrongNode + m.wrongShard) };
}

function tokenOf(pk: bigint): bigint {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(pk);
  return murmur3Token(b);
}

function randomPk(): bigint {
  const hi = (Math.random() * 0x100000000) | 0;
  const lo = (Math.random() * 0x100000000) >>> 0;
  return tokenFromHiLo(hi, lo);
}

describe('ScyllaDB simulator with tablets, 3 nodes x 4 shards, RF 3', () => {
  let stub: StubProcess;
  let client: Client;
  let engine: ShardedEngine;

  beforeAll(async () => {
    stub = await startStub({
      host: '127.0.0.11',
      port: 0,
      shards: 4,
      extraArgs: ['-nodes', '3', '-tokens', '8', '-shard-aware-port', '-1', '-tablets', KS],
    });
    client = new Client(
      // The direct lane stays on: it must follow the tablet's shard too (it takes the routed connection's shard).
      { contactPoints: ['127.0.0.11'], localDataCenter: 'datacenter1', protocolOptions: { port: stub.port }, shardcql: { workers: 2 } },
      (o) => (engine = new ShardedEngine(o)),
    );
    await client.connect();
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`);
    await client.execute(`CREATE TABLE IF NOT EXISTS ${KS}.t (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)`);
  }, 120_000); // the first run builds the Go binary

  afterAll(async () => {
    await client?.shutdown();
    if (stub !== undefined) {
      const gone = new Promise<void>((done) => stub.child.once('exit', () => done()));
      process.kill(stub.pid, 'SIGTERM');
      await gone;
    }
  });

  it('learns a tablet from the first misrouted request, then routes 1,000 requests of that tablet with zero misrouted', async () => {
    // 1. Requests until one is misrouted: its answer carries the tablet.
    let payload: Buffer | null = null;
    let tries = 0;
    while (payload === null && tries < 200) {
      tries++;
      const pk = randomPk();
      const rs = await client.execute(INSERT, [types.Long.fromString(pk.toString()), 1, 2], { prepare: true });
      const v = rs.info.customPayload?.['tablets-routing-v1'];
      if (v !== undefined && v !== null) {
        payload = v;
        const t = decodeTabletPayload(v);
        const tok = tokenOf(pk);
        expect(tok > tokenFromHiLo(t.firstHi, t.firstLo) && tok <= tokenFromHiLo(t.lastHi, t.lastLo)).toBe(true);
      }
    }
    expect(payload).not.toBeNull();
    const tablet = decodeTabletPayload(payload!);
    const first = tokenFromHiLo(tablet.firstHi, tablet.firstLo);
    const last = tokenFromHiLo(tablet.lastHi, tablet.lastLo);
    expect(tablet.hostIds).toHaveLength(3);
    console.log(
      `tablet (${first}, ${last}] learned after ${tries} request(s): ${tablet.hostIds.map((h, i) => `${h.slice(-4)}/${tablet.shards[i]}`).join(', ')}`,
    );

    // 2. 1,000 keys of that tablet.
    const keys: bigint[] = [];
    while (keys.length < 1000) {
      const pk = randomPk();
      const t = tokenOf(pk);
      if (t > first && t <= last) keys.push(pk);
    }
    await client.execute('TRUNCATE simulator.misrouted');
    let payloads = 0;
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < keys.length) {
        const pk = types.Long.fromString(keys[next++]!.toString());
        const rs = await client.execute(INSERT, [pk, 1, 2], { prepare: true });
        if (rs.info.customPayload?.['tablets-routing-v1'] != null) payloads++;
      }
    };
    await Promise.all(Array.from({ length: 32 }, loop));
    const c = await misrouted(client);
    console.log(`1000 requests of the tablet: ${c.executes} executes, ${c.wrong} misrouted, ${payloads} payloads`);
    expect(c.executes).toBe(1000n);
    expect(c.wrong).toBe(0n);
    expect(payloads).toBe(0);
  }, 60_000);

  it('every routed request of a known tablet goes to one of its (host, shard) replicas', async () => {
    // Learn every tablet: random keys until no answer brings a payload for a while.
    let quiet = 0;
    for (let i = 0; i < 5000 && quiet < 400; i++) {
      const rs = await client.execute(INSERT, [types.Long.fromString(randomPk().toString()), 1, 2], { prepare: true });
      quiet = rs.info.customPayload?.['tablets-routing-v1'] != null ? 0 : quiet + 1;
    }
    await client.execute('TRUNCATE simulator.misrouted');
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next++ < 4000) await client.execute(INSERT, [types.Long.fromString(randomPk().toString()), 1, 2], { prepare: true });
    };
    await Promise.all(Array.from({ length: 64 }, loop));
    const c = await misrouted(client);
    console.log(`4000 random keys after learning the tablets: ${c.wrong} misrouted`);
    expect(c.executes).toBe(4000n);
    expect(c.wrong).toBe(0n);
    // LWT order: engine.route with primaryFirst picks the first replica of the tablet.
    const e = engine as unknown as { hostStates: Array<{ hostId: string | null }>; connTable: { shardConnsOf(h: number): number[] } };
    // The requests route by the tablets of the statement's table (their RoutingInfo, as the client's carry).
    routeBy(engine, KS, 't');
    expect(engine.router.tablets.table(KS, 't')).not.toBeNull();
    const out = new Int32Array(2);
    for (let i = 0; i < 200; i++) {
      const pk = randomPk();
      const t = BigInt.asUintN(64, tokenOf(pk));
      out[0] = Number(t >> 32n) | 0;
      out[1] = Number(t & 0xffffffffn) | 0;
      const conn = route(engine, out[0], out[1], true, -1, true);
      const h = e.hostStates.findIndex((_hs, i) => e.connTable.shardConnsOf(i).includes(conn));
      const tablets = engine.router.tablets.table(KS, 't')!;
      const ti = tablets.indexOf(out[0], out[1]);
      expect(ti).toBeGreaterThanOrEqual(0);
      expect(h).toBe(tablets.hosts[ti]![0]);
      expect(e.connTable.shardConnsOf(h).indexOf(conn)).toBe(tablets.shards[ti]![0]);
    }
  }, 120_000);

  it('engine.route() by tablets allocates nothing over 1e6 picks', () => {
    const hi = new Int32Array(1024);
    const lo = new Int32Array(1024);
    for (let i = 0; i < 1024; i++) {
      const t = BigInt.asUintN(64, BigInt(i) * 18_014_398_509_481_951n);
      hi[i] = Number(t >> 32n) | 0;
      lo[i] = Number(t & 0xffffffffn) | 0;
    }
    routeBy(engine, KS, 't');
    let sink = 0;
    for (let i = 0; i < 200_000; i++) sink += route(engine, hi[i & 1023]!, lo[i & 1023]!, true, -1);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) sink += route(engine, hi[i & 1023]!, lo[i & 1023]!, true, -1);
    const delta = process.memoryUsage().heapUsed - before;
    console.log(`tablet engine.route: 1e6 picks, heapUsed delta ${delta} bytes`);
    expect(sink).toBeGreaterThan(0);
    expect(delta).toBeLessThan(1024 * 1024);
  });

  it('a bad payload is logged and ignored', () => {
    const logs: string[] = [];
    const onLog = (level: string, m: string): void => void logs.push(`${level} ${m}`);
    engine.on('log', onLog);
    try {
      expect(() => engine.noteTablet(KS, 't', Buffer.from([0, 0, 0, 8, 1, 2]))).not.toThrow();
    } finally {
      engine.off('log', onLog);
    }
    expect(logs.some((l) => l.startsWith('warning ignored a bad tablets-routing-v1 payload'))).toBe(true);
  });

  it('a dropped table loses its tablets', async () => {
    const tablets = (): unknown => engine.router.tablets.table(KS, 't');
    expect(tablets()).not.toBeNull();
    // The simulator pushes no events: deliver the SCHEMA_CHANGE as the worker would.
    engine.emit('event', { type: 'SCHEMA_CHANGE', change: 'DROPPED', target: 'TABLE', keyspace: KS, name: 't', argTypes: null });
    expect(tablets()).toBeNull();
    // A request of that table routes by no tablets any more (the router's tablets of the table it last saw).
    routeBy(engine, KS, 't');
    route(engine, 0, 0, true, -1);
    expect((engine.router as unknown as { cachedTablets: unknown }).cachedTablets).toBeNull();
  });
});
