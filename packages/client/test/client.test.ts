/**
 * Facade logic of Client against a scripted fake engine (no network): the engine receives encoded request
 * bodies and answers with hand-encoded RESULT / ERROR bodies (spec sections 4.2.1, 4.2.5).
 */
import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  ByteWriter,
  NoHostAvailableError,
  OperationTimedOutError,
  ResponseError,
  ArgumentError,
  murmur3TokenHiLo,
  opcodes,
  writeTypeSpec,
  type DataType,
} from '@shardcql/core';
import { Client } from '../src/client';
import { EngineAnswer, type EngineOptions } from '../src/engine/engine';
import type { EngineRequest } from '../src/engine/request';
import { FakeEngineBase } from './helpers/fake-engine';
import type { ResultSet } from '../src/result-set';
import { concurrent, tracker } from '../src/index';
import { ClientMetrics } from '../src/metrics/client-metrics';
import { markNotSent } from '../src/engine/ring-requester';
import { BusyServerRetryPolicy } from './helpers/busy-server';

const INT: DataType = { code: 0x09, info: null };
const TEXT: DataType = { code: 0x0d, info: null };

interface Sent {
  opcode: number;
  flags: number;
  body: Buffer;
  hasToken: boolean;
  tokenHi: number;
  tokenLo: number;
  hostIndex: number;
}

type Script = (req: Sent, engine: FakeEngine) => Buffer | { error: Buffer } | Error | Promise<Buffer | { error: Buffer } | Error>;

class FakeEngine extends FakeEngineBase {
  sent: Sent[] = [];
  keyspaces: string[] = [];
  isShutdown = false;
  private next = 0;
  constructor(
    readonly options: EngineOptions,
    private readonly script: Script,
  ) {
    super();
  }
  async send(r: EngineRequest): Promise<EngineAnswer> {
    const { opcode, flags, body, bodyLength, tokenHi, tokenLo, hasToken, hostIndex } = r;
    if (this.isShutdown) throw new NoHostAvailableError({}, 'engine is shut down');
    const req: Sent = { opcode, flags, body: Buffer.from(body.subarray(0, bodyLength)), hasToken, tokenHi, tokenLo, hostIndex };
    this.sent.push(req);
    this.inFlight++;
    const host = hostIndex >= 0 ? hostIndex : this.next++ % this.hosts.length;
    try {
      await Promise.resolve();
      const out = await this.script(req, this);
      if (out instanceof Error) throw out;
      if (Buffer.isBuffer(out)) return new EngineAnswer(opcodes.result, 0, out, host);
      return new EngineAnswer(opcodes.error, 0, out.error, host);
    } finally {
      this.inFlight--;
    }
  }
  override async setKeyspace(keyspace: string): Promise<void> {
    this.keyspaces.push(keyspace);
  }
  override async shutdown(): Promise<void> {
    this.isShutdown = true;
  }
}

// ------------------------------------------------------------- response encoders (spec 4.2.5)

function rowsBody(columns: Array<[string, DataType]>, rows: unknown[][], pagingState: Buffer | null = null, noMetadata = false): Buffer {
  const w = new ByteWriter(256);
  w.i32(2);
  let flags = noMetadata ? 0x04 : 0x01;
  if (pagingState) flags |= 0x02;
  w.i32(flags);
  w.i32(columns.length);
  if (pagingState) w.bytes(pagingState);
  if (!noMetadata) {
    w.string('ks');
    w.string('t');
    for (const [name, type] of columns) {
      w.string(name);
      writeTypeSpec(w, type);
    }
  }
  w.i32(rows.length);
  for (const r of rows) {
    for (let i = 0; i < columns.length; i++) {
      const v = r[i];
      if (v === null) w.i32(-1);
      else if (columns[i]![1].code === INT.code) {
        w.i32(4);
        w.i32(v as number);
      } else {
        const b = Buffer.from(String(v));
        w.i32(b.length);
        w.raw(b);
      }
    }
  }
  return w.toBuffer();
}

function voidBody(): Buffer {
  const w = new ByteWriter(8);
  w.i32(1);
  return w.toBuffer();
}

function preparedBody(id: Buffer, binds: Array<[string, DataType]>, pk: number[], result: Array<[string, DataType]>): Buffer {
  const w = new ByteWriter(256);
  w.i32(4);
  w.shortBytes(id);
  w.i32(0x01);
  w.i32(binds.length);
  w.i32(pk.length);
  for (const i of pk) w.u16(i);
  w.string('ks');
  w.string('t');
  for (const [name, type] of binds) {
    w.string(name);
    writeTypeSpec(w, type);
  }
  w.i32(result.length ? 0x01 : 0x04);
  w.i32(result.length);
  if (result.length) {
    w.string('ks');
    w.string('t');
    for (const [name, type] of result) {
      w.string(name);
      writeTypeSpec(w, type);
    }
  }
  return w.toBuffer();
}

