// Behaviours a real Cassandra cannot be made to show on demand: garbage bytes, answers on unknown stream
// ids, stalls (timeouts, orphans, heartbeats), envelopes cut into single bytes, abrupt closes, a server
// that refuses v5, SASL. A tiny CQL v4 server over node:net on 127.0.0.2 and a random port.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ByteWriter,
  DriverInternalError,
  EnvelopeParser,
  FailureKind,
  OperationTimedOutError,
  opcodes,
  writeHeader,
  type CqlEvent,
} from '@shardcql/core';
import {
  Connection,
  defaultConnectionOptions,
  type ConnectionListener,
  type ConnectionOptions,
  type IncomingAnswer,
} from '../src/connection';
import { req } from './helpers/connections';

const HOST = '127.0.0.2';

interface Req {
  version: number;
  stream: number;
  opcode: number;
  body: Buffer;
}

/** What the fake server does with each request; default handshake answers are built in. */
type Handler = (sock: net.Socket, req: Req, server: FakeServer) => void;

function envelope(version: number, stream: number, opcode: number, body: Uint8Array = new Uint8Array(0), flags = 0): Buffer {
  const b = Buffer.alloc(9 + body.length);
  writeHeader(b, 0, 0x80 | version, flags, stream, opcode, body.length);
  b.set(body, 9);
  return b;
}

function supportedBody(): Buffer {
  const w = new ByteWriter(128);
  w.u16(2);
  w.string('CQL_VERSION');
  w.stringList(['3.4.7']);
  w.string('COMPRESSION');
  w.stringList([]);
  return w.toBuffer();
}

const VOID_RESULT = Buffer.from([0, 0, 0, 1]);

function errorBody(code: number, message: string): Buffer {
  const w = new ByteWriter(128);
  w.i32(code);
  w.string(message);
  return w.toBuffer();
}

class FakeServer {
  readonly server: net.Server;
  port = 0;
  readonly sockets: net.Socket[] = [];
  readonly requests: Req[] = [];
  constructor(
    readonly handler: Handler,
    tlsOptions: tls.TlsOptions | null = null,
  ) {
    const onSocket = (sock: net.Socket): void => {
      this.sockets.push(sock);
      const p = new EnvelopeParser();
      sock.on('error', () => {});
      sock.on('data', (chunk) => {
        p.push(chunk);
        while (p.next()) {
          const req = {
            version: p.version,
            stream: p.stream,
            opcode: p.opcode,
            body: Buffer.from(p.body.subarray(p.bodyStart, p.bodyEnd)),
          };
          this.requests.push(req);
          this.handler(sock, req, this);
        }
      });
    };
    this.server = tlsOptions !== null ? tls.createServer(tlsOptions, onSocket) : net.createServer(onSocket);
  }
  listen(): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(0, HOST, () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      }),
    );
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers the handshake as a v4 server; everything else goes to `rest` (default: RESULT Void at once). */
function v4Server(rest?: Handler): Handler {
  return (sock, req, server) => {
    switch (req.opcode) {
      case opcodes.options:
        if (req.version !== 4) {
          sock.write(
            envelope(
              4,
              req.stream,
              opcodes.error,
              errorBody(0x0a, `Invalid or unsupported protocol version (${req.version}); supported versions are (3/v3, 4/v4)`),
            ),
          );
          return;
        }
        if (rest !== undefined && server.requests.filter((r) => r.opcode === opcodes.options).length > 1) {
          rest(sock, req, server);
          return;
        }
        sock.write(envelope(4, req.stream, opcodes.supported, supportedBody()));
        return;
      case opcodes.startup:
        sock.write(envelope(4, req.stream, opcodes.ready));
        return;
      default:
        if (rest !== undefined) rest(sock, req, server);
        else sock.write(envelope(4, req.stream, opcodes.result, VOID_RESULT));
    }
  };
}

class Recorder implements ConnectionListener {
  readonly responses: { tag: number; opcode: number; body: Buffer }[] = [];
  readonly failures: { tag: number; kind: number; message: string }[] = [];
  readonly closes: (Error | null)[] = [];
  readonly events: CqlEvent[] = [];
  onResponse(tag: number, a: IncomingAnswer): void {
    this.responses.push({ tag, opcode: a.opcode, body: Buffer.from(a.body.subarray(a.start, a.end)) });
  }
  onFailure(tag: number, kind: number, message: string): void {
    this.failures.push({ tag, kind, message });
  }
  onEvent(e: CqlEvent): void {
    this.events.push(e);
  }
  onClose(_c: Connection, error: Error | null): void {
    this.closes.push(error);
  }
}

