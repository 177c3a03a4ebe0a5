import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { Client } from '@shardcql/client';
import { localDataCenter } from './helpers/local-dc';
import { ddl } from './helpers/busy-server';
import { dropKeyspaces, ownKeyspace } from './helpers/own-keyspace';

const KS = ownKeyspace('shardcql_piscina');

describe('a client handle used from a piscina pool', () => {
  let client: Client;
  let pool: Piscina;

  beforeAll(async () => {
    client = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: await localDataCenter(), shardcql: { workers: 2 } });
    await client.connect();
    // A fresh table: the count below is of this run's rows only (dropped and made again, which a busy node
    // does within the patient DDL timeout, where TRUNCATE's flush could outlast the default one).
    await ddl(client, `CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await ddl(client, `DROP TABLE IF EXISTS ${KS}.t`);
    await ddl(client, `CREATE TABLE IF NOT EXISTS ${KS}.t (pk bigint PRIMARY KEY, v text)`);
    pool = new Piscina({
      filename: join(__dirname, 'fixtures', 'piscina-task.cjs'),
      minThreads: 2,
      maxThreads: 2,
      execArgv: ['--conditions=source'],
    });
  });

  afterAll(async () => {
    await pool?.destroy();
    if (client) await dropKeyspaces([KS], client);
    await client?.shutdown();
  });

  it("writes and reads through the owner's shard workers from several pool threads", async () => {
    const handle = await client.createHandle();
    const tasks = Array.from({ length: 8 }, (_, i) => pool.run({ handle, keyspace: KS, from: i * 500, count: 500 }));
    const results = (await Promise.all(tasks)) as Array<{ inserted: number; readBack: number; mismatches: number; threadId: number }>;
    expect(results.reduce((a, r) => a + r.inserted, 0)).toBe(4000);
    expect(results.reduce((a, r) => a + r.readBack, 0)).toBe(4000);
    expect(results.every((r) => r.mismatches === 0)).toBe(true);
    // The pool's threads did the work, not this one.
    expect(new Set(results.map((r) => r.threadId)).size).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.threadId !== 0)).toBe(true);
    // And the owner sees every row.
    const count = await client.execute(`SELECT count(*) FROM ${KS}.t`, [], { readTimeout: 60_000 });
    expect(Number(count.first()!['count'])).toBe(4000);
  });

  it('gets back the requesters of pool threads that piscina terminates (destroy), without a word from them', async () => {
    const engine = (client as unknown as { engine: { handleThreadCount: number } }).engine;
    const own = new Piscina({
      filename: join(__dirname, 'fixtures', 'piscina-task.cjs'),
      minThreads: 2,
      maxThreads: 2,
      execArgv: ['--conditions=source'],
    });
    const handle = await client.createHandle();
    const base = engine.handleThreadCount;
    await Promise.all(Array.from({ length: 4 }, (_, i) => own.run({ handle, keyspace: KS, from: 100_000 + i * 10, count: 10 })));
    expect(engine.handleThreadCount).toBeGreaterThan(base);
    await own.destroy();
    // The owner probes every 2 s; a terminated thread is found gone by the second probe at the latest.
    const deadline = Date.now() + 15_000;
    while (engine.handleThreadCount > base && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(engine.handleThreadCount).toBe(base);
  });

  it('rejects a value that is not a handle with a typed error', () => {
    expect(() => Client.fromHandle({} as never)).toThrow(/createHandle/);
  });
});
