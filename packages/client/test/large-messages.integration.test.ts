// Answers and requests of any size the server accepts, against a real Cassandra: a default page of several MB
// and a 10 MB blob written and read back, through the main thread's rings and through a client handle thread,
// while small requests run beside them and every value is checked. Own keyspace, own tables: no other test's rows.
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@shardcql/client';
import { localDataCenter } from './helpers/local-dc';
import { blobOf, cassandraLoad, readWidePage, WIDE_ROWS, WIDE_VALUE_BYTES, setupLargeTables } from './fixtures/large-cassandra';

const KS = 'shardcql_large';
const THREAD = resolve(__dirname, 'fixtures/large-cassandra-thread.ts');

describe('answers and requests of several MB against Cassandra, under load', () => {
  let client: Client;

  beforeAll(async () => {
    // directLane 0: every request goes through the rings, as under load.
    client = new Client({
      contactPoints: ['127.0.0.1'],
      localDataCenter: await localDataCenter(),
      socketOptions: { readTimeout: 60_000 },
      shardcql: { workers: 2, directLane: 0 },
    });
    await client.connect();
    await setupLargeTables(client, KS);
  }, 180_000);

  afterAll(async () => {
    await client?.shutdown();
  });

  it(`reads a default page (fetchSize 5000) of ${WIDE_ROWS} rows of ${WIDE_VALUE_BYTES} bytes (~5 MB) with 200 small requests beside it`, async () => {
    const load = cassandraLoad(client, KS, 0, 200);
    const page = await readWidePage(client, KS);
    expect(page).toEqual({ rows: WIDE_ROWS, wrong: 0 });
    expect(await load).toEqual({ done: 200, wrong: 0, failed: [] });
  }, 120_000);

  it('writes a 10 MB blob and reads it back, with 200 small requests beside it', async () => {
    const blob = blobOf(11, 10 * 1024 * 1024);
    const load = cassandraLoad(client, KS, 1000, 200);
    await client.execute(`INSERT INTO ${KS}.big (pk, v) VALUES (?, ?)`, [1, blob], { prepare: true });
    const rs = await client.execute(`SELECT v FROM ${KS}.big WHERE pk = ?`, [1], { prepare: true });
    expect(Buffer.compare(rs.first()!['v'] as Buffer, blob)).toBe(0);
    expect(await load).toEqual({ done: 200, wrong: 0, failed: [] });
  }, 120_000);

  it('does both through a client handle thread, with small requests in that thread and in this one', async () => {
    const handle = await client.createHandle({ threads: 1 });
    const worker = new Worker(`require("tsx/cjs/api").register(); require(${JSON.stringify(THREAD)});`, {
      eval: true,
      execArgv: ['--conditions=source'],
      workerData: { handle, keyspace: KS },
    });
    const here = cassandraLoad(client, KS, 3000, 200);
    const result = await new Promise<Record<string, unknown>>((res, rej) => {
      worker.once('message', res);
      worker.once('error', rej);
    });
    await worker.terminate();
    expect(result).toEqual({ page: { rows: WIDE_ROWS, wrong: 0 }, blobOk: true, small: { done: 200, wrong: 0, failed: [] } });
    expect(await here).toEqual({ done: 200, wrong: 0, failed: [] });
  }, 180_000);
});
