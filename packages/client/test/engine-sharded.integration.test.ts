import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ByteWriter,
  DriverError,
  OperationTimedOutError,
  consistencies,
  decodeResult,
  defaultCodecOptions,
  encodeQuery,
  newQueryParameters,
  opcodes,
} from '@shardcql/core';
import { ShardedEngine, type EngineOptions } from '../src/engine';
import { EngineRequest } from '../src/engine/request';

const CONTACT = process.env['SHARDCQL_CONTACT'] ?? '127.0.0.1';

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

function queryBody(engine: ShardedEngine, cql: string): Buffer {
  const w = new ByteWriter(256);
  const p = newQueryParameters();
  p.consistency = consistencies.one;
  encodeQuery(w, engine.protocolVersion, cql, p, defaultCodecOptions());
  return w.toBuffer();
}

describe('the sharded engine against a real Cassandra', () => {
  let engine: ShardedEngine;

  beforeAll(async () => {
    engine = new ShardedEngine(options());
    await engine.connect();
  });

  afterAll(async () => {
    await engine.shutdown();
  });

  it('negotiates protocol v5 with Cassandra 5 and reads the topology', () => {
    expect(engine.protocolVersion).toBe(5);
    expect(engine.hosts.length).toBeGreaterThanOrEqual(1);
    expect(engine.hosts[0]!.datacenter).toBeTruthy();
    expect(engine.hosts[0]!.tokens.length).toBeGreaterThan(0);
    expect(engine.workerCount).toBe(2);
  });

  it('answers a query through the rings and a worker', async () => {
    const body = queryBody(engine, "SELECT release_version FROM system.local WHERE key='local'");
    const res = await engine.send(EngineRequest.of(opcodes.query, body, body.length, 5000));
    expect(res.opcode).toBe(opcodes.result);
    const r = decodeResult(res.body, 0, res.body.length, engine.protocolVersion, defaultCodecOptions(), null);
    expect(r.kind).toBe(2);
    if (r.kind === 2) expect(String((r.rows[0] as unknown as Record<string, unknown>)['release_version'])).toMatch(/^5\./);
    expect(res.hostIndex).toBe(0);
  });

  it('carries 20,000 concurrent requests and settles every one', async () => {
    const body = queryBody(engine, "SELECT key FROM system.local WHERE key='local'");
    const all: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20_000; i++) all.push(engine.send(EngineRequest.of(opcodes.query, body, body.length, 20_000)));
    const res = (await Promise.all(all)) as Array<{ opcode: number; body: Buffer }>;
    // Every one is answered. Cassandra 5 sheds requests that waited past native_transport_timeout (12 s) in its
    // queue ("Query timed out before it could start": Overloaded): on a busy machine 20,000 at once can, so such
    // server errors are the one other allowed answer (seen: 13 s for the 20,000, some not RESULT).
    const shed = res.filter((r) => r.opcode !== opcodes.result);
    for (const r of shed) {
      expect(r.opcode).toBe(opcodes.error);
      expect([0x1001, 0x1200]).toContain(r.body.readInt32BE(0)); // Overloaded, or a server-side read timeout
    }
    expect(shed.length).toBeLessThan(res.length);
    expect(engine.inFlight).toBe(0);
  });

  it('returns server errors as ERROR frames', async () => {
    const body = queryBody(engine, 'SELEC nonsense');
    const res = await engine.send(EngineRequest.of(opcodes.query, body, body.length, 5000));
    expect(res.opcode).toBe(opcodes.error);
  });

  it('fails a request that outlives its timeout with OperationTimedOutError', async () => {
    // A 1 ms budget for a query that scans a system table cannot be met.
    const body = queryBody(engine, 'SELECT * FROM system_schema.columns');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => engine.send(EngineRequest.of(opcodes.query, body, body.length, 1))),
    );
    const timedOut = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof OperationTimedOutError);
    expect(timedOut.length).toBeGreaterThan(0);
    // The engine is still healthy afterwards.
    const ok = queryBody(engine, "SELECT key FROM system.local WHERE key='local'");
    expect((await engine.send(EngineRequest.of(opcodes.query, ok, ok.length, 5000))).opcode).toBe(opcodes.result);
  });

  it('fails the requests of a crashed worker with a typed error and recovers', async () => {
    const body = queryBody(engine, "SELECT key FROM system.local WHERE key='local'");
    engine.crashWorkerForTest(0);
    engine.crashWorkerForTest(1);
    const during = await Promise.allSettled(
      Array.from({ length: 200 }, () => engine.send(EngineRequest.of(opcodes.query, body, body.length, 5000))),
    );
    for (const o of during) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(DriverError);
    // Later requests succeed once the workers are back.
    const deadline = Date.now() + 30_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      try {
        ok = (await engine.send(EngineRequest.of(opcodes.query, body, body.length, 5000))).opcode === opcodes.result;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(ok).toBe(true);
  });

  it('settles every pending promise on shutdown, and rejects later sends', async () => {
    const e2 = new ShardedEngine(options({ workers: 1 }));
    await e2.connect();
    const body = queryBody(e2, "SELECT key FROM system.local WHERE key='local'");
    const pending = Array.from({ length: 1000 }, () => e2.send(EngineRequest.of(opcodes.query, body, body.length, 10_000)));
    await e2.shutdown();
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.length).toBe(1000);
    await expect(e2.send(EngineRequest.of(opcodes.query, body, body.length, 1000))).rejects.toBeInstanceOf(DriverError);
  });

  it('falls back to protocol v4 when asked', async () => {
    const e4 = new ShardedEngine(options({ workers: 1, maxProtocolVersion: 4 }));
    await e4.connect();
    expect(e4.protocolVersion).toBe(4);
    const body = queryBody(e4, "SELECT key FROM system.local WHERE key='local'");
    expect((await e4.send(EngineRequest.of(opcodes.query, body, body.length, 5000))).opcode).toBe(opcodes.result);
    await e4.shutdown();
  });
});