const servers: FakeServer[] = [];
const conns: Connection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler, tlsOptions: tls.TlsOptions | null = null): Promise<FakeServer> {
  const s = new FakeServer(handler, tlsOptions);
  await s.listen();
  servers.push(s);
  return s;
}

function opts(s: FakeServer, over: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return { ...defaultConnectionOptions(HOST, s.port), maxProtocolVersion: 4, heartbeatIntervalMs: 0, connectTimeoutMs: 2000, ...over };
}

async function open(s: FakeServer, rec: ConnectionListener, over: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const c = await Connection.open(opts(s, over), rec);
  conns.push(c);
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(2);
  }
}

const BODY = Buffer.from('0123456789');

describe('Connection against a fake server', () => {
  it('falls back from v5 to v4 when the server answers with a protocol error', async () => {
    const s = await serve(v4Server());
    const c = await open(s, new Recorder(), { maxProtocolVersion: 5 });
    expect(c.protocolVersion).toBe(4);
    expect(s.requests.map((r) => r.version)).toEqual([5, 4, 4]);
    expect(s.sockets.length).toBe(2);
    expect(c.supported['CQL_VERSION']).toEqual(['3.4.7']);
  });

  it('sends STARTUP with CQL_VERSION, driver name and version', async () => {
    const s = await serve(v4Server());
    await open(s, new Recorder(), { startupOptions: { APPLICATION_NAME: 'app' } });
    const startup = s.requests.find((r) => r.opcode === opcodes.startup)!;
    const text = startup.body.toString('latin1');
    for (const k of ['CQL_VERSION', '3.0.0', 'DRIVER_NAME', 'shardcql', 'DRIVER_VERSION', 'APPLICATION_NAME', 'app'])
      expect(text).toContain(k);
    expect(text).not.toContain('COMPRESSION'); // not asked: the server offers none
  });

  it('reassembles answers that arrive one byte at a time', async () => {
    // One byte per event-loop turn, envelopes one after the other.
    const queue: number[] = [];
    let dripping = false;
    const drip = (sock: net.Socket): void => {
      if (queue.length === 0) {
        dripping = false;
        return;
      }
      dripping = true;
      sock.write(Buffer.from([queue.shift()!]));
      setImmediate(drip, sock);
    };
    const s = await serve(
      v4Server((sock, req) => {
        for (const b of envelope(4, req.stream, opcodes.result, Buffer.from(`answer-${req.stream}`))) queue.push(b);
        if (!dripping) drip(sock);
      }),
    );
    const rec = new Recorder();
    const c = await open(s, rec);
    for (let t = 0; t < 5; t++) c.send(req(100 + t, opcodes.query, 0, BODY, 0, BODY.length, 5000));
    await until(() => rec.responses.length === 5);
    expect(rec.responses.map((r) => r.tag).sort()).toEqual([100, 101, 102, 103, 104]);
    for (const r of rec.responses) expect(r.body.toString()).toMatch(/^answer-\d+$/);
  });

  it('parses many answers in one chunk and one answer split across chunks', async () => {
    const pending: Buffer[] = [];
    const s = await serve(
      v4Server((sock, req) => {
        pending.push(envelope(4, req.stream, opcodes.result, Buffer.alloc(1000, req.stream & 0xff)));
        if (pending.length === 50) {
          const all = Buffer.concat(pending);
          sock.write(all.subarray(0, 12345));
          setTimeout(() => sock.write(all.subarray(12345)), 20);
        }
      }),
    );
    const rec = new Recorder();
    const c = await open(s, rec);
    for (let t = 0; t < 50; t++) c.send(req(t, opcodes.query, 0, BODY, 0, BODY.length, 5000));
    await until(() => rec.responses.length === 50);
    for (const r of rec.responses) expect(r.body.length).toBe(1000);
  });

  it('closes on garbage bytes and fails in-flight requests with CONNECTION_LOST', async () => {
    const s = await serve(v4Server((sock) => sock.write(Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a]))));
    const rec = new Recorder();
    const c = await open(s, rec);
    c.send(req(1, opcodes.query, 0, BODY, 0, BODY.length, 5000));
    c.send(req(2, opcodes.query, 0, BODY, 0, BODY.length, 5000));
    await until(() => rec.closes.length === 1);
    expect(c.state).toBe('closed');
    expect(rec.failures.map((f) => [f.tag, f.kind])).toEqual([
      [1, FailureKind.CONNECTION_LOST],
      [2, FailureKind.CONNECTION_LOST],
    ]);
    expect(rec.closes[0]).toBeInstanceOf(DriverInternalError);
  });

  it('treats an answer on an unknown stream id as a protocol error', async () => {
    const s = await serve(v4Server((sock, req) => sock.write(envelope(4, req.stream + 1000, opcodes.result, VOID_RESULT))));
    const rec = new Recorder();
    const c = await open(s, rec);
    c.send(req(5, opcodes.query, 0, BODY, 0, BODY.length, 5000));
    await until(() => rec.closes.length === 1);
    expect(rec.closes[0]!.message).toMatch(/stream \d+, which has no request/);
    expect(rec.failures).toEqual([expect.objectContaining({ tag: 5, kind: FailureKind.CONNECTION_LOST })]);
    expect(c.state).toBe('closed');
  });

  it('delivers events on stream -1', async () => {
    const s = await serve(
      v4Server((sock, req) => {
        const w = new ByteWriter(128);
        w.string('STATUS_CHANGE');
        w.string('UP');
        w.u8(4);
        w.raw(Buffer.from([10, 0, 0, 7]));
        w.i32(9042);
        sock.write(envelope(4, -1, opcodes.event, w.view()));
        sock.write(envelope(4, req.stream, opcodes.result, VOID_RESULT));
      }),
    );
    const rec = new Recorder();
    const c = await open(s, rec);
    c.send(req(1, opcodes.query, 0, BODY, 0, BODY.length, 5000));
    await until(() => rec.responses.length === 1);
    expect(rec.events).toEqual([expect.objectContaining({ type: 'STATUS_CHANGE', change: 'UP', address: '10.0.0.7', port: 9042 })]);
  });

  it('times out a stalled request, orphans its id and reclaims it when the late answer comes', async () => {
    const held: { sock: net.Socket; stream: number }[] = [];
    const s = await serve(v4Server((sock, req) => held.push({ sock, stream: req.stream })));
    const rec = new Recorder();
    const c = await open(s, rec, { maxRequestsPerConnection: 4 });
    const t0 = performance.now();
    expect(c.send(req(77, opcodes.query, 0, BODY, 0, BODY.length, 50))).toBe(true);
    await until(() => rec.failures.length === 1);
    const waited = performance.now() - t0;
    expect(rec.failures[0]).toMatchObject({ tag: 77, kind: FailureKind.TIMEOUT });
    expect(rec.failures[0]!.message).toMatch(/did not reply before timeout 50 ms/);
    expect(waited).toBeGreaterThanOrEqual(49);
    // At its deadline, not by a coarse sweep; the bound leaves room for a busy machine's late timers.
    expect(waited).toBeLessThan(1000);
    expect(c.inFlight).toBe(0);
    expect(c.orphanedStreams).toBe(1);
    expect(c.availableStreams).toBe(3);
    // The late answer frees the id and reaches nobody.
    held[0]!.sock.write(envelope(4, held[0]!.stream, opcodes.result, VOID_RESULT));
    await until(() => c.orphanedStreams === 0);
    expect(c.availableStreams).toBe(4);
    expect(rec.responses.length).toBe(0);
    expect(c.state).toBe('ready');
  });

  it('times out each request at its own deadline with one timer', async () => {
    const s = await serve(v4Server(() => {}));
    const rec = new Recorder();
    const c = await open(s, rec, { closeTimeoutMs: 10 });
    // Deadlines hundreds of ms apart: a stalled event loop that wakes past two of them times both out in one
    // scan (in stream id order), so the order below holds only if no stall outlasts a gap.
    c.send(req(1, opcodes.query, 0, BODY, 0, BODY.length, 1200));
    c.send(req(2, opcodes.query, 0, BODY, 0, BODY.length, 40));
    c.send(req(3, opcodes.query, 0, BODY, 0, BODY.length, 0)); // no timeout
    c.send(req(4, opcodes.query, 0, BODY, 0, BODY.length, 500));
    await until(() => rec.failures.length === 3);
    expect(rec.failures.map((f) => f.tag)).toEqual([2, 4, 1]);
    await sleep(50);
    expect(rec.failures.length).toBe(3);
    expect(c.inFlight).toBe(1);
  });

  it('declares the connection defunct when too many ids are orphaned', async () => {
    const s = await serve(v4Server(() => {}));
    const rec = new Recorder();
    const c = await open(s, rec, { maxOrphanedStreams: 10 });
    for (let t = 0; t < 11; t++) c.send(req(t, opcodes.query, 0, BODY, 0, BODY.length, 20));
    await until(() => rec.closes.length === 1);
    expect(rec.failures.length).toBe(11);
    expect(rec.failures.every((f) => f.kind === FailureKind.TIMEOUT)).toBe(true);
    expect(rec.closes[0]!.message).toMatch(/defunct/);
    expect(c.state).toBe('closed');
  });

  it('fails in-flight requests with CONNECTION_LOST when the server closes abruptly', async () => {
    const s = await serve(
      v4Server((sock, req) => {
        if (req.stream === 2) sock.destroy();
        else sock.write(envelope(4, req.stream, opcodes.result, VOID_RESULT));
      }),
    );
    const rec = new Recorder();
    const c = await open(s, rec);
    for (let t = 0; t < 3; t++) c.send(req(t, opcodes.query, 0, BODY, 0, BODY.length, 5000));
    await until(() => rec.closes.length === 1);
    expect(rec.responses.map((r) => r.tag)).toEqual([0, 1]);
    expect(rec.failures).toEqual([expect.objectContaining({ tag: 2, kind: FailureKind.CONNECTION_LOST })]);
    await sleep(20);
    expect(rec.closes.length).toBe(1);
    expect(c.send(req(9, opcodes.query, 0, BODY, 0, BODY.length, 5000))).toBe(false);
  });

  it('close() waits for in-flight answers, bounded by closeTimeoutMs', async () => {
    const s = await serve(
      v4Server((sock, req) => {
        if (req.stream === 0) setTimeout(() => sock.write(envelope(4, req.stream, opcodes.result, VOID_RESULT)), 30);
        // stream 1 never answers
      }),
    );
    const rec = new Recorder();
    const c = await Connection.open(opts(s, { closeTimeoutMs: 150 }), rec);
    c.send(req(10, opcodes.query, 0, BODY, 0, BODY.length, 0));
    c.send(req(11, opcodes.query, 0, BODY, 0, BODY.length, 0));
    const t0 = performance.now();
    await c.close();
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(rec.responses.map((r) => r.tag)).toEqual([10]);
    expect(rec.failures).toEqual([expect.objectContaining({ tag: 11, kind: FailureKind.CONNECTION_LOST })]);
    expect(rec.closes).toEqual([null]);
  });

  it('times out a handshake that stalls with OperationTimedOutError naming the host', async () => {
    const s = await serve(() => {});
    const t0 = performance.now();
    const err = await Connection.open(opts(s, { connectTimeoutMs: 100 }), new Recorder()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationTimedOutError);
    expect((err as OperationTimedOutError).host).toBe(`${HOST}:${s.port}`);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('sends heartbeats when idle and closes when one gets no answer', async () => {
    let answerHeartbeats = true;
    const s = await serve(
      v4Server((sock, req) => {
        if (req.opcode === opcodes.options) {
          if (answerHeartbeats) sock.write(envelope(4, req.stream, opcodes.supported, supportedBody()));
        } else sock.write(envelope(4, req.stream, opcodes.result, VOID_RESULT));
      }),
    );
    const rec = new Recorder();
    const t0 = performance.now();
    const c = await open(s, rec, { heartbeatIntervalMs: 60 });
    const heartbeats = (): number => s.requests.filter((r) => r.opcode === opcodes.options).length - 1;
    // Waited for, not counted over a fixed sleep (a stalled event loop fires fewer timers); and not more often
    // than one per interval of the time that actually passed.
    await until(() => heartbeats() >= 2, 5000);
    const beats = heartbeats();
    expect(beats).toBeLessThanOrEqual(Math.floor((performance.now() - t0) / 60) + 1);
    expect(c.state).toBe('ready');
    answerHeartbeats = false;
    await until(() => rec.closes.length === 1, 2000);
    expect(rec.closes[0]!.message).toMatch(/Heartbeat/);
  });

  it('does not send heartbeats while requests keep the connection busy', async () => {
    const s = await serve(v4Server());
    const rec = new Recorder();
    const c = await open(s, rec, { heartbeatIntervalMs: 80 });
    const end = Date.now() + 250;
    let t = 0;
    while (Date.now() < end) {
      c.send(req(t++, opcodes.query, 0, BODY, 0, BODY.length, 1000));
      await sleep(10);
    }
    expect(s.requests.filter((r) => r.opcode === opcodes.options).length).toBe(1);
  });

  it('piles frames up while the socket is congested, then writes them in one go', async () => {
    const s = await serve(v4Server());
    const rec = new Recorder();
    const c = await open(s, rec, { coalescingThreshold: 1 << 30 });
    // The server stops reading: the kernel buffers fill and socket writes turn asynchronous.
    s.sockets[0]!.pause();
    const big = Buffer.alloc(256 * 1024, 1);
    const w0 = c.socketWrites;
    for (let t = 0; t < 100; t++) {
      expect(c.send(req(t, opcodes.query, 0, big, 0, big.length, 0))).toBe(true);
      c.flush();
    }
    const during = c.socketWrites - w0;
    s.sockets[0]!.resume();
    await until(() => rec.responses.length === 100, 20000);
    const total = c.socketWrites - w0;
    console.log(`100 flushes of 256 kB into a congested socket: ${during} writes before the pile-up, ${total} in all`);
    expect(during).toBeLessThan(100);
    expect(total).toBeLessThan(100);
    expect(s.requests.filter((r) => r.opcode === opcodes.query).length).toBe(100);
  });

  it('binds the local port when asked (shard-aware port)', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, HOST, r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = await serve(v4Server());
    const c = await open(s, new Recorder(), { localPort: port });
    expect(c.localPort).toBe(port);
    expect(s.sockets[0]!.remotePort).toBe(port);
  });

  it('connects over TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shardcql-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          `subjectAltName=IP:${HOST}`,
        ],
        { stdio: 'ignore' },
      );
      const key = readFileSync(join(dir, 'key.pem'));
      const cert = readFileSync(join(dir, 'cert.pem'));
      const s = await serve(v4Server(), { key, cert });
      const rec = new Recorder();
      const c = await open(s, rec, { tls: { ca: [cert] } });
      c.send(req(1, opcodes.query, 0, BODY, 0, BODY.length, 5000));
      await until(() => rec.responses.length === 1);
      // An untrusted certificate fails the connection.
      await expect(Connection.open(opts(s, { tls: {} }), new Recorder())).rejects.toThrow(/self.signed|certificate/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('SASL', () => {
    function authServer(expectToken: string): Handler {
      return (sock, req) => {
        switch (req.opcode) {
          case opcodes.options:
            sock.write(envelope(4, req.stream, opcodes.supported, supportedBody()));
            return;
          case opcodes.startup: {
            const w = new ByteWriter(64);
            w.string('org.apache.cassandra.auth.PasswordAuthenticator');
            sock.write(envelope(4, req.stream, opcodes.authenticate, w.view()));
            return;
          }
          case opcodes.authResponse: {
            const token = req.body.subarray(4).toString('latin1');
            if (token === expectToken) {
              const w = new ByteWriter(8);
              w.bytes(null);
              sock.write(envelope(4, req.stream, opcodes.authSuccess, w.view()));
            } else {
              sock.write(envelope(4, req.stream, opcodes.error, errorBody(0x0100, 'Provided username x and/or password are incorrect')));
            }
            return;
          }
          default:
            sock.write(envelope(4, req.stream, opcodes.result, VOID_RESULT));
        }
      };
    }

    it('answers AUTHENTICATE with SASL PLAIN', async () => {
      const s = await serve(authServer('\0cassandra\0secret'));
      const c = await open(s, new Recorder(), { credentials: { username: 'cassandra', password: 'secret' } });
      expect(c.state).toBe('ready');
    });

    it('rejects bad credentials with AuthenticationError', async () => {
      const s = await serve(authServer('\0cassandra\0secret'));
      const err = await Connection.open(opts(s, { credentials: { username: 'cassandra', password: 'wrong' } }), new Recorder()).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AuthenticationError);
      expect((err as Error).message).toMatch(/incorrect/);
    });

    it('rejects with AuthenticationError when the server asks and no credentials are set', async () => {
      const s = await serve(authServer('\0a\0b'));
      const err = await Connection.open(opts(s), new Recorder()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect((err as Error).message).toMatch(/requires authentication/);
    });
  });
});
