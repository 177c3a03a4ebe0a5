// ScyllaDB tablets through a client handle (createHandle / fromHandle): the handle learns tablets from the
// `tablets-routing-v1` payloads of its own answers (its own TabletMap, handle-engine.ts) and routes by them, so
// a second pass over the same keys has zero misrouted EXECUTEs by the simulator's count. Also: a request pinned
// to a host (speculative executions, retries) for a token of a known tablet goes to that host's tablet shard.
// Against the Go simulator (test/simulator -nodes 3 -shards 4 -tablets route_htablets). Needs Go, not Cassandra.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, types } from '@shardcql/client';
import { murmur3Token } from '@shardcql/core';
import { ShardedEngine } from '../src/engine';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { misroutedTotals } from './helpers/simulator';
import { route, routeBy } from './helpers/route';

const KS = 'route_htablets';
const INSERT = `INSERT INTO ${KS}.t (pk, v1, v2) VALUES (?, ?, ?)`;

function randomKeys(n: number): types.Long[] {
  return Array.from({ length: n }, () => types.Long.fromBits((Math.random() * 0x100000000) >>> 0, (Math.random() * 0x100000000) | 0));
}

/** Inserts every key, `concurrency` at a time; returns how many answers carried a tablets-routing-v1 payload. */
async function insertAll(client: Client, keys: types.Long[], concurrency = 32): Promise<number> {
  let payloads = 0;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < keys.length) {
      const pk = keys[next++]!;
      const rs = await client.execute(INSERT, [pk, pk, pk], { prepare: true });
      if (rs.info.customPayload?.['tablets-routing-v1'] != null) payloads++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return payloads;
}

function tokenHiLo(pk: types.Long): [number, number] {
  const b = Buffer.alloc(8);
  b.writeInt32BE(pk.getHighBits(), 0);
  b.writeInt32BE(pk.getLowBits(), 4);
  const t = BigInt.asUintN(64, murmur3Token(b));
  return [Number(t >> 32n) | 0, Number(t & 0xffffffffn) | 0];
}

describe('ScyllaDB simulator with tablets (3 nodes x 4 shards, RF 3): client handles and pinned hosts', () => {
  let stub: StubProcess;
  let owner: Client;
  let remote: Client;
  let engine: ShardedEngine;

  beforeAll(async () => {
    stub = await startStub({
      host: '127.0.0.91',
      port: 0,
      shards: 4,
      extraArgs: ['-nodes', '3', '-tokens', '8', '-shard-aware-port', '-1', '-tablets', KS],
    });
    owner = new Client(
      { contactPoints: ['127.0.0.91'], localDataCenter: 'datacenter1', protocolOptions: { port: stub.port }, shardcql: { workers: 2 } },
      (o) => (engine = new ShardedEngine(o)),
    );
    await owner.connect();
    await owner.execute(`CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`);
    await owner.execute(`CREATE TABLE IF NOT EXISTS ${KS}.t (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)`);
    remote = Client.fromHandle(await owner.createHandle({ threads: 1 }));
  }, 120_000);

  afterAll(async () => {
    await remote?.shutdown();
    await owner?.shutdown();
    await stub?.stop();
  });

  it('a handle learns tablets from its own answers: the second pass over 3,000 keys has zero misrouted', async () => {
    const keys = randomKeys(3000);
    const t0 = await misroutedTotals(owner);
    const learned = await insertAll(remote, keys);
    const t1 = await misroutedTotals(owner);
    const firstPass = t1.wrongNode - t0.wrongNode + t1.wrongShard - t0.wrongShard;
    expect(learned).toBeGreaterThan(0);
    // Each payload answers one misrouted request (counted twice when both node and shard are wrong).
    expect(firstPass).toBeGreaterThanOrEqual(learned);
    const again = await insertAll(remote, keys);
    const t2 = await misroutedTotals(owner);
    console.log(
      `handle: first pass ${firstPass} misrouted (${learned} payloads), second pass ${t2.wrongNode - t1.wrongNode + t2.wrongShard - t1.wrongShard} misrouted, ${again} payloads`,
    );
    expect(t2.executes - t1.executes).toBe(keys.length);
    expect(t2.wrongNode - t1.wrongNode).toBe(0);
    expect(t2.wrongShard - t1.wrongShard).toBe(0);
    expect(again).toBe(0);
    // The owner routed none of these requests and learned nothing from them: the handle's map is its own.
    expect(engine.router.tablets.table(KS, 't')).toBeNull();
  }, 120_000);

  it("a request pinned to a replica host goes to that host's shard of the tablet", async () => {
    const keys = randomKeys(2000);
    await insertAll(owner, keys); // the owner learns the tablets too
    const e = engine as unknown as { connTable: { shardConnOf(h: number, s: number): number } };
    // The requests route by the tablets of the statement's table (their RoutingInfo, as the client's carry).
    routeBy(engine, KS, 't');
    const tablets = engine.router.tablets.table(KS, 't');
    expect(tablets).not.toBeNull();
    let checked = 0;
    for (const pk of keys.slice(0, 300)) {
      const [hi, lo] = tokenHiLo(pk);
      const tt = tablets!;
      const i = tt.indexOf(hi, lo);
      if (i < 0) continue;
      for (let r = 0; r < tt.hosts[i]!.length; r++) {
        const h = tt.hosts[i]![r]!;
        expect(route(engine, hi, lo, true, h)).toBe(e.connTable.shardConnOf(h, tt.shards[i]![r]!));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(600);
    // And through the request path: every host pinned in turn, nothing misrouted.
    const t0 = await misroutedTotals(owner);
    const hosts = owner.hosts.values();
    for (let k = 0; k < 300; k++) {
      const pk = keys[k]!;
      await owner.execute(INSERT, [pk, pk, pk], { prepare: true, host: hosts[k % hosts.length]! });
    }
    const t1 = await misroutedTotals(owner);
    expect(t1.executes - t0.executes).toBe(300);
    expect(t1.wrongShard - t0.wrongShard).toBe(0);
  }, 120_000);
});