function errorBody(code: number, message: string, extra?: (w: ByteWriter) => void): { error: Buffer } {
  const w = new ByteWriter(64);
  w.i32(code);
  w.string(message);
  extra?.(w);
  return { error: w.toBuffer() };
}

// ------------------------------------------------------------- request decoders (spec 4.1.4 - 4.1.6, v4)

interface ParsedParams {
  consistency: number;
  flags: number;
  values: Array<Buffer | null>;
  names: string[];
  pageSize: number;
  pagingState: Buffer | null;
}

function parseParams(r: ByteReader): ParsedParams {
  const consistency = r.u16();
  const flags = r.u8();
  const values: Array<Buffer | null> = [];
  const names: string[] = [];
  if (flags & 0x01) {
    const n = r.u16();
    for (let i = 0; i < n; i++) {
      if (flags & 0x40) names.push(r.string());
      values.push(r.bytes());
    }
  }
  const pageSize = flags & 0x04 ? r.i32() : 0;
  const pagingState = flags & 0x08 ? r.bytes() : null;
  return { consistency, flags, values, names, pageSize, pagingState };
}

function parseQuery(body: Buffer): { query: string } & ParsedParams {
  const r = new ByteReader(body);
  const query = r.longString();
  return { query, ...parseParams(r) };
}

function parseExecute(body: Buffer): { id: Buffer } & ParsedParams {
  const r = new ByteReader(body);
  const id = Buffer.from(r.shortBytes());
  return { id, ...parseParams(r) };
}

function parsePrepare(body: Buffer): string {
  return new ByteReader(body).longString();
}

function newClient(script: Script, options: Record<string, unknown> = {}): { client: Client; engine: () => FakeEngine } {
  let engine: FakeEngine | null = null;
  const client = new Client(
    { contactPoints: ['10.0.0.1'], localDataCenter: 'dc1', isMetadataSyncEnabled: false, ...options },
    (o) => (engine = new FakeEngine(o, script)),
  );
  return { client, engine: () => engine! };
}

// ------------------------------------------------------------- tests

