/**
 * Query tracing against the real Cassandra: `traceQuery: true` gives `result.info.traceId` (a types.Uuid),
 * and `client.metadata.getTrace(id)` reads the session and its events from system_traces (retrying while
 * the coordinator finishes writing them), with promise and callback forms, as cassandra-driver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as shardcql from '../src/index';
import type { QueryTrace } from '../src/metadata';
import { ddl } from './helpers/busy-server';
import { ownKeyspace } from './helpers/own-keyspace';

const KS = ownKeyspace('meta_trace');

describe('tracing (real Cassandra)', () => {
  let client: shardcql.Client;

  beforeAll(async () => {
    client = new shardcql.Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1' });
    await client.connect();
    await ddl(client, `CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await ddl(client, `CREATE TABLE IF NOT EXISTS ${KS}.kv (k int PRIMARY KEY, v text)`);
  });

  afterAll(async () => {
    await client?.execute(`DROP KEYSPACE IF EXISTS ${KS}`).catch(() => undefined);
    await client?.shutdown();
  });

  function checkTrace(trace: QueryTrace): void {
    expect(trace.requestType).toEqual(expect.any(String));
    expect(trace.duration).toBeGreaterThan(0);
    expect(trace.startedAt).toBeInstanceOf(Date);
    expect(trace.coordinator).toBeInstanceOf(shardcql.types.InetAddress);
    expect(trace.clientAddress).toBeInstanceOf(shardcql.types.InetAddress);
    expect(trace.parameters).toEqual(expect.any(Object));
    expect(trace.events.length).toBeGreaterThan(0);
    for (const e of trace.events) {
      expect(e.id).toBeInstanceOf(shardcql.types.TimeUuid);
      expect(e.activity).toEqual(expect.any(String));
      expect(e.source).toBeInstanceOf(shardcql.types.InetAddress);
      expect(e.elapsed).toEqual(expect.any(Number));
      expect(e.thread).toEqual(expect.any(String));
    }
  }

  it('traceQuery: true on a simple statement -> traceId -> getTrace (promise)', async () => {
    const rs = await client.execute(`SELECT * FROM ${KS}.kv WHERE k = 1`, [], { traceQuery: true });
    const id = rs.info.traceId;
    expect(id).toBeInstanceOf(shardcql.types.Uuid);
    const trace = await client.metadata.getTrace(id!);
    checkTrace(trace);
    expect(trace.parameters['query']).toContain(`${KS}.kv`);
  });

  it('prepared write, callback form, explicit consistency', async () => {
    const rs = await client.execute(`INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`, [1, 'a'], { prepare: true, traceQuery: true });
    const id = rs.info.traceId!;
    expect(id).toBeInstanceOf(shardcql.types.Uuid);
    const viaCb = await new Promise<QueryTrace>((resolve, reject) => {
      client.metadata.getTrace(id, (err, t) => (err ? reject(err) : resolve(t!)));
    });
    checkTrace(viaCb);
    const viaCbCl = await new Promise<QueryTrace>((resolve, reject) => {
      client.metadata.getTrace(id, shardcql.types.consistencies.one, (err, t) => (err ? reject(err) : resolve(t!)));
    });
    expect(viaCbCl.events.length).toBe(viaCb.events.length);
    checkTrace(await client.metadata.getTrace(id, shardcql.types.consistencies.localOne));
  });

  it('without traceQuery there is no trace id; an unknown id fails after the retries', async () => {
    const rs = await client.execute(`SELECT * FROM ${KS}.kv WHERE k = 1`);
    expect(rs.info.traceId).toBeNull();
    const started = Date.now();
    await expect(client.metadata.getTrace(shardcql.types.Uuid.random())).rejects.toThrow(/could not fully retrieved/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    await expect(client.metadata.getTrace(null as never)).rejects.toBeInstanceOf(shardcql.errors.ArgumentError);
  });
});
