// Routing against the real Cassandra (one node here; the three-node variant is
// engine-topology-3nodes.integration.test.ts): the engine reads replication from system_schema, picks up
// a new keyspace from the SCHEMA_CHANGE event, and its replica plans agree with cassandra-driver's
// getReplicas for 10,000 keys.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteWriter, consistencies, defaultCodecOptions, encodeQuery, murmur3TokenHiLo, newQueryParameters, opcodes } from '@shardcql/core';
import { ShardedEngine, type EngineOptions } from '../src/engine';
import { EngineRequest } from '../src/engine/request';
import { route, routeBy } from './helpers/route';

const CONTACT = process.env['SHARDCQL_CONTACT'] ?? '127.0.0.1';
const KS = `shardcql_topo_${process.pid}`;

function options(over: Partial<EngineOptions> = {}): EngineOptions {
  return {
    contactPoints: [CONTACT],
    port: 9042,
    localDataCenter: null,
    keyspace: null,
    credentials: null,
    sslOptions: null,
    compression: 'none',
    workers: 2,
    connectionsPerHost: 0,
    maxProtocolVersion: 5,
    connectTimeoutMs: 5000,
    heartbeatIntervalMs: 30_000,
    coalescingThreshold: 65536,
    maxRequestsPerConnection: 32768,
    applicationName: null,
    applicationVersion: null,
    clientId: null,
    ...over,
  };
}

async function query(engine: ShardedEngine, cql: string): Promise<void> {
  const w = new ByteWriter(256);
  const p = newQueryParameters();
  p.consistency = consistencies.one;
  encodeQuery(w, engine.protocolVersion, cql, p, defaultCodecOptions());
  const res = await engine.send(EngineRequest.of(opcodes.query, w.buf, w.pos, 120_000));
  expect(res.opcode).toBe(opcodes.result);
}

/** The engine's replica list (addresses, plan order) for a routing key. */
function engineReplicas(engine: ShardedEngine, ks: string, key: Buffer, out: Int32Array): string[] {
  const plans = engine.routingTable!.plansFor(ks)!;
  murmur3TokenHiLo(key, 0, key.length, out);
  const r = plans.rangeIndexOf(out[0]!, out[1]!);
  const list: string[] = [];
  for (let i = plans.offsets[r]!; i < plans.offsets[r + 1]!; i++) list.push(engine.hosts[plans.replicas[i]!]!.address);
  return list;
}

describe('engine routing against a real Cassandra', () => {
  let engine: ShardedEngine;
  const require = createRequire(import.meta.url);
  const { Client } = require('cassandra-driver') as typeof import('cassandra-driver');
  let client: InstanceType<typeof Client>;

  beforeAll(async () => {
    engine = new ShardedEngine(options());
    await engine.connect();
    client = new Client({ contactPoints: [CONTACT], localDataCenter: engine.hosts[0]!.datacenter! });
    await client.connect();
  });

  afterAll(async () => {
    await query(engine, `DROP KEYSPACE IF EXISTS ${KS}`).catch(() => undefined);
    await client.shutdown();
    await engine.shutdown();
  });

  it('builds plans for the keyspaces it read at connect (and none for LocalStrategy ones)', () => {
    const t = engine.routingTable!;
    expect(t.ring).not.toBeNull();
    expect(t.ring!.size).toBe(engine.hosts.reduce((n, h) => n + h.tokens.length, 0));
    expect(t.plansFor('system_auth')).not.toBeNull();
    expect(t.plansFor('system')).toBeNull();
    expect(engine.controlHostIndex).toBe(0);
  });

  it('learns a new keyspace from SCHEMA_CHANGE, waits for schema agreement, and matches getReplicas on 10,000 keys', async () => {
    const refreshes = engine.refreshCount;
    const t0 = Date.now();
    await query(engine, `CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    expect(await engine.waitForSchemaAgreement(30_000)).toBe(true);
    while (engine.routingTable!.plansFor(KS) === null && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
    const took = Date.now() - t0;
    expect(engine.routingTable!.plansFor(KS)).not.toBeNull();
    expect(engine.refreshCount).toBeGreaterThan(refreshes);
    console.log(`keyspace ${KS} routable ${took} ms after CREATE (1 s debounce window)`);
    await client.metadata.refreshKeyspace(KS);

    const out = new Int32Array(2);
    let agree = 0;
    let routedToReplica = 0;
    routeBy(engine, KS);
    for (let i = 0; i < 10_000; i++) {
      const key = Buffer.alloc(4);
      key.writeInt32BE(i * 7919 - 5_000_000);
      const theirs = client.getReplicas(KS, key).map((h) => h.address);
      const mine = engineReplicas(engine, KS, key, out);
      if (JSON.stringify(theirs) === JSON.stringify(mine)) agree++;
      const c = route(engine, out[0]!, out[1]!, true, -1);
      if (c >= 0 && mine.includes(engine.hosts[engine.connTable.hostOf(c)]!.address)) routedToReplica++;
    }
    routeBy(engine, null);
    console.log(
      `routing: ${agree}/10000 replica lists equal to cassandra-driver getReplicas; ${routedToReplica}/10000 routed to a replica`,
    );
    expect(agree).toBe(10_000);
    expect(routedToReplica).toBe(10_000);
  });

  it('moves the control connection when it dies (worker 0 crashed) and still hears SCHEMA_CHANGE', async () => {
    const control = (): number => (engine as unknown as { cluster: { controlConn: number } }).cluster.controlConn;
    expect(control()).toBe(0);
    const logs: string[] = [];
    const onLog = (_l: string, m: string): void => void logs.push(m);
    engine.on('log', onLog);
    const t0 = Date.now();
    engine.crashWorkerForTest(0);
    while (control() <= 0 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 20));
    const moved = Date.now() - t0;
    expect(control()).toBeGreaterThan(0);
    expect(logs.join('\n')).toMatch(/control connection moved to/);
    console.log(`control connection moved from conn 0 to conn ${control()} in ${moved} ms`);
    // Let the failover's own refresh finish, so the new keyspace can only come from an event: wait until the
    // refresh scheduler has nothing due, running or pending (by its state, not a guess of how long that takes).
    const scheduler = (engine as unknown as { cluster: { scheduler: { timer: unknown; running: unknown; pending: number } } }).cluster
      .scheduler;
    const idle = (): boolean => scheduler.timer === null && scheduler.running === null && scheduler.pending === 0;
    for (const end = Date.now() + 30_000; !idle() && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
    expect(idle()).toBe(true);
    const runs = engine.refreshCount;
    const ks2 = `${KS}_b`;
    await query(engine, `CREATE KEYSPACE ${ks2} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    const t1 = Date.now();
    while (engine.routingTable!.plansFor(ks2) === null && Date.now() - t1 < 30_000) await new Promise((r) => setTimeout(r, 50));
    await query(engine, `DROP KEYSPACE ${ks2}`);
    engine.off('log', onLog);
    expect(engine.routingTable!.plansFor(ks2)).not.toBeNull();
    expect(engine.refreshCount).toBeGreaterThan(runs);
  });
});