describe('Client with a fake engine', () => {
  it('connects lazily on execute, emits connected and decodes rows', async () => {
    const { client, engine } = newClient((req) => {
      expect(req.opcode).toBe(opcodes.query);
      expect(parseQuery(req.body).query).toBe('SELECT a, b FROM t');
      return rowsBody(
        [
          ['a', INT],
          ['b', TEXT],
        ],
        [
          [1, 'x'],
          [2, null],
        ],
      );
    });
    let connectedEvents = 0;
    client.on('connected', () => connectedEvents++);
    const rs = await client.execute('SELECT a, b FROM t');
    expect(connectedEvents).toBe(1);
    expect(client.connected).toBe(true);
    expect(rs.rowLength).toBe(2);
    expect(rs.first()!['a']).toBe(1);
    expect(rs.rows[1]!['b']).toBeNull();
    expect(rs.columns!.map((c) => c.name)).toEqual(['a', 'b']);
    expect(rs.info.queriedHost).toBe('10.0.0.1:9042');
    expect(rs.info.triedHosts).toEqual({ '10.0.0.1:9042': null });
    expect(rs.pageState).toBeNull();
    expect(client.hosts.length).toBe(2);
    expect(engine().options.workers).toBeGreaterThanOrEqual(0);
    // Defaults on the wire: LOCAL_ONE, page size 5000, a client timestamp (0x20).
    const p = parseQuery(engine().sent[0]!.body);
    expect(p.consistency).toBe(10);
    expect(p.pageSize).toBe(5000);
    expect(p.flags & 0x20).toBe(0x20);
    await client.shutdown();
  });

  it('supports the callback forms', async () => {
    const { client } = newClient(() => voidBody());
    const r1 = await new Promise<ResultSet>((res, rej) => client.execute('INSERT', (e, r) => (e ? rej(e) : res(r!))));
    expect(r1.rows).toBeUndefined();
    const r2 = await new Promise<ResultSet>((res, rej) => client.execute('INSERT', [], (e, r) => (e ? rej(e) : res(r!))));
    expect(r2.columns).toBeNull();
    const r3 = await new Promise<ResultSet>((res, rej) => client.execute('INSERT', [], {}, (e, r) => (e ? rej(e) : res(r!))));
    expect(r3.info.achievedConsistency).toBe(10);
    await new Promise<void>((res, rej) => client.shutdown((e) => (e ? rej(e) : res())));
  });

  it('sends again a request the engine reports as never sent, even when it is not idempotent', async () => {
    let calls = 0;
    const { client, engine } = newClient(() => {
      calls++;
      if (calls <= 2) return markNotSent(new NoHostAvailableError({ '10.0.0.1:9042': new Error('connection gone') }));
      return voidBody();
    });
    const rs = await client.execute('INSERT INTO t (a) VALUES (1)', [], { isIdempotent: false });
    expect(rs.rows).toBeUndefined();
    expect(engine().sent.length).toBe(3);
    // A failure that may have reached the server is not resent for a non-idempotent statement.
    calls = 0;
    const { client: c2, engine: e2 } = newClient(() => new OperationTimedOutError('no answer', '10.0.0.1:9042'));
    await expect(c2.execute('INSERT INTO t (a) VALUES (1)', [], { isIdempotent: false })).rejects.toBeInstanceOf(OperationTimedOutError);
    expect(e2().sent.length).toBe(1);
    await client.shutdown();
    await c2.shutdown();
  });

  it('maps ERROR bodies to ResponseError with code and coordinator, and sets err.query', async () => {
    const { client } = newClient(() => errorBody(0x2000, "line 1:0 no viable alternative at input 'SELEC'"));
    const err = (await client.execute('SELEC x').catch((e: unknown) => e)) as ResponseError & { query: string };
    expect(err).toBeInstanceOf(ResponseError);
    expect(err.code).toBe(0x2000);
    expect(err.coordinator).toBe('10.0.0.1:9042');
    expect(err.query).toBe('SELEC x');
    const cbErr = await new Promise<Error | null>((res) => client.execute('SELEC x', (e) => res(e)));
    expect(cbErr).toBeInstanceOf(ResponseError);
    await client.shutdown();
  });

  it('sends named values for simple statements and applies hints', async () => {
    const { client, engine } = newClient(() => voidBody());
    await client.execute('INSERT INTO t (a, b) VALUES (:a, :b)', { A: 1, b: 'x' }, { hints: { A: 'int' } as never });
    const p = parseQuery(engine().sent[0]!.body);
    expect(p.flags & 0x40).toBe(0x40);
    expect(p.names).toEqual(['a', 'b']);
    expect(p.values[0]).toEqual(Buffer.from([0, 0, 0, 1]));
    expect(p.values[1]).toEqual(Buffer.from('x'));
    await client.execute('INSERT INTO t (a) VALUES (?)', [7], { hints: ['int'] });
    expect(parseQuery(engine().sent[1]!.body).values[0]).toEqual(Buffer.from([0, 0, 0, 7]));
    await client.shutdown();
  });

  it('prepares once for concurrent first executions, executes with skip-metadata and routes by the pk token', async () => {
    const id = Buffer.from([0xaa, 0xbb]);
    let prepares = 0;
    const { client, engine } = newClient(async (req) => {
      if (req.opcode === opcodes.prepare) {
        prepares++;
        expect(parsePrepare(req.body)).toBe('SELECT v FROM t WHERE k = ?');
        await new Promise((r) => setTimeout(r, 10));
        return preparedBody(id, [['k', INT]], [0], [['v', TEXT]]);
      }
      expect(req.opcode).toBe(opcodes.execute);
      const e = parseExecute(req.body);
      expect(e.id).toEqual(id);
      expect(e.flags & 0x02).toBe(0x02); // skip_metadata
      return rowsBody([['v', TEXT]], [['hello']], null, true);
    });
    const results = await Promise.all([1, 2, 3].map((k) => client.execute('SELECT v FROM t WHERE k = ?', [k], { prepare: true })));
    expect(prepares).toBe(1);
    for (const rs of results) expect(rs.first()!['v']).toBe('hello');
    expect(results[0]!.columns!.map((c) => c.name)).toEqual(['v']);
    const executes = engine().sent.filter((s) => s.opcode === opcodes.execute);
    expect(executes).toHaveLength(3);
    const token = new Int32Array(2);
    murmur3TokenHiLo(Buffer.from([0, 0, 0, 1]), 0, 4, token);
    expect(executes[0]!.hasToken).toBe(true);
    expect([executes[0]!.tokenHi, executes[0]!.tokenLo]).toEqual([token[0], token[1]]);
    // A later execution hits the cache: no new PREPARE.
    await client.execute('SELECT v FROM t WHERE k = ?', [9], { prepare: true });
    expect(prepares).toBe(1);
    await client.shutdown();
  });

  it('gives an encoding TypeError the query and the host it was bound for, and a timeout its coordinator (as cassandra-driver)', async () => {
    const { client } = newClient((req) =>
      req.opcode === opcodes.prepare
        ? preparedBody(
            Buffer.from([7]),
            [
              ['k', INT],
              ['v', TEXT],
            ],
            [0],
            [],
          )
        : voidBody(),
    );
    const err = (await client
      .execute('INSERT INTO t (k, v) VALUES (?, ?)', [1, 5], { prepare: true })
      .catch((e: unknown) => e)) as TypeError & Record<string, unknown>;
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('Not a valid text value, expected String obtained 5');
    expect(Object.keys(err)).toEqual(['coordinator', 'query']);
    expect(err['coordinator']).toBe('10.0.0.1:9042');
    expect(err['query']).toBe('INSERT INTO t (k, v) VALUES (?, ?)');
    await client.shutdown();

    const { client: c2 } = newClient(
      () => new OperationTimedOutError('The host 10.0.0.1:9042 did not reply before timeout 5 ms', '10.0.0.1:9042'),
    );
    const t = (await c2.execute('SELECT * FROM t').catch((e: unknown) => e)) as OperationTimedOutError & Record<string, unknown>;
    expect(Object.keys(t)).toEqual(['name', 'info', 'message', 'host', 'coordinator', 'query']);
    expect(t['coordinator']).toBe('10.0.0.1:9042');
    await c2.shutdown();
  });

  it('refuses a callback that is not a function at the call (cassandra-driver crashes later with an uncaught TypeError)', async () => {
    const { client } = newClient(() => voidBody());
    expect(() => client.execute('SELECT 1', [], {}, 'cb' as never)).toThrow(new ArgumentError('callback is not a function'));
    expect(() => client.batch(['INSERT'], {}, 'cb' as never)).toThrow(new ArgumentError('callback is not a function'));
    await client.shutdown();
  });

  it("refuses a routingKey that is not a Buffer or an Array with cassandra-driver's TypeError", async () => {
    const { client } = newClient(() => voidBody());
    await expect(client.execute('SELECT * FROM t', [], { routingKey: 'x' as never })).rejects.toThrow(
      new TypeError("Unexpected routingKey ''x'' provided. Expected Buffer, Array<Buffer>, Token, or TokenRange."),
    );
    await client.shutdown();
  });

  it('gives a failed PREPARE its query but no coordinator, as cassandra-driver (prepare-handler.js)', async () => {
    const { client } = newClient(() => errorBody(0x2000, 'line 1:0 no viable alternative'));
    const err = (await client.execute('SELEC x', [], { prepare: true }).catch((e: unknown) => e)) as ResponseError &
      Record<string, unknown>;
    expect(Object.keys(err)).toEqual(['name', 'info', 'message', 'code', 'query']);
    await client.shutdown();
  });

  it('rejects connect after shutdown with innerErrors null, as cassandra-driver', async () => {
    const { client } = newClient(() => voidBody());
    await client.connect();
    await client.shutdown();
    const err = (await client.connect().catch((e: unknown) => e)) as NoHostAvailableError;
    expect(err).toBeInstanceOf(NoHostAvailableError);
    expect(err.message).toBe('Connecting after shutdown is not supported');
    expect(err.innerErrors).toBeNull();
  });

  it('computes composite routing keys', async () => {
    const { client, engine } = newClient((req) => {
      if (req.opcode === opcodes.prepare)
        return preparedBody(
          Buffer.from([1]),
          [
            ['a', INT],
            ['v', TEXT],
            ['b', TEXT],
          ],
          [0, 2],
          [],
        );
      return voidBody();
    });
    await client.execute('INSERT', [5, 'x', 'yz'], { prepare: true });
    const exec = engine().sent.find((s) => s.opcode === opcodes.execute)!;
    const key = Buffer.from([0, 4, 0, 0, 0, 5, 0, 0, 2, 0x79, 0x7a, 0]);
    const token = new Int32Array(2);
    murmur3TokenHiLo(key, 0, key.length, token);
    expect([exec.tokenHi, exec.tokenLo]).toEqual([token[0], token[1]]);
    // A null partition-key value: no token.
    await client.execute('INSERT', [null, 'x', 'yz'], { prepare: true });
    expect(engine().sent.filter((s) => s.opcode === opcodes.execute)[1]!.hasToken).toBe(false);
    await client.shutdown();
  });

  it('maps named parameters of prepared statements by bind names, case-insensitively', async () => {
    const { client, engine } = newClient((req) => {
      if (req.opcode === opcodes.prepare)
        return preparedBody(
          Buffer.from([1]),
          [
            ['k', INT],
            ['v', TEXT],
          ],
          [0],
          [],
        );
      return voidBody();
    });
    await client.execute('INSERT', { V: 'val', k: 3 }, { prepare: true });
    const e = parseExecute(engine().sent.find((s) => s.opcode === opcodes.execute)!.body);
    expect(e.values).toEqual([Buffer.from([0, 0, 0, 3]), Buffer.from('val')]);
    await expect(client.execute('INSERT', { k: 3 }, { prepare: true })).rejects.toThrow(ArgumentError);
    await client.shutdown();
  });

  it('re-prepares on UNPREPARED on the same host and retries once', async () => {
    let executes = 0;
    let prepares = 0;
    const { client, engine } = newClient((req) => {
      if (req.opcode === opcodes.prepare) {
        prepares++;
        return preparedBody(Buffer.from([prepares]), [['k', INT]], [0], []);
      }
      executes++;
      if (executes === 2) return errorBody(0x2500, 'Prepared query with ID 01 not found', (w) => w.shortBytes(Buffer.from([1])));
      return voidBody();
    });
    await client.execute('INSERT', [1], { prepare: true });
    const rs = await client.execute('INSERT', [1], { prepare: true });
    expect(rs.info.triedHosts).toBeDefined();
    expect(prepares).toBe(2);
    const sent = engine().sent;
    const last = sent[sent.length - 1]!;
    const reprepare = sent[sent.length - 2]!;
    expect(reprepare.opcode).toBe(opcodes.prepare);
    expect(reprepare.hostIndex).toBe(sent[sent.length - 3]!.hostIndex >= 0 ? sent[sent.length - 3]!.hostIndex : reprepare.hostIndex);
    expect(last.hostIndex).toBe(reprepare.hostIndex);
    expect(parseExecute(last.body).id).toEqual(Buffer.from([2]));
    await client.shutdown();
  });

  it('concurrent UNPREPARED answers share one re-PREPARE per host', async () => {
    let prepares = 0;
    let unprepared = true;
    const { client } = newClient((req) => {
      if (req.opcode === opcodes.prepare) {
        prepares++;
        unprepared = prepares === 1;
        return preparedBody(Buffer.from([1]), [['k', INT]], [0], []);
      }
      return unprepared ? errorBody(0x2500, 'unprepared', (w) => w.shortBytes(Buffer.from([1]))) : voidBody();
    });
    await client.execute('INSERT', [0], { prepare: true, host: undefined }).catch(() => undefined);
    prepares = 1;
    unprepared = true;
    const hosts = await Promise.all(Array.from({ length: 8 }, (_, i) => client.execute('INSERT', [i], { prepare: true })));
    expect(hosts).toHaveLength(8);
    // One re-PREPARE per host that answered UNPREPARED (the fake engine spreads requests over 2 hosts).
    expect(prepares).toBeLessThanOrEqual(3);
    await client.shutdown();
  });

  it('a failed PREPARE rejects every waiter and is not cached', async () => {
    let prepares = 0;
    const { client } = newClient(() => {
      prepares++;
      return errorBody(0x2200, 'unconfigured table t');
    });
    const errs = await Promise.all([1, 2].map(() => client.execute('SELECT * FROM t', [], { prepare: true }).catch((e: unknown) => e)));
    for (const e of errs) expect((e as ResponseError).code).toBe(0x2200);
    expect(prepares).toBe(1);
    await client.execute('SELECT * FROM t', [], { prepare: true }).catch(() => undefined);
    expect(prepares).toBe(2);
    await client.shutdown();
  });

  it('applies the retry policy: one retry on Unavailable on the next host, then rethrows', async () => {
    const { client, engine } = newClient(() =>
      errorBody(0x1000, 'Cannot achieve consistency', (w) => {
        w.u16(4);
        w.i32(2);
        w.i32(1);
      }),
    );
    const err = (await client.execute('SELECT 1').catch((e: unknown) => e)) as ResponseError;
    expect(err).toBeInstanceOf(ResponseError);
    expect(err.code).toBe(0x1000);
    expect(err.required).toBe(2);
    expect(engine().sent).toHaveLength(2);
    // The next host of the plan: the one not tried yet.
    expect(engine().sent[1]!.hostIndex).toBe(1);
    await client.shutdown();
  });

  it('ends with NoHostAvailableError when the retry policy wants the next host and every host was tried (as cassandra-driver)', async () => {
    const { client, engine } = newClient(() =>
      errorBody(0x1000, 'Cannot achieve consistency', (w) => {
        w.u16(4);
        w.i32(2);
        w.i32(1);
      }),
    );
    await client.connect();
    engine().hosts.splice(1, 1);
    const err = (await client.execute('SELECT 1').catch((e: unknown) => e)) as NoHostAvailableError;
    expect(err).toBeInstanceOf(NoHostAvailableError);
    expect(err.message.split('\n')[0]).toBe(
      'All host(s) tried for query failed. First host tried, 10.0.0.1:9042: ResponseError: Not enough replicas available for query at consistency QUORUM (2 required but only 1 alive)',
    );
    expect(err.innerErrors['10.0.0.1:9042']).toBeInstanceOf(ResponseError);
    expect(engine().sent).toHaveLength(1);
    await client.shutdown();
  });

  it('retries client timeouts only for idempotent queries', async () => {
    let calls = 0;
    const { client, engine } = newClient(() => (++calls === 1 ? new OperationTimedOutError('timed out', '10.0.0.1:9042') : voidBody()));
    await expect(client.execute('INSERT')).rejects.toBeInstanceOf(OperationTimedOutError);
    expect(engine().sent).toHaveLength(1);
    calls = 0;
    const rs = await client.execute('INSERT', [], { isIdempotent: true });
    expect(rs.info.triedHosts['10.0.0.1:9042']).toBeInstanceOf(OperationTimedOutError);
    expect(engine().sent).toHaveLength(3);
    await client.shutdown();
  });

  it("the integration tests' BusyServerRetryPolicy resends an idempotent write on WriteTimeout and Overloaded to the same host, bounded", async () => {
    const writeTimeout = (): { error: Buffer } =>
      errorBody(0x1100, 'Operation timed out', (w) => {
        w.u16(1);
        w.i32(0);
        w.i32(1);
        w.string('SIMPLE');
      });
    // The answers to come, in order; then RESULT Void.
    let answers: Array<() => { error: Buffer }> = [writeTimeout, () => errorBody(0x1001, 'Overloaded')];
    const script: Script = () => answers.shift()?.() ?? voidBody();
    const policy = new BusyServerRetryPolicy(3);
    const { client, engine } = newClient(script, { policies: { retry: policy }, queryOptions: { isIdempotent: true } });
    await client.execute('INSERT');
    expect(engine().sent.map((s) => s.hostIndex)).toEqual([-1, 0, 0]);
    expect(policy.retried).toEqual({ writeTimeout: 1, readTimeout: 0, requestError: 1 });
    // Past its bound (3 retries) the server's answer reaches the test.
    answers = Array.from({ length: 10 }, () => writeTimeout);
    const err = (await client.execute('INSERT').catch((e: unknown) => e)) as ResponseError;
    expect(err.code).toBe(0x1100);
    expect(engine().sent).toHaveLength(3 + 4);
    // A statement that is not idempotent is never resent.
    answers = [writeTimeout];
    await expect(client.execute('INSERT', [], { isIdempotent: false })).rejects.toBeInstanceOf(ResponseError);
    expect(engine().sent).toHaveLength(3 + 4 + 1);
    await client.shutdown();
  });

  function pagingScript(total: number, pageRows: number): Script {
    return (req) => {
      const p = parseQuery(req.body);
      expect(p.pageSize).toBe(pageRows);
      const start = p.pagingState ? p.pagingState.readInt32BE(0) : 0;
      const end = Math.min(total, start + pageRows);
      const rows: unknown[][] = [];
      for (let i = start; i < end; i++) rows.push([i]);
      let state: Buffer | null = null;
      if (end < total) {
        state = Buffer.alloc(4);
        state.writeInt32BE(end, 0);
      }
      return rowsBody([['i', INT]], rows, state);
    };
  }

  it('pages: pageState, manual pageState option, for await across pages', async () => {
    const { client } = newClient(pagingScript(95, 10));
    const rs = await client.execute('SELECT i FROM t', [], { fetchSize: 10 });
    expect(rs.rowLength).toBe(10);
    expect(rs.pageState).toBe('0000000a');
    const rs2 = await client.execute('SELECT i FROM t', [], { fetchSize: 10, pageState: rs.pageState! });
    expect(rs2.first()!['i']).toBe(10);
    const all: number[] = [];
    for await (const row of rs) all.push(row['i'] as number);
    expect(all).toEqual(Array.from({ length: 95 }, (_, i) => i));
    await client.shutdown();
  });

  it('eachRow with autoPage visits every row; without it, nextPage continues', async () => {
    const { client } = newClient(pagingScript(95, 10));
    const seen: number[] = [];
    const result = await new Promise<ResultSet>((res, rej) => {
      client.eachRow(
        'SELECT i FROM t',
        [],
        { fetchSize: 10, autoPage: true },
        (n, row) => seen.push(row['i'] as number),
        (err, r) => (err ? rej(err) : res(r!)),
      );
    });
    expect(seen).toHaveLength(95);
    expect(result.rowLength).toBe(95);
    const manual: number[] = [];
    let pages = 0;
    await new Promise<void>((res, rej) => {
      client.eachRow(
        'SELECT i FROM t',
        [],
        { fetchSize: 10 },
        (n, row) => manual.push(row['i'] as number),
        (err, r) => {
          if (err) return rej(err);
          pages++;
          if (r!.nextPage && pages < 3) (r!.nextPage as () => void)();
          else res();
        },
      );
    });
    expect(manual).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await client.shutdown();
  });

  it('stream yields every row with back-pressure and ends', async () => {
    let requests = 0;
    const script = pagingScript(95, 10);
    const { client } = newClient((req, e) => {
      requests++;
      return script(req, e);
    });
    const stream = client.stream('SELECT i FROM t', [], { fetchSize: 10 });
    const rows: number[] = [];
    await new Promise<void>((res, rej) => {
      stream.on('readable', () => {
        let row: { i: number } | null;
        while ((row = stream.read() as { i: number } | null) !== null) rows.push(row.i);
      });
      stream.on('end', res);
      stream.on('error', rej);
    });
    expect(rows).toEqual(Array.from({ length: 95 }, (_, i) => i));
    expect(requests).toBe(10);
    await client.shutdown();
  });

  it('stream emits errors', async () => {
    const { client } = newClient(() => errorBody(0x2200, 'bad'));
    const stream = client.stream('SELECT i FROM t');
    const err = await new Promise<Error>((res) => stream.on('error', res));
    expect((err as ResponseError).code).toBe(0x2200);
    await client.shutdown();
  });

  it('batch: simple and prepared, types and validation', async () => {
    const { client, engine } = newClient((req) => {
      if (req.opcode === opcodes.prepare) return preparedBody(Buffer.from([7]), [['k', INT]], [0], []);
      return voidBody();
    });
    await expect(client.batch([] as never)).rejects.toThrow(ArgumentError);
    await expect(client.batch('x' as never)).rejects.toThrow(ArgumentError);
    await client.batch(['INSERT 1', { query: 'INSERT ?', params: [1] }], { logged: false });
    let b = engine().sent.find((s) => s.opcode === opcodes.batch)!;
    expect(b.body[0]).toBe(1); // unlogged
    expect(b.body.readUInt16BE(1)).toBe(2);
    await client.batch([{ query: 'INSERT k', params: [4] }], { prepare: true, counter: true });
    b = engine().sent.filter((s) => s.opcode === opcodes.batch)[1]!;
    expect(b.body[0]).toBe(2); // counter
    expect(b.body[3]).toBe(1); // kind: prepared id
    expect(b.hasToken).toBe(true);
    await client.shutdown();
  });

  it('USE updates client.keyspace and the engine', async () => {
    const { client, engine } = newClient(() => {
      const w = new ByteWriter(32);
      w.i32(3);
      w.string('ks2');
      return w.toBuffer();
    });
    await client.execute('USE ks2');
    expect(client.keyspace).toBe('ks2');
    expect(engine().keyspaces).toEqual(['ks2']);
    await client.shutdown();
  });

  it('shutdown: pending requests settle; later calls fail with NoHostAvailableError', async () => {
    let release: (() => void) | null = null;
    const { client } = newClient(() => new Promise<Buffer>((res) => (release = () => res(voidBody()))));
    await client.connect();
    const pending = client.execute('SELECT 1');
    await new Promise((r) => setTimeout(r, 5));
    const shut = client.shutdown();
    release!();
    await expect(pending).resolves.toBeDefined();
    await shut;
    await expect(client.execute('SELECT 1')).rejects.toBeInstanceOf(NoHostAvailableError);
    await expect(client.connect()).rejects.toBeInstanceOf(NoHostAvailableError);
  });

  it('getState and hosts reflect the engine', async () => {
    const { client } = newClient(() => voidBody());
    await client.connect();
    expect(client.hosts.keys()).toEqual(['10.0.0.1:9042', '10.0.0.2:9042']);
    expect(client.hosts.get('10.0.0.1:9042')!.isUp()).toBe(true);
    expect(client.getState().getConnectedHosts()).toHaveLength(2);
    await client.shutdown();
  });

  it('requires localDataCenter as cassandra-driver does', async () => {
    const client = new Client({ contactPoints: ['10.0.0.1'] }, (o) => new FakeEngine(o, () => voidBody()));
    await expect(client.connect()).rejects.toThrow("'localDataCenter' is not defined");
    const wrong = new Client({ contactPoints: ['10.0.0.1'], localDataCenter: 'dc9' }, (o) => new FakeEngine(o, () => voidBody()));
    await expect(wrong.connect()).rejects.toThrow('Datacenter dc9 was not found. Available DCs are: [dc1]');
  });

  it('sends tracing and custom payload flags, the payload as a bytes map before the body', async () => {
    const { client, engine } = newClient(() => voidBody());
    await client.execute('INSERT', [], { traceQuery: true, customPayload: { k: Buffer.from([1, 2]) } });
    const req = engine().sent[0]!;
    expect(req.flags & 0x02).toBe(0x02);
    expect(req.flags & 0x04).toBe(0x04);
    const r = new ByteReader(req.body);
    expect(r.bytesMap()).toEqual({ k: Buffer.from([1, 2]) });
    expect(r.longString()).toBe('INSERT');
    await client.shutdown();
  });

  it('concurrent.executeConcurrent runs every parameter set and collects errors', async () => {
    let n = 0;
    const { client } = newClient((req) => {
      if (req.opcode === opcodes.prepare) return preparedBody(Buffer.from([1]), [['k', INT]], [0], []);
      return ++n === 5 ? errorBody(0x2200, 'bad') : voidBody();
    });
    const params = Array.from({ length: 20 }, (_, i) => [i]);
    const result = await concurrent.executeConcurrent(client, 'INSERT', params, {
      concurrencyLevel: 4,
      raiseOnFirstError: false,
      collectResults: true,
    });
    expect(result.totalExecuted).toBe(20);
    expect(result.errors).toHaveLength(1);
    expect(result.resultItems).toHaveLength(20);
    await expect(concurrent.executeConcurrent(client, 'INSERT', params)).resolves.toBeDefined();
    await client.shutdown();
  });

  it('rejects unknown execution profiles with ArgumentError', async () => {
    const { client } = newClient(() => voidBody());
    await expect(client.execute('SELECT 1', [], { executionProfile: 'nope' })).rejects.toThrow(ArgumentError);
    await client.shutdown();
  });
});

