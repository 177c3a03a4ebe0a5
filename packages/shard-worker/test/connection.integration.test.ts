import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ByteWriter, FailureKind, ResponseError, opcodes, type CqlEvent } from '@shardcql/core';
import {
  Connection,
  defaultConnectionOptions,
  encodeSimpleQuery,
  type ConnectionListener,
  type ConnectionOptions,
  type IncomingAnswer,
} from '../src/connection';
import { req } from './helpers/connections';

// Against the real Cassandra 5.0 that the test runner starts on 127.0.0.1:9042 (scripts/db.mjs).
const HOST = process.env.SHARDCQL_TEST_HOST ?? '127.0.0.1';
const SELECT_LOCAL = 'SELECT release_version FROM system.local';

/** Records what a connection reports; tags index typed arrays, like the engine would. */
class Recorder implements ConnectionListener {
  answered = 0;
  failed = 0;
  readonly seen: Uint8Array;
  readonly opcodesSeen = new Map<number, number>();
  readonly failures: { tag: number; kind: number; message: string }[] = [];
  lastBody = '';
  readonly smallTagBodies = new Map<number, string>();
  closes: (Error | null)[] = [];
  events: CqlEvent[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(capacity = 65536) {
    this.seen = new Uint8Array(capacity);
  }

  onResponse(tag: number, a: IncomingAnswer): void {
    const opcode = a.opcode;
    const body = a.body;
    const start = a.start;
    const end = a.end;
    this.seen[tag]++;
    this.answered++;
    this.opcodesSeen.set(opcode, (this.opcodesSeen.get(opcode) ?? 0) + 1);
    if (this.answered === 1) this.lastBody = body.toString('latin1', start, end);
    if (tag < 16) this.smallTagBodies.set(tag, body.toString('latin1', start, end));
    this.wake();
  }
  onFailure(tag: number, kind: number, message: string): void {
    this.failed++;
    this.failures.push({ tag, kind, message });
    this.wake();
  }
  onEvent(event: CqlEvent): void {
    this.events.push(event);
  }
  onClose(_conn: Connection, error: Error | null): void {
    this.closes.push(error);
  }
  /** Resolves once answered + failed reaches n. */
  until(n: number): Promise<void> {
    if (this.answered + this.failed >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  private wake(): void {
    const done = this.answered + this.failed;
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (done >= w.n) w.resolve();
      return done < w.n;
    });
  }
}

function options(over: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return { ...defaultConnectionOptions(HOST), heartbeatIntervalMs: 0, ...over };
}

function queryBody(version: number, query = SELECT_LOCAL): Buffer {
  const w = new ByteWriter(256);
  encodeSimpleQuery(w, version, query, 1 /* ONE */);
  return w.toBuffer();
}

function socketOf(c: Connection): Socket {
  return (c as unknown as { socket: Socket }).socket;
}

/** Counts real socket.write calls. */
function countWrites(c: Connection): { count: number } {
  const s = socketOf(c);
  const counter = { count: 0 };
  const orig = s.write.bind(s) as (...a: unknown[]) => boolean;
  (s as unknown as { write: (...a: unknown[]) => boolean }).write = (...a: unknown[]) => {
    counter.count++;
    return orig(...a);
  };
  return counter;
}

const open: Connection[] = [];
async function connect(over: Partial<ConnectionOptions>, listener: ConnectionListener): Promise<Connection> {
  const c = await Connection.open(options(over), listener);
  open.push(c);
  return c;
}

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
});

