/**
 * Request features against the real Cassandra: server warnings, execution profiles (consistency and
 * readTimeout), executeConcurrent of 100,000 inserts, custom payloads, client timestamps, serial
 * consistency, the request tracker, the mapper end to end, and bad input (compression, profile, sslOptions,
 * metadata of a missing keyspace).
 *
 * Each test owns its rows: its own table, or its own keys in `kv`, written by itself or its own beforeAll, so
 * no test reads what another left. Bulk writes and their read-back go through a sturdy client (helpers/
 * busy-server.ts) that retries the overload answers of a slow server, and every row is then checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ExecutionProfile, concurrent, errors, mapping, policies, tracker, types } from '../src/index';
import { localDataCenter } from './helpers/local-dc';
import { ddl, sturdyClient, type Retried } from './helpers/busy-server';
import { ownKeyspace } from './helpers/own-keyspace';

const KS = ownKeyspace('feat_requests');
const { consistencies } = types;

let dc = '';
let client: Client;
/** Bulk writes and their checks (idempotent, overload answers retried); `client` keeps the default policies. */
let sturdy: Client;
let retried: Retried;
const events: Array<[string, string]> = [];
const logger = new tracker.RequestLogger({ logNormalRequests: false, logErroredRequests: true, slowThreshold: 60_000 });
for (const name of ['slow', 'large', 'normal', 'failure']) logger.emitter.on(name, (m: string) => events.push([name, m]));

/** Unavailable as a ResponseError, or inside the NoHostAvailableError the retry policy's next-host retry ends in. */
function unavailableOf(err: unknown): errors.ResponseError | null {
  if (err instanceof errors.ResponseError) return err.code === types.responseErrorCodes.unavailableException ? err : null;
  if (err instanceof errors.NoHostAvailableError) {
    for (const inner of Object.values(err.innerErrors)) {
      const u = unavailableOf(inner);
      if (u !== null) return u;
    }
  }
  return null;
}

