// Per-connection counting in @shardcql/shard-worker's Connection, against a tiny CQL v4 server: every
// error kind a real Cassandra cannot be made to show on demand (timeouts, a connection lost), the
// coalescing counters, bytes, and the latency histogram.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ByteWriter, EnvelopeParser, opcodes, writeHeader, type CqlEvent } from '@shardcql/core';
import {
  Connection,
  ConnectionMetrics,
  createMetricsBuffer,
  defaultConnectionOptions,
  type ConnectionListener,
  type IncomingAnswer,
} from '@shardcql/shard-worker';
import { req } from '../../shard-worker/test/helpers/connections';
import { ShardMetricsReader } from '../src/metrics/shard-metrics';

function envelope(stream: number, opcode: number, body: Uint8Array): Buffer {
  const b = Buffer.alloc(9 + body.length);
  writeHeader(b, 0, 0x84, 0, stream, opcode, body.length);
  b.set(body, 9);
  return b;
}

const SUPPORTED = ((): Buffer => {
  const w = new ByteWriter(64);
  w.u16(1);
  w.string('CQL_VERSION');
  w.stringList(['3.4.7']);
  return w.toBuffer();
})();
const SERVER_ERROR = ((): Buffer => {
  const w = new ByteWriter(64);
  w.i32(0x2200);
  w.string('invalid');
  return w.toBuffer();
})();

/** QUERY bodies: 'ok' answers VOID, 'err' an ERROR, 'hang' nothing, 'kill' closes the socket. */
function fakeServer(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((sock) => {
    const p = new EnvelopeParser();
    sock.on('error', () => {});
    sock.on('data', (chunk) => {
      p.push(chunk);
      while (p.next()) {
        const body = Buffer.from(p.body.subarray(p.bodyStart, p.bodyEnd)).toString();
        const stream = p.stream;
        if (p.opcode === opcodes.options) sock.write(envelope(p.stream, opcodes.supported, SUPPORTED));
        else if (p.opcode === opcodes.startup) sock.write(envelope(p.stream, opcodes.ready, new Uint8Array(0)));
        else if (body === 'ok') setTimeout(() => sock.write(envelope(stream, opcodes.result, Buffer.from([0, 0, 0, 1]))), 0);
        else if (body === 'err') sock.write(envelope(p.stream, opcodes.error, SERVER_ERROR));
        else if (body === 'kill') sock.destroy();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.2', () => resolve({ server, port: (server.address() as net.AddressInfo).port })),
  );
}

class Listener implements ConnectionListener {
  answers = 0;
  errorAnswers = 0;
  failures: number[] = [];
  onResponse(_tag: number, a: IncomingAnswer): void {
    this.answers++;
    if (a.opcode === opcodes.error) this.errorAnswers++;
  }
  onFailure(_tag: number, kind: number): void {
    this.failures.push(kind);
  }
  onEvent(_e: CqlEvent): void {}
  onClose(): void {}
}

// By the clock, not a count of 5 ms sleeps: on a busy machine each sleep is longer, and an exchange can be too.
const until = async (f: () => boolean): Promise<void> => {
  for (const end = Date.now() + 10_000; !f() && Date.now() < end;) await new Promise((r) => setTimeout(r, 5));
};

let server: net.Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

describe('Connection metrics', () => {
  it('counts requests, answers, server errors, timeouts, connection lost, bytes, frames per write, latency', async () => {
    const s = await fakeServer();
    server = s.server;
    const sab = createMetricsBuffer(4, 2);
    const metrics = new ConnectionMetrics(sab, 2, 1);
    metrics.c[0] = 1; // C_STATE up (the worker sets it)
    const l = new Listener();
    const c = await Connection.open(
      { ...defaultConnectionOptions('127.0.0.2', s.port), maxProtocolVersion: 4, heartbeatIntervalMs: 0, metrics },
      l,
    );
    const send = (tag: number, what: string, timeoutMs = 0): boolean => {
      const b = Buffer.from(what);
      return c.send(req(tag, opcodes.query, 0, b, 0, b.length, timeoutMs));
    };
    // 100 requests in one batch: one flush, so 100 frames in one socket write.
    for (let t = 0; t < 100; t++) send(t, 'ok');
    c.flush();
    await until(() => l.answers === 100);
    send(100, 'err');
    send(101, 'hang', 30);
    c.flush();
    await until(() => l.answers === 101 && l.failures.length === 1);
    send(102, 'hang');
    send(103, 'kill');
    c.flush();
    await until(() => l.failures.length === 3);
    expect(l.errorAnswers).toBe(1);
    const m = new ShardMetricsReader(sab).read(1, '127.0.0.2:x')!;
    expect(m).toMatchObject({
      requests: 104,
      responses: 101,
      serverErrors: 1,
      timeouts: 1,
      connectionLost: 2,
      inFlight: 0,
      errors: 4,
      latencyCount: 101,
    });
    expect(m.framesWritten).toBe(104 + 2); // + OPTIONS and STARTUP
    expect(m.socketWrites).toBeLessThanOrEqual(5);
    expect(m.framesPerWrite).toBeGreaterThan(20);
    // Headers + QUERY bodies ('ok' x100, 'err', 'hang' x2, 'kill') + the STARTUP body (OPTIONS has none).
    expect(m.bytesSent).toBeGreaterThan(106 * 9 + 100 * 2 + 3 + 8 + 4);
    expect(m.bytesReceived).toBeGreaterThan(100 * 13);
    expect(m.p50Us).toBeGreaterThan(0);
    expect(m.p99Us).toBeLessThan(2_000_000);
    expect(c.socketWrites).toBe(m.socketWrites);
  });

  it('counts nothing and allocates no send-time table without a metrics slot', async () => {
    const s = await fakeServer();
    server = s.server;
    const l = new Listener();
    const c = await Connection.open({ ...defaultConnectionOptions('127.0.0.2', s.port), maxProtocolVersion: 4, heartbeatIntervalMs: 0 }, l);
    expect(c.metrics).toBeNull();
    const b = Buffer.from('ok');
    c.send(req(1, opcodes.query, 0, b, 0, b.length, 0));
    c.flush();
    await until(() => l.answers === 1);
    expect(l.answers).toBe(1);
    await c.close();
  });
});
