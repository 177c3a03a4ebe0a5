/**
 * Differential test of failures: every error a user can provoke, provoked the same way with `cassandra-driver`
 * 4.10 and with shardcql against the real Cassandra at 127.0.0.1:9042 (and local sockets that refuse, close or
 * never answer). Compared: how it surfaces (thrown at once, a rejected promise, a callback's arguments), the
 * error's class, name, code, message, stack head and every own field (helpers/differential.ts), and the time
 * to fail: the median of a few tries, shardcql within max(3x, +50 ms) of cassandra-driver's.
 * The differences kept on purpose are listed in KEPT with their reason (also in the README, "Differences from
 * cassandra-driver").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as cassandra from 'cassandra-driver';
import * as shardcql from '../src/index';
import { localDataCenter } from './helpers/local-dc';
import { describeError, median, msSince, timeBound } from './helpers/differential';

type Driver = typeof cassandra;
/** What the cases call, typed loosely: both clients have these members. */
interface AnyClient {
  connect(cb?: (e: Error | null) => void): Promise<void> | undefined;
  execute(...args: unknown[]): Promise<AnyResult> | undefined;
  batch(...args: unknown[]): Promise<AnyResult> | undefined;
  eachRow(...args: unknown[]): void;
  stream(...args: unknown[]): NodeJS.ReadableStream;
  shutdown(cb?: (e: Error | null) => void): Promise<void> | undefined;
  getReplicas(ks: string, key: Buffer): unknown;
  metadata: { getTable(ks: string, t: string, cb?: (e: Error | null, t: unknown) => void): Promise<unknown> | undefined };
}
interface AnyResult {
  rows: Array<Record<string, unknown>>;
  rowLength: number;
  pageState: string | null;
  nextPage?: unknown;
}

const KS = { ref: 'h13_err_ref', our: 'h13_err_our' } as const;
let DC = '';

interface Ctx {
  d: Driver;
  which: 'ref' | 'our';
  /** The connected client of this driver (request-level cases). */
  client: AnyClient;
  ks: string;
  /** Client options for a new client: the node, the DC, and for shardcql one worker. */
  opts(extra?: Record<string, unknown>): Record<string, unknown>;
  /** A local port where a server `refuse`s nothing but closes at once (`close`) or never answers (`silent`). */
  ports: { close: number; silent: number };
}

interface Case {
  name: string;
  /** Tries timed (median compared); 1 for cases whose time is not the driver's (timeouts set by the case). */
  tries?: number;
  /** Time to fail not compared (the case waits for a timer it sets, or the outcome is a success). */
  untimed?: boolean;
  run(ctx: Ctx): unknown;
}

/** A fresh client of this driver, connected by the case and always shut down. */
async function withClient(ctx: Ctx, extra: Record<string, unknown>, fn: (c: AnyClient) => Promise<unknown>): Promise<unknown> {
  const c = new ctx.d.Client(ctx.opts(extra) as never) as unknown as AnyClient;
  try {
    return await fn(c);
  } finally {
    await c.shutdown()?.catch(() => undefined);
  }
}

/** A method's callback form: what it returned at once, and the callback's arguments (errors described). */
function viaCallback(call: (cb: (...args: unknown[]) => void) => unknown): Promise<unknown> {
  return new Promise((resolve) => {
    let returned: unknown;
    const cb = (...args: unknown[]): void => {
      resolve({
        returned: returned === undefined ? 'undefined' : typeof returned,
        args: args.map((a) => (a instanceof Error ? describeError(a) : a === null ? null : a === undefined ? 'undefined' : typeof a)),
      });
    };
    try {
      returned = call(cb);
    } catch (e) {
      resolve({ threw: describeError(e) });
    }
  });
}

/** An EventEmitter's first 'error' (or its 'end'). */
function streamOutcome(s: NodeJS.ReadableStream): Promise<unknown> {
  return new Promise((resolve) => {
    let n = 0;
    s.on('data', () => n++);
    s.on('error', (e) => resolve({ streamError: describeError(e), rowsBefore: n }));
    s.on('end', () => resolve({ end: n }));
  });
}