beforeAll(async () => {
  dc = await localDataCenter();
  client = new Client({
    contactPoints: ['127.0.0.1'],
    localDataCenter: dc,
    shardcql: { workers: 1 },
    requestTracker: logger,
    profiles: [
      new ExecutionProfile('all', { consistency: consistencies.all }),
      new ExecutionProfile('three', { consistency: consistencies.three, retry: new policies.retry.FallthroughRetryPolicy() }),
      new ExecutionProfile('threeDefaultRetry', { consistency: consistencies.three }),
      new ExecutionProfile('tiny', { readTimeout: 1 }),
      new ExecutionProfile('patient', { readTimeout: 60_000 }),
    ],
  });
  ({ client: sturdy, retried } = sturdyClient({ contactPoints: ['127.0.0.1'], localDataCenter: dc, shardcql: { workers: 1 } }));
  await Promise.all([client.connect(), sturdy.connect()]);
  await ddl(client, `DROP KEYSPACE IF EXISTS ${KS}`);
  await ddl(client, `CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await ddl(client, `CREATE TABLE IF NOT EXISTS ${KS}.kv (k int PRIMARY KEY, v text)`);
});

afterAll(async () => {
  await client?.execute(`DROP KEYSPACE IF EXISTS ${KS}`, [], { readTimeout: 120_000 }).catch(() => undefined);
  await Promise.all([client?.shutdown(), sturdy?.shutdown()]);
});

/** `n` rows (p = i % partitions, c = i, v = 2i) into a table of the test's own, every one written or the test fails. */
async function fill(table: string, n: number, partitions: number, concurrencyLevel: number): Promise<void> {
  await ddl(client, `CREATE TABLE IF NOT EXISTS ${KS}.${table} (p int, c int, v int, PRIMARY KEY (p, c))`);
  const params: unknown[][] = new Array(n);
  for (let i = 0; i < n; i++) params[i] = [i % partitions, i, i * 2];
  const result = await concurrent.executeConcurrent(sturdy, `INSERT INTO ${KS}.${table} (p, c, v) VALUES (?, ?, ?)`, params, {
    concurrencyLevel,
  });
  expect(result.totalExecuted).toBe(n);
  expect(result.errors).toEqual([]);
}

/** Reads every partition of `table` back: exactly the rows `fill` wrote, each with its value. */
async function expectFilled(table: string, n: number, partitions: number): Promise<void> {
  const ps = Array.from({ length: partitions }, (_, p) => [p]);
  const group = await concurrent.executeConcurrent(sturdy, `SELECT c, v FROM ${KS}.${table} WHERE p = ?`, ps, {
    concurrencyLevel: 8,
    collectResults: true,
  });
  expect(group.errors).toEqual([]);
  let rows = 0;
  group.resultItems.forEach((rs, p) => {
    if (rs instanceof Error) throw rs;
    // One page each (the default fetchSize, 5000, is above a partition's rows): a short page would mean a lost row.
    expect(rs.pageState).toBeNull();
    const cs = rs.rows.map((r) => r['c'] as number);
    const expected: number[] = [];
    for (let c = p; c < n; c += partitions) expected.push(c);
    expect(cs).toEqual(expected);
    for (const r of rs.rows) expect(r['v']).toBe((r['c'] as number) * 2);
    rows += rs.rowLength;
  });
  expect(rows).toBe(n);
}

describe('request features against Cassandra', () => {
  it('server warnings reach result.info.warnings (unlogged batch across partitions)', async () => {
    const big = 'x'.repeat(1024);
    const queries = Array.from({ length: 30 }, (_, i) => ({ query: `INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`, params: [1000 + i, big] }));
    const rs = await client.batch(queries, { prepare: true, logged: false });
    expect(Array.isArray(rs.info.warnings)).toBe(true);
    expect(rs.info.warnings!.join('\n')).toMatch(/[Bb]atch/);
    // No warning on a plain write.
    const plain = await client.execute(`INSERT INTO ${KS}.kv (k, v) VALUES (1100, 'a')`);
    expect(plain.info.warnings).toBeNull();
  });

  it('execution profiles set the consistency: ALL works on RF 1, THREE is Unavailable', async () => {
    await client.execute(`INSERT INTO ${KS}.kv (k, v) VALUES (2000, 'a')`);
    const ok = await client.execute(`SELECT v FROM ${KS}.kv WHERE k = 2000`, [], { executionProfile: 'all' });
    expect(ok.info.achievedConsistency).toBe(consistencies.all);
    expect(ok.first()!['v']).toBe('a');
    const err = await client.execute(`SELECT v FROM ${KS}.kv WHERE k = 2000`, [], { executionProfile: 'three' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    const u = unavailableOf(err)!;
    expect(u).not.toBeNull();
    expect(u.consistencies).toBe(consistencies.three);
    expect(u.required).toBe(3);
    expect(u.alive).toBe(1);
    // The default retry policy retries Unavailable once on another host; with one node that ends the plan.
    const err2 = await client
      .execute(`SELECT v FROM ${KS}.kv WHERE k = 2000`, [], { executionProfile: 'threeDefaultRetry', prepare: true })
      .catch((e: unknown) => e);
    expect(unavailableOf(err2)).not.toBeNull();
    // A query option wins over the profile.
    const own = await client.execute(`SELECT v FROM ${KS}.kv WHERE k = 2000`, [], {
      executionProfile: 'three',
      consistency: consistencies.one,
    });
    expect(own.info.achievedConsistency).toBe(consistencies.one);
    // The profile object itself works too.
    const byObject = await client.execute(`SELECT v FROM ${KS}.kv WHERE k = 2000`, [], {
      executionProfile: client.profileManager.getProfile('all'),
    });
    expect(byObject.info.achievedConsistency).toBe(consistencies.all);
  });

  describe('a table of 100,000 rows written by executeConcurrent', () => {
    const n = 100_000;
    beforeAll(async () => {
      const before = { ...retried };
      const started = Date.now();
      // 512 at a time: a busy node answers some with WriteTimeout or Overloaded; the sturdy client retries those
      // (same row, same client timestamp) and the first test below checks that every row landed, with its value.
      await fill('many', n, 100, 512);
      const ms = Date.now() - started;
      console.log(
        `executeConcurrent: ${n} inserts in ${ms} ms (${Math.round(n / (ms / 1000))}/s); retried: ${retried.writeTimeout - before.writeTimeout} write timeouts, ` +
          `${retried.requestError - before.requestError} overloaded/client timeouts`,
      );
    }, 300_000);

    it('executeConcurrent inserted 100,000 rows; they are all there', async () => {
      await expectFilled('many', n, 100);
      // One partition read back by paging: 1,000 rows with their values.
      let rows = 0;
      for await (const row of await client.execute(`SELECT c, v FROM ${KS}.many WHERE p = 7`, [], { prepare: true, fetchSize: 300 })) {
        expect(row['v']).toBe((row['c'] as number) * 2);
        rows++;
      }
      expect(rows).toBe(1000);
    });

    it('a tiny readTimeout in a profile fails a slow query with OperationTimedOutError; a patient one succeeds', async () => {
      // The slow query: COUNT(*) over the 100,000 rows, a range scan that takes the node far longer than 1 ms,
      // and than any scheduling delay of a busy machine (with 10,000 rows a starved client saw the answer first).
      await client.execute(`INSERT INTO ${KS}.kv (k, v) VALUES (2100, 'after')`);
      const q = `SELECT COUNT(*) FROM ${KS}.many`;
      const err = await client.execute(q, [], { executionProfile: 'tiny' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(errors.OperationTimedOutError);
      const ok = await client.execute(q, [], { executionProfile: 'patient' });
      expect(Number(ok.first()!['count'])).toBe(n);
      // The connection is still usable after the timed-out request's late answer.
      const again = await client.execute(`SELECT v FROM ${KS}.kv WHERE k = 2100`);
      expect(again.first()!['v']).toBe('after');
    });
  });

  it('executeConcurrent from a Readable, and with errors collected instead of raised', async () => {
    const { Readable } = await import('node:stream');
    await ddl(client, `CREATE TABLE IF NOT EXISTS ${KS}.streamed (p int, c int, v int, PRIMARY KEY (p, c))`);
    const n = 5000;
    let i = 0;
    const stream = new Readable({
      objectMode: true,
      read() {
        this.push(i < n ? [i % 10, i, 2 * i++] : null);
      },
    });
    const fromStream = await concurrent.executeConcurrent(sturdy, `INSERT INTO ${KS}.streamed (p, c, v) VALUES (?, ?, ?)`, stream, {
      concurrencyLevel: 64,
    });
    expect(fromStream.totalExecuted).toBe(n);
    expect(fromStream.errors).toEqual([]);
    await expectFilled('streamed', n, 10);
    // Every third parameter set is invalid (a text where an int goes): collected, not raised.
    await ddl(client, `CREATE TABLE IF NOT EXISTS ${KS}.collected (p int, c int, v int, PRIMARY KEY (p, c))`);
    const insert = `INSERT INTO ${KS}.collected (p, c, v) VALUES (?, ?, ?)`;
    const params = Array.from({ length: 30 }, (_, k) => [0, k % 3 === 0 ? 'bad' : k, 0]);
    const group = await concurrent.executeConcurrent(sturdy, insert, params, {
      raiseOnFirstError: false,
      collectResults: true,
      maxErrors: 5,
    });
    expect(group.totalExecuted).toBe(30);
    expect(group.errors.length).toBe(5);
    expect(group.resultItems.filter((r) => r instanceof Error).length).toBe(10);
    const written = await sturdy.execute(`SELECT c FROM ${KS}.collected WHERE p = 0`);
    expect(written.rows.map((r) => r['c'])).toEqual(Array.from({ length: 30 }, (_, k) => k).filter((k) => k % 3 !== 0));
    await expect(concurrent.executeConcurrent(sturdy, insert, params)).rejects.toThrow();
  });

  it('customPayload is sent (accepted by the node); result.info.customPayload is null or a map of Buffers', async () => {
    const payload = { 'feat-key': Buffer.from('value'), other: Buffer.from([1, 2, 3]) };
    await client.execute(`INSERT INTO ${KS}.kv (k, v) VALUES (3000, 'a')`, [], { customPayload: payload });
    for (const prepare of [false, true]) {
      const rs = await client.execute(`SELECT v FROM ${KS}.kv WHERE k = ?`, [3000], { prepare, hints: ['int'], customPayload: payload });
      expect(rs.first()!['v']).toBe('a');
      const cp = rs.info.customPayload;
      if (cp !== null) {
        expect(typeof cp).toBe('object');
        for (const v of Object.values(cp)) expect(v === null || Buffer.isBuffer(v)).toBe(true);
      }
    }
    const b = await client.batch([{ query: `INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`, params: [3001, 'b'] }], {
      prepare: true,
      customPayload: payload,
    });
    expect(b.info.customPayload === null || typeof b.info.customPayload === 'object').toBe(true);
  });

  it('the timestamp option is the cell WRITETIME (simple, prepared, batch)', async () => {
    const base = 1_600_000_000_000_000;
    await client.execute(`INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`, [10, 'simple'], { hints: ['int', 'text'], timestamp: base + 1 });
    await client.execute(`INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`, [11, 'prepared'], {
      prepare: true,
      timestamp: types.Long.fromNumber(base + 2),
    });
    await client.batch([{ query: `INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`, params: [12, 'batch'] }], {
      prepare: true,
      timestamp: base + 3,
    });
    for (const [k, ts] of [
      [10, base + 1],
      [11, base + 2],
      [12, base + 3],
    ] as const) {
      const rs = await client.execute(`SELECT WRITETIME(v) AS wt FROM ${KS}.kv WHERE k = ?`, [k], { prepare: true });
      expect(String(rs.first()!['wt'])).toBe(String(ts));
    }
  });

  it('serialConsistency is sent with an LWT (LOCAL_SERIAL and SERIAL apply; ONE is refused by the node)', async () => {
    const q = `INSERT INTO ${KS}.kv (k, v) VALUES (?, ?) IF NOT EXISTS`;
    const r1 = await client.execute(q, [20, 'lwt'], { prepare: true, serialConsistency: consistencies.localSerial });
    expect(r1.wasApplied()).toBe(true);
    const r2 = await client.execute(q, [20, 'again'], { prepare: true, serialConsistency: consistencies.serial });
    expect(r2.wasApplied()).toBe(false);
    expect(r2.first()!['v']).toBe('lwt');
    const bad = await client.execute(q, [21, 'x'], { prepare: true, serialConsistency: consistencies.one }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(errors.ResponseError);
    expect((bad as errors.ResponseError).message).toMatch(/SERIAL/);
  });

  it('the request tracker sees successes and errors of execute and batch', async () => {
    const seen: string[] = [];
    class Counting extends tracker.RequestTracker {
      override onSuccess(
        host: { address: string },
        query: unknown,
        params: unknown,
        eo: unknown,
        reqLen: number,
        resLen: number,
        latency: [number, number],
      ): void {
        expect(host.address).toMatch(/:9042$/);
        expect(reqLen).toBeGreaterThan(9);
        expect(resLen).toBeGreaterThan(0);
        expect(latency[0] * 1e9 + latency[1]).toBeGreaterThan(0);
        seen.push(
          `ok:${Array.isArray(query) ? `batch${query.length}:${JSON.stringify(query[0].params)}` : String(query)}:${JSON.stringify(params)}`,
        );
      }
      override onError(host: { address: string }, query: unknown, params: unknown, eo: unknown, reqLen: number, err: Error): void {
        seen.push(`err:${String(query)}:${err.name}`);
      }
    }
    const counting = new Counting();
    const c2 = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: dc, shardcql: { workers: 1 }, requestTracker: counting });
    await client.execute(`INSERT INTO ${KS}.kv (k, v) VALUES (3100, 'tracked')`);
    try {
      await c2.execute(`SELECT v FROM ${KS}.kv WHERE k = ?`, [3100], { prepare: true });
      await c2.batch([{ query: `INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`, params: [30, 'z'] }], { prepare: true });
      await c2.execute('SELECT * FROM feat_no_such_table').catch(() => undefined);
      expect(seen).toContain(`ok:SELECT v FROM ${KS}.kv WHERE k = ?:[3100]`);
      expect(seen).toContain('ok:batch1:[30,"z"]:undefined');
      expect(seen).toContain('err:SELECT * FROM feat_no_such_table:ResponseError');
    } finally {
      await c2.shutdown();
    }
    // The RequestLogger of the shared client logs a failure of its own client.
    const logged = events.length;
    await client.execute('SELECT * FROM feat_no_such_table').catch(() => undefined);
    expect(events.slice(logged).some(([name, m]) => name === 'failure' && /Request execution failed/.test(m))).toBe(true);
  });
});

describe('mapper end to end', () => {
  const { Mapper, q, UnderscoreCqlToCamelCaseMappings } = mapping;

  /** The models over tables of the calling test's own (`users_<own>`, ...): findAll sees only that test's rows. */
  async function ownMapper(own: string): Promise<InstanceType<typeof Mapper>> {
    await ddl(
      client,
      `CREATE TABLE IF NOT EXISTS ${KS}.users_${own} (user_id uuid PRIMARY KEY, name text, email_address text, tags list<text>)`,
    );
    await ddl(
      client,
      `CREATE TABLE IF NOT EXISTS ${KS}.users_by_email_${own} (email_address text, user_id uuid, name text, tags list<text>, PRIMARY KEY (email_address, user_id))`,
    );
    await ddl(
      client,
      `CREATE TABLE IF NOT EXISTS ${KS}.videos_${own} (user_id uuid, added timestamp, video_id timeuuid, title text, PRIMARY KEY (user_id, added, video_id)) WITH CLUSTERING ORDER BY (added DESC, video_id ASC)`,
    );
    return new Mapper(client, {
      models: {
        User: { tables: [`users_${own}`, `users_by_email_${own}`], keyspace: KS, mappings: new UnderscoreCqlToCamelCaseMappings() },
        Video: { tables: [`videos_${own}`], keyspace: KS, mappings: new UnderscoreCqlToCamelCaseMappings(), columns: { title: 'name' } },
      },
    });
  }

  it('insert (both tables), get, find, update, remove, mapWithQuery', async () => {
    const mapper = await ownMapper('crud');
    const users = mapper.forModel<{ userId: types.Uuid; name: string; emailAddress: string; tags: string[] | null }>('User');
    const userId = types.Uuid.random();
    await users.insert({ userId, name: 'Ann', emailAddress: 'ann@x.org', tags: ['a'] });
    const got = await users.get({ userId });
    expect(got).not.toBeNull();
    expect(got!.name).toBe('Ann');
    expect(got!.emailAddress).toBe('ann@x.org');
    expect(String(got!.userId)).toBe(String(userId));
    const byEmail = await users.find({ emailAddress: 'ann@x.org' });
    expect(byEmail.toArray().map((u) => u.name)).toEqual(['Ann']);

    const updated = await users.update({ userId, emailAddress: 'ann@x.org', tags: q.append(['b']) });
    expect(updated.wasApplied()).toBe(true);
    expect(await users.get({ userId }, { fields: ['tags'] })).toEqual({ tags: ['a', 'b'] });
    const notApplied = await users.update({ userId, name: 'Bea' }, { when: { name: 'Nobody' } });
    expect(notApplied.wasApplied()).toBe(false);
    expect(notApplied.first()).toEqual({ name: 'Ann' });
    const applied = await users.update({ userId, name: 'Bea' }, { when: { name: 'Ann' } });
    expect(applied.wasApplied()).toBe(true);
    expect((await users.get({ userId }))!.name).toBe('Bea');
    const ins = await users.insert({ userId, name: 'Dup' }, { ifNotExists: true });
    expect(ins.wasApplied()).toBe(false);

    const videos = mapper.forModel('Video');
    const day = 86_400_000;
    for (let i = 0; i < 5; i++) {
      await videos.insert({ userId, added: new Date(i * day), videoId: types.TimeUuid.now(), name: `v${i}` }, { ttl: 3600 });
    }
    const latest = await videos.find({ userId }, { limit: 2 });
    expect(latest.toArray().map((v) => v['name'])).toEqual(['v4', 'v3']);
    const range = await videos.find({ userId, added: q.and(q.gte(new Date(day)), q.lt(new Date(3 * day))) }, { orderBy: { added: 'asc' } });
    expect(range.toArray().map((v) => v['name'])).toEqual(['v1', 'v2']);
    const all = await videos.findAll({ fields: ['name'] }, { fetchSize: 100 });
    expect(all.length).toBe(5);
    // Manual paging through the mapper: pageState of one page is the option of the next.
    const page1 = await videos.find({ userId }, { fields: ['name'] }, { fetchSize: 3 });
    expect(page1.length).toBe(3);
    expect(typeof page1.pageState).toBe('string');
    const page2 = await videos.find({ userId }, { fields: ['name'] }, { fetchSize: 3, pageState: page1.pageState });
    expect(page2.toArray().map((v) => v['name'])).toEqual(['v1', 'v0']);

    const titles = videos.mapWithQuery(`SELECT title, added FROM ${KS}.videos_crud WHERE user_id = ? LIMIT 1`, (doc) => [doc['userId']]);
    const first = (await titles({ userId })).first()!;
    expect(first['name']).toBe('v4');
    expect(first['added']).toBeInstanceOf(Date);

    const v0 = (await videos.find({ userId, added: new Date(0) })).first()!;
    await videos.remove({ userId, added: v0['added'], videoId: v0['videoId'] });
    expect((await videos.find({ userId })).length).toBe(4);
    const removed = await users.remove({ userId, emailAddress: 'ann@x.org' }, { ifExists: true }).catch((e: Error) => e);
    // Two tables with a condition cannot be one statement.
    expect(removed).toBeInstanceOf(errors.ArgumentError);
    await users.remove({ userId, emailAddress: 'ann@x.org' });
    expect(await users.get({ userId })).toBeNull();
    expect((await users.find({ emailAddress: 'ann@x.org' })).toArray()).toEqual([]);
  });

  it('mapper.batch writes several models in one logged batch', async () => {
    const mapper = await ownMapper('batch');
    const users = mapper.forModel('User');
    const videos = mapper.forModel('Video');
    const userId = types.Uuid.random();
    const videoId = types.TimeUuid.now();
    const added = new Date(1_000_000);
    const rs = await mapper.batch([
      users.batching.insert({ userId, name: 'Batch', emailAddress: 'b@x.org' }),
      videos.batching.insert({ userId, added, videoId, name: 'first' }),
      videos.batching.update({ userId, added, videoId, name: 'renamed' }),
    ]);
    expect(rs.wasApplied()).toBe(true);
    expect((await users.get({ userId }))!.name).toBe('Batch');
    expect((await users.find({ emailAddress: 'b@x.org' })).first()!.name).toBe('Batch');
    expect((await videos.get({ userId, added, videoId }))!['name']).toBe('renamed');
  });

  it('a table that does not exist is an error from the call, not a crash', async () => {
    const ghost = new Mapper(client, { models: { Ghost: { tables: ['feat_ghost'], keyspace: KS } } }).forModel('Ghost');
    await expect(ghost.get({ id: 1 })).rejects.toThrow();
    await expect(ghost.insert({ id: 1 })).rejects.toThrow();
  });
});

describe('bad input', () => {
  it('the top-level compression option (as shardcql.compression) round-trips with lz4', async () => {
    const lz4 = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: dc, shardcql: { workers: 1 }, compression: 'lz4' });
    try {
      const rs = await lz4.execute('SELECT key, release_version FROM system.local');
      expect(rs.first()!['key']).toBe('local');
    } finally {
      await lz4.shutdown();
    }
  });

  it('an unknown compression name is a TypeError at construction', () => {
    expect(() => new Client({ contactPoints: ['127.0.0.1'], localDataCenter: dc, compression: 'zstd' as never })).toThrow(TypeError);
    expect(() => new Client({ contactPoints: ['127.0.0.1'], localDataCenter: dc, shardcql: { compression: 'gzip' as never } })).toThrow(
      TypeError,
    );
  });

  it('an unknown profile name is an ArgumentError (execute, batch, executeConcurrent, mapper)', async () => {
    await expect(client.execute('SELECT now() FROM system.local', [], { executionProfile: 'nope' })).rejects.toThrow(errors.ArgumentError);
    await expect(client.batch([`INSERT INTO ${KS}.kv (k, v) VALUES (40, 'x')`], { executionProfile: 'nope' })).rejects.toThrow(
      errors.ArgumentError,
    );
    await expect(
      concurrent.executeConcurrent(client, `INSERT INTO ${KS}.kv (k, v) VALUES (?, ?)`, [[41, 'x']], { executionProfile: 'nope' }),
    ).rejects.toThrow(errors.ArgumentError);
    const m = new mapping.Mapper(client, { models: { Kv: { tables: ['kv'], keyspace: KS } } }).forModel('Kv');
    await expect(m.get({ k: 1 }, null, 'nope')).rejects.toThrow(errors.ArgumentError);
  });

  it('bad sslOptions against a node without TLS: connect rejects with a typed error; the process and workers live on', async () => {
    // A ca Node ignores (then the handshake fails), a key and cert that tls.createSecureContext throws on, a TLS hello to a plain port.
    for (const sslOptions of [{ ca: 'this is not a PEM' }, { key: 'not a key', cert: 'not a cert' }, { rejectUnauthorized: true }]) {
      const bad = new Client({
        contactPoints: ['127.0.0.1'],
        localDataCenter: dc,
        shardcql: { workers: 1 },
        sslOptions,
        socketOptions: { connectTimeout: 3000 },
      });
      const err = await bad.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(errors.DriverError);
      console.log(`sslOptions ${JSON.stringify(sslOptions)}: ${(err as Error).name}: ${(err as Error).message}`);
      await bad.shutdown();
    }
    // Nothing crashed: the shared client still works, and a new client connects.
    expect((await client.execute('SELECT key FROM system.local')).rowLength).toBe(1);
    const fresh = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: dc, shardcql: { workers: 1 } });
    try {
      expect((await fresh.execute('SELECT key FROM system.local')).rowLength).toBe(1);
    } finally {
      await fresh.shutdown();
    }
  });

  it('metadata of a keyspace that does not exist is null', async () => {
    const md = client.metadata as unknown as Record<string, unknown>;
    if (typeof md['getTable'] !== 'function') return;
    const get = md['getTable'] as (ks: string, t: string) => Promise<unknown>;
    expect(await get.call(md, 'feat_no_such_keyspace', 'kv')).toBeNull();
    expect(await get.call(md, KS, 'no_such_table')).toBeNull();
  });
});