describe('querySystem: an ordinary request with system options', () => {
  /** Counts every ClientMetrics hook the client calls (timed: a clock read per request when consumed). */
  class CountingMetrics extends ClientMetrics {
    calls: string[] = [];
    override onResponse(): void {
      this.calls.push('onResponse');
    }
    override onSuccessfulResponse(): void {
      this.calls.push('onSuccessfulResponse');
    }
    override onUnavailableError(): void {
      this.calls.push('onUnavailableError');
    }
    override onUnavailableRetry(): void {
      this.calls.push('onUnavailableRetry');
    }
    override onOtherError(): void {
      this.calls.push('onOtherError');
    }
  }
  class CountingTracker extends tracker.RequestTracker {
    calls = 0;
    override onSuccess(): void {
      this.calls++;
    }
    override onError(): void {
      this.calls++;
    }
  }
  const unavailable = (): { error: Buffer } =>
    errorBody(0x1000, 'Cannot achieve consistency', (w) => {
      w.u16(1);
      w.i32(1);
      w.i32(0);
    });

  it('sends QUERY at ONE without timestamp or paging, pinned to the host asked for, and returns the rows', async () => {
    const metrics = new CountingMetrics();
    const track = new CountingTracker();
    const { client, engine } = newClient(
      (req) => {
        if (parseQuery(req.body).query.startsWith('SELECT schema_version')) return rowsBody([['schema_version', TEXT]], [['v1']]);
        return voidBody();
      },
      { metrics, requestTracker: track },
    );
    await client.connect();
    const rows = await client.querySystem('SELECT schema_version FROM system.local', 1);
    expect(rows.map((r) => r['schema_version'])).toEqual(['v1']);
    const sent = engine().sent.at(-1)!;
    expect(sent.opcode).toBe(opcodes.query);
    expect(sent.hostIndex).toBe(1);
    expect(sent.flags).toBe(0);
    const p = parseQuery(sent.body);
    expect(p.consistency).toBe(1);
    expect(p.flags & 0x20).toBe(0);
    expect(p.flags & 0x04).toBe(0);
    expect(track.calls).toBe(0);
    expect(metrics.calls).toEqual([]);
    // The same statement as an application's execute: tracked and timed.
    await client.execute('SELECT schema_version FROM system.local');
    expect(track.calls).toBe(1);
    expect(metrics.calls).toEqual(['onResponse', 'onSuccessfulResponse']);
    await client.shutdown();
  });

  it('is not retried: a server error reaches the caller as the server sent it, uncounted', async () => {
    const metrics = new CountingMetrics();
    const track = new CountingTracker();
    const { client, engine } = newClient(() => unavailable(), { metrics, requestTracker: track });
    await client.connect();
    const before = engine().sent.length;
    const err = (await client.querySystem('SELECT peer FROM system.peers').catch((e: unknown) => e)) as ResponseError & { query?: string };
    expect(err).toBeInstanceOf(ResponseError);
    expect(err.code).toBe(0x1000);
    expect(err.query).toBeUndefined();
    expect(err.coordinator).toBeUndefined();
    expect(engine().sent.length - before).toBe(1);
    expect(track.calls).toBe(0);
    expect(metrics.calls).toEqual([]);
    // An application's execute of it: the default retry policy retries Unavailable once, on the next host.
    const err2 = (await client.execute('SELECT peer FROM system.peers').catch((e: unknown) => e)) as ResponseError & { query?: string };
    expect(err2.query).toBe('SELECT peer FROM system.peers');
    expect(engine().sent.length - before).toBe(3);
    expect(metrics.calls).toContain('onUnavailableRetry');
    await client.shutdown();
  });

  it('is not resent when the engine reports it was never sent', async () => {
    let system = 0;
    const { client, engine } = newClient((req) => {
      if (parseQuery(req.body).query === 'SELECT * FROM system.local') {
        system++;
        return markNotSent(new NoHostAvailableError({ '10.0.0.1:9042': new Error('connection gone') }));
      }
      return voidBody();
    });
    await client.connect();
    await expect(client.querySystem('SELECT * FROM system.local')).rejects.toBeInstanceOf(NoHostAvailableError);
    expect(system).toBe(1);
    expect(engine().sent.length).toBeGreaterThan(0);
    await client.shutdown();
  });
});