const CASES: Case[] = [
  // ---- construction and connect ----------------------------------------------------------------------------
  { name: 'new Client()', run: (c) => new c.d.Client(undefined as never) },
  { name: 'new Client({})', run: (c) => new c.d.Client({} as never) },
  { name: 'contactPoints not an array', run: (c) => new c.d.Client({ contactPoints: '127.0.0.1', localDataCenter: DC } as never) },
  { name: 'empty contact point', run: (c) => new c.d.Client({ contactPoints: [''], localDataCenter: DC } as never) },
  // Its time is the workers' start: the load-balancing policy finds the DC missing after connect (see KEPT).
  { name: 'no localDataCenter', untimed: true, run: (c) => withClient(c, { localDataCenter: undefined }, (x) => x.connect()!) },
  { name: 'wrong localDataCenter', run: (c) => withClient(c, { localDataCenter: 'wrongdc' }, (x) => x.connect()!) },
  {
    name: 'wrong DC in the policy',
    run: (c) =>
      withClient(
        c,
        { localDataCenter: undefined, policies: { loadBalancing: new c.d.policies.loadBalancing.DCAwareRoundRobinPolicy('wrongdc') } },
        (x) => x.connect()!,
      ),
  },
  { name: 'keyspace that does not exist', run: (c) => withClient(c, { keyspace: 'h13_missing_ks' }, (x) => x.connect()!) },
  { name: 'keyspace that is not a name', run: (c) => withClient(c, { keyspace: 'no such"ks' }, (x) => x.connect()!) },
  { name: 'nothing listening', run: (c) => withClient(c, { contactPoints: ['127.0.0.1:9'] }, (x) => x.connect()!) },
  {
    name: 'host name that does not resolve',
    run: (c) => withClient(c, { contactPoints: ['h13-no-such-host.invalid'] }, (x) => x.connect()!),
  },
  {
    name: 'unresolvable, then nothing listening',
    run: (c) => withClient(c, { contactPoints: ['h13-no-such-host.invalid', '127.0.0.1:9'] }, (x) => x.connect()!),
  },
  {
    name: 'nothing listening, then the node',
    untimed: true,
    run: (c) =>
      withClient(c, { contactPoints: ['127.0.0.1:9', '127.0.0.1'] }, async (x) => {
        await x.connect();
        return 'connected';
      }),
  },
  { name: 'server closes at once', run: (c) => withClient(c, { contactPoints: [`127.0.0.1:${c.ports.close}`] }, (x) => x.connect()!) },
  {
    name: 'server never answers (connectTimeout 300)',
    tries: 1,
    untimed: true,
    run: (c) =>
      withClient(c, { contactPoints: [`127.0.0.1:${c.ports.silent}`], socketOptions: { connectTimeout: 300 } }, (x) => x.connect()!),
  },
  {
    name: 'credentials on a node without auth',
    untimed: true,
    run: (c) =>
      withClient(c, { credentials: { username: 'u', password: 'p' } }, async (x) => {
        await x.connect();
        return 'connected';
      }),
  },
  // Both connect: a shutdown before any connect does not stop the client (untimed: a successful connect).
  {
    name: 'connect after shutdown, never connected',
    untimed: true,
    run: (c) =>
      withClient(c, {}, async (x) => {
        await x.shutdown();
        return x.connect();
      }),
  },
  {
    name: 'connect after connect and shutdown',
    untimed: true,
    run: (c) =>
      withClient(c, {}, async (x) => {
        await x.connect();
        await x.shutdown();
        return x.connect();
      }),
  },
  {
    name: 'execute after shutdown',
    untimed: true,
    run: (c) =>
      withClient(c, {}, async (x) => {
        await x.connect();
        await x.shutdown();
        return x.execute('SELECT key FROM system.local');
      }),
  },
  {
    name: 'shutdown twice, never connected',
    run: (c) =>
      withClient(c, {}, async (x) => {
        await x.shutdown();
        await x.shutdown();
        return 'done';
      }),
  },
  {
    name: 'execute connects first, nothing listening',
    run: (c) => withClient(c, { contactPoints: ['127.0.0.1:9'] }, (x) => x.execute('SELECT key FROM system.local')!),
  },
  {
    name: 'batch connects first, nothing listening',
    run: (c) => withClient(c, { contactPoints: ['127.0.0.1:9'] }, (x) => x.batch(['INSERT INTO x.y (k) VALUES (1)'])!),
  },
  {
    name: 'eachRow connects first, nothing listening',
    run: (c) =>
      withClient(c, { contactPoints: ['127.0.0.1:9'] }, (x) =>
        viaCallback((cb) => x.eachRow('SELECT key FROM system.local', [], {}, () => undefined, cb)),
      ),
  },
  {
    name: 'stream connects first, nothing listening',
    run: (c) => withClient(c, { contactPoints: ['127.0.0.1:9'] }, (x) => streamOutcome(x.stream('SELECT key FROM system.local'))),
  },
  {
    name: 'two connects at once, nothing listening',
    run: (c) =>
      withClient(c, { contactPoints: ['127.0.0.1:9'] }, async (x) => {
        const both = await Promise.allSettled([x.connect()!, x.connect()!]);
        return both.map((r) => (r.status === 'rejected' ? describeError(r.reason) : 'fulfilled'));
      }),
  },
  {
    name: 'connect again after a failed connect',
    run: (c) =>
      withClient(c, { keyspace: 'h13_missing_ks' }, async (x) => {
        await x.connect()!.catch(() => undefined);
        return x.connect();
      }),
  },
  {
    name: 'connect, callback form, nothing listening',
    run: (c) => withClient(c, { contactPoints: ['127.0.0.1:9'] }, (x) => viaCallback((cb) => x.connect(cb))),
  },
  { name: 'shutdown, callback form', run: (c) => withClient(c, {}, (x) => viaCallback((cb) => x.shutdown(cb))) },

  // ---- arguments -------------------------------------------------------------------------------------------
  { name: 'execute(123)', run: (c) => c.client.execute(123) },
  { name: 'execute(q, "params")', run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.t WHERE k = ?`, 'params') },
  { name: 'execute(q, 1 param, 2 markers)', run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [1]) },
  {
    name: 'execute prepared, 1 param, 2 markers',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [1], { prepare: true }),
  },
  {
    name: 'execute prepared, 3 params, 2 markers',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [1, 'a', 'b'], { prepare: true }),
  },
  {
    name: 'named parameter missing',
    run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.t WHERE k = :k`, { other: 1 }, { prepare: true }),
  },
  { name: 'named parameters, simple statement', run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.t WHERE k = :k`, { k: 1 }) },

  // ---- values and types ------------------------------------------------------------------------------------
  {
    name: 'text column given a number (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [1, 5], { prepare: true }),
  },
  {
    name: 'int column given a string (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, ['x', 'v'], { prepare: true }),
  },
  {
    name: 'int column given an object (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [{}, 'v'], { prepare: true }),
  },
  {
    name: 'blob given a string (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.types (k, b) VALUES (?, ?)`, [1, 'x'], { prepare: true }),
  },
  {
    name: 'list given a number (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.types (k, l) VALUES (?, ?)`, [1, 5], { prepare: true }),
  },
  {
    name: 'list with a null (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.types (k, l) VALUES (?, ?)`, [1, [1, null]], { prepare: true }),
  },
  {
    name: 'map given a number (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.types (k, m) VALUES (?, ?)`, [1, 5], { prepare: true }),
  },
  {
    name: 'uuid given a bad string (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.types (k, u) VALUES (?, ?)`, [1, 'not-a-uuid'], { prepare: true }),
  },
  {
    name: 'timestamp given a bad string (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.types (k, ts) VALUES (?, ?)`, [1, 'not a date'], { prepare: true }),
  },
  {
    name: 'bigint given a float (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.types (k, bi) VALUES (?, ?)`, [1, 1.5], { prepare: true }),
  },
  {
    name: 'int out of range (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [2 ** 40, 'v'], { prepare: true }),
  },
  {
    name: 'vector of the wrong size (prepared)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.types (k, vec) VALUES (?, ?)`, [1, new Float32Array([1, 2])], { prepare: true }),
  },
  {
    name: 'simple statement, value that cannot be guessed',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [1, { a: 1 }]),
  },
  {
    name: 'simple statement, hint int given a string',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, ['x', 'v'], { hints: ['int', 'text'] }),
  },
  {
    name: 'simple statement, unknown hint',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [1, 'v'], { hints: ['nosuchtype', 'text'] }),
  },
  {
    name: 'simple statement, server refuses the value',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, ['x', 'v']),
  },
  { name: 'routingKey not a Buffer', run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.t WHERE k = 1`, [], { routingKey: 'x' }) },

  // ---- the server refuses ----------------------------------------------------------------------------------
  { name: 'syntax error', run: (c) => c.client.execute('SELEC * FROM x') },
  { name: 'syntax error (prepared)', run: (c) => c.client.execute('SELEC * FROM x', [], { prepare: true }) },
  { name: 'unknown keyspace', run: (c) => c.client.execute('SELECT * FROM h13_no_such_ks.t') },
  { name: 'unknown table (prepared)', run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.no_such_table`, [], { prepare: true }) },
  { name: 'unknown column', run: (c) => c.client.execute(`SELECT nope FROM ${c.ks}.t`) },
  { name: 'USE unknown keyspace', run: (c) => c.client.execute('USE h13_no_such_ks') },
  { name: 'table already exists', run: (c) => c.client.execute(`CREATE TABLE ${c.ks}.t (k int PRIMARY KEY)`) },
  {
    name: 'keyspace already exists',
    run: (c) => c.client.execute(`CREATE KEYSPACE ${c.ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`),
  },
  { name: 'filtering required', run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.t WHERE v = 'x'`) },
  { name: 'truncate unknown table', run: (c) => c.client.execute(`TRUNCATE ${c.ks}.no_such_table`) },
  { name: 'consistency 99', run: (c) => c.client.execute('SELECT key FROM system.local', [], { consistency: 99 }) },
  {
    name: 'serial consistency ONE on LWT',
    run: (c) =>
      c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (7, 'x') IF NOT EXISTS`, [], {
        serialConsistency: c.d.types.consistencies.one,
      }),
  },
  {
    name: 'unavailable (RF 3, QUORUM)',
    run: (c) => c.client.execute(`INSERT INTO ${c.ks}_rf3.t (k, v) VALUES (1, 1)`, [], { consistency: c.d.types.consistencies.quorum }),
  },

  // ---- timeouts --------------------------------------------------------------------------------------------
  {
    name: 'readTimeout 1 ms',
    untimed: true,
    run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.big WHERE k = 1`, [], { readTimeout: 1 }),
  },
  {
    name: 'readTimeout 1 ms, idempotent (retried on the next host)',
    untimed: true,
    run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.big WHERE k = 1`, [], { readTimeout: 1, isIdempotent: true }),
  },

  // ---- paging ----------------------------------------------------------------------------------------------
  {
    name: 'pageState not hex',
    run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.big WHERE k = 1`, [], { pageState: 'zz', fetchSize: 2 }),
  },
  {
    name: 'pageState garbage',
    run: (c) => c.client.execute(`SELECT * FROM ${c.ks}.big WHERE k = 1`, [], { pageState: 'deadbeef', fetchSize: 2 }),
  },
  {
    name: 'pageState garbage (prepared)',
    run: (c) =>
      c.client.execute(`SELECT * FROM ${c.ks}.big WHERE k = ?`, [1], {
        pageState: Buffer.from('deadbeef', 'hex'),
        fetchSize: 2,
        prepare: true,
      }),
  },
  {
    name: 'nextPage on the last page',
    run: async (c) => {
      const r = await c.client.execute!(`SELECT k FROM ${c.ks}.t WHERE k = 1`)!;
      return typeof r.nextPage;
    },
  },

  // ---- batches ---------------------------------------------------------------------------------------------
  { name: 'batch([])', run: (c) => c.client.batch([]) },
  { name: 'batch("x")', run: (c) => c.client.batch('x') },
  { name: 'batch with a null item', run: (c) => c.client.batch([null]) },
  { name: 'batch item without query', run: (c) => c.client.batch([{ params: [1] }]) },
  { name: 'batch with a syntax error', run: (c) => c.client.batch([`INSERT INTO ${c.ks}.t (k, v) VALUES (1, 'a')`, 'INSER INTO x']) },
  { name: 'batch with a syntax error (prepared)', run: (c) => c.client.batch([{ query: 'INSER INTO x', params: [] }], { prepare: true }) },
  {
    name: 'batch with a bad value (prepared)',
    run: (c) => c.client.batch([{ query: `INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, params: [1, 5] }], { prepare: true }),
  },
  { name: 'batch with a SELECT', run: (c) => c.client.batch([`SELECT * FROM ${c.ks}.t`]) },
  { name: 'counter update in a logged batch', run: (c) => c.client.batch([`UPDATE ${c.ks}.counters SET n = n + 1 WHERE k = 1`]) },
  {
    name: 'batch with named parameters, simple',
    run: (c) => c.client.batch([{ query: `INSERT INTO ${c.ks}.t (k, v) VALUES (:k, :v)`, params: { k: 1, v: 'a' } }]),
  },
  { name: 'batch, callback form, syntax error', run: (c) => viaCallback((cb) => c.client.batch(['INSER INTO x'], cb)) },
  { name: 'batch, callback form with options', run: (c) => viaCallback((cb) => c.client.batch(['INSER INTO x'], { prepare: false }, cb)) },

  // ---- callback and stream forms ---------------------------------------------------------------------------
  { name: 'execute(q, cb), syntax error', run: (c) => viaCallback((cb) => c.client.execute('SELEC 1', cb)) },
  { name: 'execute(q, p, cb), syntax error', run: (c) => viaCallback((cb) => c.client.execute('SELEC 1', [], cb)) },
  { name: 'execute(q, p, o, cb), syntax error', run: (c) => viaCallback((cb) => c.client.execute('SELEC 1', [], { prepare: true }, cb)) },
  {
    name: 'execute(q, p, o, cb), bad value',
    run: (c) => viaCallback((cb) => c.client.execute(`INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [1, 5], { prepare: true }, cb)),
  },
  { name: 'execute(123, cb)', run: (c) => viaCallback((cb) => c.client.execute(123, cb)) },
  { name: 'execute(q, cb), success', run: (c) => viaCallback((cb) => c.client.execute('SELECT key FROM system.local', cb)) },
  { name: 'eachRow, syntax error', run: (c) => viaCallback((cb) => c.client.eachRow('SELEC 1', [], {}, () => undefined, cb)) },
  {
    name: 'eachRow(q, p, rowCb, endCb), syntax error',
    run: (c) => viaCallback((cb) => c.client.eachRow('SELEC 1', [], () => undefined, cb)),
  },
  {
    name: 'eachRow(q, p, rowCb, endCb), bad value',
    run: (c) => viaCallback((cb) => c.client.eachRow(`SELECT * FROM ${c.ks}.t WHERE k = ?`, ['x'], { prepare: true }, () => undefined, cb)),
  },
  { name: 'eachRow(123, ...)', run: (c) => viaCallback((cb) => c.client.eachRow(123, [], {}, () => undefined, cb)) },
  {
    name: 'eachRow, paged, bad pageState',
    run: (c) =>
      viaCallback((cb) =>
        c.client.eachRow(
          `SELECT * FROM ${c.ks}.big WHERE k = 1`,
          [],
          { pageState: 'deadbeef', fetchSize: 2, autoPage: true },
          () => undefined,
          cb,
        ),
      ),
  },
  { name: 'stream, syntax error', run: (c) => streamOutcome(c.client.stream('SELEC 1')) },
  {
    name: 'stream, bad value',
    run: (c) => streamOutcome(c.client.stream(`SELECT * FROM ${c.ks}.t WHERE k = ?`, ['x'], { prepare: true })),
  },
  { name: 'stream(123)', run: (c) => streamOutcome(c.client.stream(123)) },
  { name: 'metadata.getTable, unknown keyspace (promise)', run: (c) => c.client.metadata.getTable('h13_no_such_ks', 't') },
  {
    name: 'metadata.getTable, unknown keyspace (callback)',
    run: (c) => viaCallback((cb) => c.client.metadata.getTable('h13_no_such_ks', 't', cb as never)),
  },
  {
    name: 'getReplicas, unknown keyspace',
    run: (c) => {
      const r = c.client.getReplicas('h13_no_such_ks', Buffer.from([0, 0, 0, 1]));
      return r === null ? null : typeof r;
    },
  },
  {
    name: 'executeConcurrent with a bad value',
    run: (c) =>
      c.d.concurrent.executeConcurrent(c.client as never, `INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`, [
        [1, 'a'],
        [2, 5],
      ]),
  },
  {
    name: 'executeConcurrent, collectResults, server error',
    run: (c) =>
      c.d.concurrent.executeConcurrent(
        c.client as never,
        `INSERT INTO ${c.ks}.t (k, v) VALUES (?, ?)`,
        [
          [1, 'a'],
          ['x', 'b'],
        ],
        { collectResults: true, prepare: false },
      ),
  },
];

// The node of `npm run db -- start --auth` (cassandra/cassandra); the CI node runs without authentication.
const AUTH_ON = process.env['SHARDCQL_TEST_AUTH'] === '1';
if (AUTH_ON) {
  CASES.push(
    {
      name: 'auth: wrong password',
      run: (c) => withClient(c, { credentials: { username: 'cassandra', password: 'wrong' } }, (x) => x.connect()!),
    },
    { name: 'auth: no credentials', run: (c) => withClient(c, { credentials: undefined }, (x) => x.connect()!) },
  );
}

/**
 * Differences kept, with why (the README's "Differences from cassandra-driver" says the same). The picture
 * of these cases is not compared; their time to fail still is.
 */
const NOT_A_STRING =
  "cassandra-driver does not check: Node's TypeError from Buffer.byteLength deep in its encoder, with `coordinator` and " +
  '`query` as if it had been sent; shardcql refuses it first (ArgumentError "Query must be a string")';
const AUTH =
  'cassandra-driver wraps the AuthenticationError in NoHostAvailableError (one per contact point tried); shardcql rejects ' +
  'with the AuthenticationError itself, at the first host: the credentials are wrong for every host';
const KEPT: Record<string, string> = {
  'execute(123)': NOT_A_STRING,
  'execute(123, cb)': NOT_A_STRING,
  'eachRow(123, ...)': NOT_A_STRING,
  'stream(123)': NOT_A_STRING,
  'execute(q, "params")':
    'cassandra-driver takes a string for no parameters and sends the query (the server answers "Invalid amount of bind ' +
    'variables"); shardcql refuses it (ArgumentError "Parameters must be an Array or an Object")',
  'map given a number (prepared)': 'cassandra-driver writes an empty map for 5 (the column becomes null, silently); shardcql: TypeError',
  'batch with named parameters, simple':
    'cassandra-driver fails inside (TypeError "params.forEach is not a function"); shardcql says what to ' +
    'do (ArgumentError: use the prepare flag)',
  'server closes at once':
    'cassandra-driver does not notice a close during the handshake and waits out readTimeout (12 s), then reports ' +
    'OperationTimedOutError; shardcql fails at once ("closed by the server")',
  'server never answers (connectTimeout 300)':
    "cassandra-driver's connectTimeout bounds only the TCP connect, then the handshake waits " +
    "readTimeout (12 s); shardcql's bounds the TCP connect and the handshake (OperationTimedOutError after 300 ms)",
  'keyspace that is not a name':
    'cassandra-driver sends USE "<name>" without doubling a quote inside the name (a syntax error, or another ' +
    'statement); shardcql quotes it properly (the server says the keyspace does not exist)',
  'auth: wrong password': AUTH,
  'auth: no credentials': AUTH,
  'getReplicas, unknown keyspace': 'cassandra-driver returns null, against its own declared type (Host[]); shardcql returns []',
  'consistency 99':
    'cassandra-driver sends it and the server refuses it (ResponseError 0x000A "Unknown code 99 for a consistency ' +
    'level"); shardcql refuses it before sending (ArgumentError, docs/OPTIONS.md), as every execution option out of range',
  'pageState not hex':
    'cassandra-driver decodes it with Buffer.from(s, "hex"), which stops at the first bad digit (here: an empty state, ' +
    'which the server refuses; a state with a bad digit further in is cut short and silently restarts the paging); shardcql refuses ' +
    'a string that is not whole hex bytes before sending (ArgumentError)',
};

interface Outcome {
  picture: unknown;
  ms: number[];
}

/** Runs `fn` once: a value, an error thrown at once, or a rejection; JSON-able. */
async function once(fn: () => unknown): Promise<unknown> {
  let v: unknown;
  try {
    v = fn();
  } catch (e) {
    return { threwAtOnce: describeError(e) };
  }
  if (!(v instanceof Promise))
    return { returned: v === undefined ? 'undefined' : typeof v === 'object' && v !== null ? (v as object).constructor.name : v };
  try {
    const r = await v;
    return {
      resolved:
        r === undefined
          ? 'undefined'
          : typeof r === 'object' && r !== null
            ? (r as object).constructor.name === 'Object'
              ? r
              : (r as object).constructor.name
            : r,
    };
  } catch (e) {
    return { rejected: describeError(e) };
  }
}

async function runCases(ctx: Ctx): Promise<Record<string, Outcome>> {
  const out: Record<string, Outcome> = {};
  for (const c of CASES) {
    const tries = c.tries ?? 3;
    const ms: number[] = [];
    let picture: unknown;
    for (let i = 0; i < tries; i++) {
      const t = performance.now();
      const p = await Promise.race([once(() => c.run(ctx)), new Promise((r) => setTimeout(() => r({ hung: '>20 s' }), 20_000).unref())]);
      if (process.env['H13_DIFF_DUMP']) console.log(ctx.which, c.name, Math.round(msSince(t)));
      ms.push(msSince(t));
      if (i === 0) picture = p;
    }
    out[c.name] = { picture, ms };
  }
  return out;
}

/** A local server whose connections are closed at once, or never answered. */
async function listen(onConn: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return server;
}

async function prepareKeyspace(client: AnyClient, ks: string): Promise<void> {
  await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
  await client.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks}_rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`);
  await client.execute(`CREATE TABLE IF NOT EXISTS ${ks}_rf3.t (k int PRIMARY KEY, v int)`);
  await client.execute(`CREATE TABLE ${ks}.t (k int PRIMARY KEY, v text)`);
  await client.execute(
    `CREATE TABLE ${ks}.types (k int PRIMARY KEY, b blob, l list<int>, m map<text, int>, u uuid, ts timestamp, bi bigint, vec vector<float, 3>)`,
  );
  await client.execute(`CREATE TABLE ${ks}.counters (k int PRIMARY KEY, n counter)`);
  await client.execute(`CREATE TABLE ${ks}.big (k int, c int, v text, PRIMARY KEY (k, c))`);
  await client.execute(`INSERT INTO ${ks}.t (k, v) VALUES (1, 'one')`);
  // About 4 MB in one partition: no read of it answers within 1 ms (the answer takes many socket reads, and the
  // timer fires between them).
  const v = 'x'.repeat(20_000);
  const rows = Array.from({ length: 200 }, (_, c) => [1, c, v]);
  await ctxConcurrent(client, `INSERT INTO ${ks}.big (k, c, v) VALUES (?, ?, ?)`, rows);
}

/** Inserts the rows 20 at a time (the same for both drivers). */
async function ctxConcurrent(client: AnyClient, cql: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 20) await Promise.all(rows.slice(i, i + 20).map((r) => client.execute(cql, r, { prepare: true })));
}

