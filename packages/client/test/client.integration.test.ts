/**
 * Client against the real Cassandra at 127.0.0.1:9042, with one shard worker (workers: 1) and
 * with two (workers: 2): execute, prepared statements under concurrency, paging, batches, events, shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, errors, types } from '../src/index';
import { localDataCenter } from './helpers/local-dc';
import { BusyServerRetryPolicy, ddl } from './helpers/busy-server';
import { dropKeyspaces, ownKeyspace } from './helpers/own-keyspace';

const KS = ownKeyspace('h8_client');
let dc = '';
beforeAll(async () => {
  dc = await localDataCenter();
});

describe.each([1, 2])('Client integration (workers: %i)', (workers) => {
  let client: Client;
  const ks = `${KS}_${workers}`;

  beforeAll(async () => {
    client = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: dc, shardcql: { workers } });
    await client.connect();
    await ddl(client, `DROP KEYSPACE IF EXISTS ${ks}`);
    await ddl(client, `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  });

  // Writes and their checks may meet a busy node's WriteTimeout or Overloaded: resent (same row, same
  // timestamp) a bounded number of times, so that every row is there and the checks below stay exact.
  const sturdy = { prepare: true, isIdempotent: true, retry: new BusyServerRetryPolicy() };

  /** Rows k = 0..n-1 (v1 = 2k, v2 = 'v<k>') into a table of the calling test's own, all at once. */
  async function fill(table: string, n: number): Promise<void> {
    await ddl(client, `CREATE TABLE IF NOT EXISTS ${ks}.${table} (k bigint PRIMARY KEY, v1 bigint, v2 text)`);
    const ins = `INSERT INTO ${ks}.${table} (k, v1, v2) VALUES (?, ?, ?)`;
    await Promise.all(
      Array.from({ length: n }, (_, i) => client.execute(ins, [types.Long.fromInt(i), types.Long.fromInt(2 * i), `v${i}`], sturdy)),
    );
  }

  afterAll(async () => {
    if (client) await dropKeyspaces([ks], client);
    await client?.shutdown();
  });

  it('knows its host and the keyspaces', async () => {
    expect(client.hosts.length).toBeGreaterThanOrEqual(1);
    const h = client.hosts.values()[0]!;
    expect(h.address).toMatch(/:9042$/);
    expect(h.isUp()).toBe(true);
    const rs = await client.execute('SELECT release_version FROM system.local');
    expect(String(rs.first()!['release_version'])).toMatch(/^5\./);
    expect(rs.info.queriedHost).toBe(h.address);
    await client.metadata.refreshKeyspaces();
    expect(client.metadata.keyspaces[ks]).toBeDefined();
  });

  it('runs 2000 concurrent prepared inserts and reads them back with the right values', async () => {
    const n = 2000;
    await fill('kv', n);
    const sel = `SELECT v1, v2 FROM ${ks}.kv WHERE k = ?`;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => client.execute(sel, [types.Long.fromInt(i)], sturdy)));
    results.forEach((rs, i) => {
      expect(String(rs.first()!['v1'])).toBe(String(2 * i));
      expect(rs.first()!['v2']).toBe(`v${i}`);
    });
    const count = await client.execute(`SELECT count(*) FROM ${ks}.kv`, [], sturdy);
    expect(String(count.first()!['count'])).toBe(String(n));
  });

  it('pages 2000 rows with fetchSize 300 (for await) and through eachRow', async () => {
    await fill('paged', 2000);
    const every = Array.from({ length: 2000 }, (_, i) => String(i));
    const rs = await client.execute(`SELECT k FROM ${ks}.paged`, [], { fetchSize: 300 });
    expect(rs.rowLength).toBe(300);
    const keys: string[] = [];
    for await (const row of rs) keys.push(String(row['k']));
    expect(keys.sort()).toEqual([...every].sort());
    const seen = await new Promise<string[]>((resolve, reject) => {
      const c: string[] = [];
      client.eachRow(
        `SELECT k FROM ${ks}.paged`,
        [],
        { fetchSize: 300, autoPage: true },
        (_n, row) => c.push(String(row['k'])),
        (err) => (err ? reject(err) : resolve(c)),
      );
    });
    expect(seen.sort()).toEqual([...every].sort());
  });

  it('fails with ResponseError for a syntax error and carries the code', async () => {
    const err = (await client.execute('SELEC 1').catch((e: unknown) => e)) as InstanceType<typeof errors.ResponseError>;
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect(err.code).toBe(types.responseErrorCodes.syntaxError);
  });

  it('times out with OperationTimedOutError on a tiny readTimeout, and keeps working afterwards', async () => {
    const err = await client
      .execute('SELECT * FROM system_schema.columns', [], { readTimeout: 1, fetchSize: 500 })
      .catch((e: unknown) => e);
    // 1 ms may or may not be enough for the server; either outcome is typed.
    if (err instanceof Error) expect(err).toBeInstanceOf(errors.OperationTimedOutError);
    const rs = await client.execute('SELECT release_version FROM system.local');
    expect(rs.rowLength).toBe(1);
  });
});

describe('Client lifecycle', () => {
  it('settles every pending request on shutdown and rejects later ones', async () => {
    const client = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: dc, shardcql: { workers: 1 } });
    await client.connect();
    const pending = Array.from({ length: 500 }, () =>
      client.execute('SELECT release_version FROM system.local').then(
        () => 'ok',
        (e: Error) => e.name,
      ),
    );
    await client.shutdown();
    const outcomes = await Promise.all(pending);
    expect(outcomes).toHaveLength(500);
    await expect(client.execute('SELECT 1 FROM system.local')).rejects.toBeInstanceOf(errors.NoHostAvailableError);
  });

  it('fails to connect to a keyspace that does not exist with the server error', async () => {
    const client = new Client({
      contactPoints: ['127.0.0.1'],
      localDataCenter: dc,
      keyspace: 'h8_no_such_keyspace',
      shardcql: { workers: 1 },
    });
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    await client.shutdown();
  });
});