describe('Connection against Cassandra 5.0', () => {
  for (const version of [5, 4] as const) {
    for (const compression of ['none', 'lz4'] as const) {
      it(`handshakes on v${version} with compression ${compression} and answers queries`, async () => {
        const rec = new Recorder();
        const c = await connect({ maxProtocolVersion: version, compression }, rec);
        expect(c.protocolVersion).toBe(version);
        expect(c.state).toBe('ready');
        expect(c.compression).toBe(compression);
        expect(c.supported['CQL_VERSION']?.length).toBeGreaterThan(0);
        expect(c.supported['COMPRESSION']).toContain('lz4');
        const body = queryBody(version);
        for (let i = 0; i < 200; i++) expect(c.send(req(i, opcodes.query, 0, body, 0, body.length, 10000))).toBe(true);
        await rec.until(200);
        expect(rec.failed).toBe(0);
        expect(rec.opcodesSeen.get(opcodes.result)).toBe(200);
        // RESULT Rows with the release version text: the body was decompressed / unframed correctly.
        expect(rec.lastBody).toMatch(/5\.0\.\d+/);
        expect(c.inFlight).toBe(0);
      });
    }
  }

  it('answers 10,000 concurrent queries, each tag exactly once', async () => {
    const rec = new Recorder();
    const c = await connect({}, rec);
    const body = queryBody(c.protocolVersion);
    const t0 = performance.now();
    for (let i = 0; i < 10000; i++) expect(c.send(req(i, opcodes.query, 0, body, 0, body.length, 30000))).toBe(true);
    c.flush();
    await rec.until(10000);
    const ms = performance.now() - t0;
    expect(rec.failed).toBe(0);
    for (let i = 0; i < 10000; i++) expect(rec.seen[i]).toBe(1);
    expect(c.inFlight).toBe(0);
    expect(c.availableStreams).toBe(32768);
    console.log(`10,000 concurrent SELECTs on v${c.protocolVersion}: ${ms.toFixed(0)} ms, ${c.socketWrites} socket writes in all`);
  });

  it('returns false from send when all 32768 stream ids are taken, then recovers', async () => {
    const rec = new Recorder();
    const c = await connect({}, rec);
    const body = queryBody(c.protocolVersion);
    let sent = 0;
    while (c.send(req(sent, opcodes.query, 0, body, 0, body.length, 60000))) sent++;
    expect(sent).toBe(32768);
    expect(c.availableStreams).toBe(0);
    expect(c.send(req(99999, opcodes.query, 0, body, 0, body.length, 60000))).toBe(false);
    c.flush();
    await rec.until(32768);
    expect(rec.failed).toBe(0);
    expect(c.availableStreams).toBe(32768);
    expect(c.send(req(40000, opcodes.query, 0, body, 0, body.length, 60000))).toBe(true);
    await rec.until(32769);
    expect(rec.seen[40000]).toBe(1);
  });

  it('honours a smaller maxRequestsPerConnection', async () => {
    const rec = new Recorder();
    const c = await connect({ maxRequestsPerConnection: 128 }, rec);
    const body = queryBody(c.protocolVersion);
    let sent = 0;
    while (c.send(req(sent, opcodes.query, 0, body, 0, body.length, 10000))) sent++;
    expect(sent).toBe(128);
    await rec.until(128);
  });

  for (const version of [5, 4] as const) {
    it(`coalesces 1000 sends of one drain into 1-2 socket writes (v${version})`, async () => {
      const rec = new Recorder();
      const c = await connect({ maxProtocolVersion: version }, rec);
      const body = queryBody(version);
      const writes = countWrites(c);
      for (let i = 0; i < 1000; i++) c.send(req(i, opcodes.query, 0, body, 0, body.length, 10000));
      c.flush();
      await rec.until(1000);
      console.log(`v${version}: 1000 sends in one drain (${body.length + 9} bytes each) -> ${writes.count} socket write(s)`);
      expect(writes.count).toBeGreaterThanOrEqual(1);
      expect(writes.count).toBeLessThanOrEqual(2);
    });
  }

  it('flushes a send made outside of a drain without waiting for a timer', async () => {
    const rec = new Recorder();
    const c = await connect({}, rec);
    const body = queryBody(c.protocolVersion);
    const writes = countWrites(c);
    // No flush() call: the microtask scheduled by the first frame writes it.
    c.send(req(1, opcodes.query, 0, body, 0, body.length, 5000));
    c.send(req(2, opcodes.query, 0, body, 0, body.length, 5000));
    await Promise.resolve();
    expect(writes.count).toBe(1);
    await rec.until(2);
  });

  for (const version of [5, 4] as const) {
    it(`latency at concurrency 1 (2000 sequential queries, v${version})`, async () => {
      const rec = new Recorder();
      const c = await connect({ maxProtocolVersion: version }, rec);
      const body = queryBody(version);
      const lat = new Float64Array(2000);
      for (let i = 0; i < 2200; i++) {
        const t = performance.now();
        c.send(req(i, opcodes.query, 0, body, 0, body.length, 5000));
        c.flush();
        await rec.until(i + 1);
        if (i >= 200) lat[i - 200] = performance.now() - t; // 200 warm-up queries
      }
      lat.sort();
      const us = (q: number): string => (lat[Math.floor(q * (lat.length - 1))]! * 1000).toFixed(0);
      console.log(`v${version} concurrency 1: p50 ${us(0.5)} us, p90 ${us(0.9)} us, p99 ${us(0.99)} us`);
      expect(rec.failed).toBe(0);
    });
  }

  it('sets the keyspace in the handshake and rejects an unknown one', async () => {
    const rec = new Recorder();
    const c = await connect({ keyspace: 'system' }, rec);
    const body = queryBody(c.protocolVersion, 'SELECT release_version FROM local');
    c.send(req(7, opcodes.query, 0, body, 0, body.length, 5000));
    await rec.until(1);
    expect(rec.opcodesSeen.get(opcodes.result)).toBe(1);
    await expect(Connection.open(options({ keyspace: 'no_such_keyspace_xyz' }), new Recorder())).rejects.toBeInstanceOf(ResponseError);
  });

  it('passes ERROR answers to the engine as responses', async () => {
    const rec = new Recorder();
    const c = await connect({}, rec);
    const body = queryBody(c.protocolVersion, 'SELEC nonsense');
    c.send(req(3, opcodes.query, 0, body, 0, body.length, 5000));
    await rec.until(1);
    expect(rec.opcodesSeen.get(opcodes.error)).toBe(1);
    expect(c.state).toBe('ready');
  });

  it('control requests: OPTIONS and REGISTER', async () => {
    const c = await connect({}, new Recorder());
    const r = await c.request(opcodes.options, new Uint8Array(0), 5000);
    expect(r.opcode).toBe(opcodes.supported);
    const w = new ByteWriter(64);
    w.stringList(['SCHEMA_CHANGE']);
    const reg = await c.request(opcodes.register, w.view(), 5000);
    expect(reg.opcode).toBe(opcodes.ready);
  });

  for (const [version, compression] of [
    [5, 'none'],
    [5, 'lz4'],
    [4, 'lz4'],
    [4, 'none'],
  ] as const) {
    it(`carries messages larger than one v5 frame both ways (v${version}, ${compression})`, async () => {
      const rec = new Recorder();
      const c = await connect({ maxProtocolVersion: version, compression }, rec);
      // A 300 kB request (a comment pads the query) and a result of the whole schema table.
      const big = queryBody(version, `SELECT release_version FROM system.local /* ${'x'.repeat(300_000)} */`);
      c.send(req(1, opcodes.query, 0, big, 0, big.length, 20000));
      // The answer echoes a 200 kB literal: a result split over several v5 frames.
      const cols = queryBody(version, `SELECT release_version, (text)'${'y'.repeat(200_000)}' AS filler FROM system.local`);
      c.send(req(2, opcodes.query, 0, cols, 0, cols.length, 20000));
      await rec.until(2);
      expect(rec.failed).toBe(0);
      expect(rec.opcodesSeen.get(opcodes.result)).toBe(2);
      expect(rec.smallTagBodies.get(1)).toMatch(/5\.0\.\d+/);
      const schema = rec.smallTagBodies.get(2)!;
      expect(schema.length).toBeGreaterThan(131072);
      expect(schema).toContain('y'.repeat(200_000));
    });
  }

  it('delivers server events (SCHEMA_CHANGE) after REGISTER, through v5 framing', async () => {
    const rec = new Recorder();
    const c = await connect({}, rec);
    const w = new ByteWriter(64);
    w.stringList(['SCHEMA_CHANGE']);
    expect((await c.request(opcodes.register, w.view(), 5000)).opcode).toBe(opcodes.ready);
    const ks = `conn_evt_${process.pid}_${Date.now() % 100000}`;
    const create = queryBody(
      c.protocolVersion,
      `CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    const r = await c.request(opcodes.query, create, 60000);
    expect(r.opcode).toBe(opcodes.result);
    const t0 = Date.now();
    while (!rec.events.some((e) => e.type === 'SCHEMA_CHANGE' && e.keyspace === ks) && Date.now() - t0 < 10000) {
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(rec.events).toContainEqual(
      expect.objectContaining({ type: 'SCHEMA_CHANGE', change: 'CREATED', target: 'KEYSPACE', keyspace: ks }),
    );
    await c.request(opcodes.query, queryBody(c.protocolVersion, `DROP KEYSPACE ${ks}`), 60000);
  });

  it('close() lets in-flight requests finish, then reports a clean close once', async () => {
    const rec = new Recorder();
    const c = await Connection.open(options(), rec);
    const body = queryBody(c.protocolVersion);
    for (let i = 0; i < 500; i++) c.send(req(i, opcodes.query, 0, body, 0, body.length, 10000));
    const closed = c.close();
    expect(c.state).toBe('draining');
    expect(c.send(req(999, opcodes.query, 0, body, 0, body.length, 10000))).toBe(false);
    await closed;
    expect(rec.answered).toBe(500);
    expect(rec.failed).toBe(0);
    expect(c.state).toBe('closed');
    expect(rec.closes).toEqual([null]);
  });

  it('a connection destroyed under load fails its in-flight requests with CONNECTION_LOST', async () => {
    const rec = new Recorder();
    const c = await Connection.open(options(), rec);
    const body = queryBody(c.protocolVersion);
    for (let i = 0; i < 2000; i++) c.send(req(i, opcodes.query, 0, body, 0, body.length, 10000));
    c.flush();
    socketOf(c).destroy(new Error('cut for test'));
    await rec.until(2000);
    expect(rec.answered + rec.failed).toBe(2000);
    expect(rec.failed).toBeGreaterThan(0);
    expect(rec.failures.every((f) => f.kind === FailureKind.CONNECTION_LOST)).toBe(true);
    expect(rec.closes.length).toBe(1);
    expect(rec.closes[0]?.message).toMatch(/cut for test/);
    expect(c.state).toBe('closed');
  });

  it('connecting to a closed port fails with the socket error', async () => {
    await expect(Connection.open(options({ port: 9 }), new Recorder())).rejects.toThrow(/ECONNREFUSED/);
  });
});