describe('differential: errors and times to fail, cassandra-driver vs shardcql', () => {
  const clients: AnyClient[] = [];
  const servers: net.Server[] = [];
  const results: Record<'ref' | 'our', Record<string, Outcome>> = { ref: {}, our: {} };

  beforeAll(async () => {
    DC = await localDataCenter();
    const closing = await listen((s) => s.destroy());
    const silent = await listen(() => undefined);
    servers.push(closing, silent);
    const ports = { close: (closing.address() as net.AddressInfo).port, silent: (silent.address() as net.AddressInfo).port };
    for (const which of ['ref', 'our'] as const) {
      const d = (which === 'ref' ? cassandra : shardcql) as unknown as Driver;
      const opts = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
        contactPoints: ['127.0.0.1'],
        localDataCenter: DC,
        ...(which === 'our' ? { shardcql: { workers: 1 } } : {}),
        ...(AUTH_ON ? { credentials: { username: 'cassandra', password: 'cassandra' } } : {}),
        ...extra,
      });
      const client = new d.Client(opts() as never) as unknown as AnyClient;
      clients.push(client);
      await client.connect();
      await prepareKeyspace(client, KS[which]);
      results[which] = await runCases({ d, which, client, ks: KS[which], opts, ports });
    }
    if (process.env['H13_DIFF_DUMP']) {
      const fs = await import('node:fs');
      const rows = CASES.map((c) => {
        const a = JSON.stringify(normalized(results.ref[c.name]!.picture));
        const b = JSON.stringify(normalized(results.our[c.name]!.picture));
        return {
          name: c.name,
          same: a === b,
          ref: JSON.parse(a),
          our: JSON.parse(b),
          refMs: median(results.ref[c.name]!.ms),
          ourMs: median(results.our[c.name]!.ms),
        };
      });
      fs.writeFileSync(process.env['H13_DIFF_DUMP'], JSON.stringify(rows, null, 1));
    }
  }, 600_000);

  afterAll(async () => {
    for (const c of clients) await c.shutdown()?.catch(() => undefined);
    for (const s of servers) s.close();
  });

  /** The keyspace names and ephemeral ports are the only expected differences in the text. */
  function normalized(picture: unknown): unknown {
    return JSON.parse(
      JSON.stringify(picture)
        .split(KS.ref)
        .join('KS')
        .split(KS.our)
        .join('KS')
        .replace(/127\.0\.0\.1:\d{4,5}\b(?<!:9042)/g, '127.0.0.1:PORT'),
    );
  }

  it('surfaces every error the same way: at once, rejected or in the callback; same class, code, message and fields', () => {
    expect(Object.keys(results.ref)).toHaveLength(CASES.length);
    const differing = CASES.filter(
      (c) =>
        !(c.name in KEPT) &&
        JSON.stringify(normalized(results.our[c.name]!.picture)) !== JSON.stringify(normalized(results.ref[c.name]!.picture)),
    );
    // One comparison of every differing case, so a failure lists them all.
    const ours: Record<string, unknown> = {};
    const theirs: Record<string, unknown> = {};
    for (const c of differing) {
      ours[c.name] = normalized(results.our[c.name]!.picture);
      theirs[c.name] = normalized(results.ref[c.name]!.picture);
    }
    expect(ours).toEqual(theirs);
    // A kept difference that went away belongs out of KEPT (and the README's list).
    const same = Object.keys(KEPT).filter(
      (k) =>
        k in results.our && JSON.stringify(normalized(results.our[k]!.picture)) === JSON.stringify(normalized(results.ref[k]!.picture)),
    );
    expect(same).toEqual([]);
  });

  it('fails as fast: median of shardcql within max(3x, +50 ms) of cassandra-driver', () => {
    const slower: Record<string, string> = {};
    for (const c of CASES) {
      if (c.untimed) continue;
      const ref = median(results.ref[c.name]!.ms);
      const our = median(results.our[c.name]!.ms);
      if (our > timeBound(ref)) slower[c.name] = `${our.toFixed(1)} ms vs ${ref.toFixed(1)} ms`;
    }
    expect(slower).toEqual({});
  });
});
