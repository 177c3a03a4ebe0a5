import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  AuthenticationError,
  ByteWriter,
  DriverError,
  DriverInternalError,
  FailureKind,
  OperationTimedOutError,
  ResponseError,
  V5FrameDecoder,
  V5FrameEncoder,
  createCompressor,
  decodeAuthChallenge,
  decodeAuthenticate,
  decodeAuthSuccess,
  decodeError,
  decodeEvent,
  decodeSupported,
  encodeAuthResponse,
  encodeStartup,
  nextVersionToTry,
  opcodes,
  type Compressor,
  type EnvelopeParser,
} from '@shardcql/core';
import { PlainTextAuthenticator, type Authenticator } from './authenticator';
import { resolveConnectionOptions, type ConnectionListener, type ConnectionOptions, type ConnectionState, type ControlResponse } from './options';
import { FrameReader, type EnvelopeSink } from './reader';
import { encodeSimpleQuery, quoteIdentifier } from './simple-query';
import { MAX_STREAM_IDS, StreamIdTable, StreamState } from './stream-ids';
import { FrameWriter } from './writer';
import type { ConnectionMetrics } from '../metrics/connection-metrics';
import * as layout from '../metrics/layout';
// Read once: module exports compiled to CommonJS may be getters, too slow for the per-request path.
const C_BYTES_RECEIVED = layout.C_BYTES_RECEIVED;
const C_CONNECTION_LOST = layout.C_CONNECTION_LOST;
const C_REQUESTS = layout.C_REQUESTS;
const C_RESPONSES = layout.C_RESPONSES;
const C_SERVER_ERRORS = layout.C_SERVER_ERRORS;
const C_TIMEOUTS = layout.C_TIMEOUTS;

export const DRIVER_NAME = 'shardcql';
// STARTUP's DRIVER_VERSION: the package's own version, so the server's client list tells releases apart.
export const DRIVER_VERSION: string = (require('../../package.json') as { version: string }).version;

/** Spec section 9 error codes the handshake branches on. */
const PROTOCOL_ERROR = 0x000a;
const BAD_CREDENTIALS = 0x0100;
/** RESULT kind set_keyspace (spec section 4.2.5.3). */
const RESULT_SET_KEYSPACE = 3;
const CONSISTENCY_ONE = 1;
const EMPTY = new Uint8Array(0);
/** Read once: through the package index every access is a getter call (CommonJS re-exports). */
const OP_ERROR = opcodes.error;

interface PendingControl {
  resolve(r: ControlResponse): void;
  reject(e: Error): void;
}

/**
 * One CQL connection owned by a shard worker: handshake, stream-id table, coalescing writer, reader,
 * per-request timeouts with one timer, heartbeats, clean close.
 *
 * State machine (one switch per transition, spec of the states in ConnectionState):
 *   connecting --handshake ok--> ready --close()--> draining --in-flight done--> closed
 *   any --socket error / protocol error / defunct--> closed (in-flight requests fail CONNECTION_LOST)
 */
export class Connection implements EnvelopeSink {
  /** Negotiated protocol version (4 or 5). */
  readonly protocolVersion: number;
  /** The server's SUPPORTED options (Scylla shard info lives here: SCYLLA_SHARD, SCYLLA_NR_SHARDS, ...). */
  supported: Record<string, string[]> = {};
  state: ConnectionState = 'connecting';
  /** "host:port", as errors name hosts. */
  readonly address: string;
  /** The compression in effect after the handshake ('none' when the server does not offer the one asked). */
  compression: 'none' | 'lz4' | 'snappy' = 'none';

  private readonly opts: ConnectionOptions;
  private readonly listener: ConnectionListener;
  private readonly ids: StreamIdTable;
  private readonly writer: FrameWriter;
  private readonly reader: FrameReader;
  private readonly controls = new Map<number, PendingControl>();
  private readonly maxOrphans: number;
  private socket: net.Socket | null = null;
  /** v4 only: decompresses bodies flagged 0x01. */
  private bodyCompressor: Compressor | null = null;
  private compressor: Compressor | null = null;
  /** open() resolved: from then on the listener hears onClose. */
  private opened = false;
  private closeReported = false;
  private closing: Promise<void> | null = null;
  private drainWaiter: (() => void) | null = null;
  private socketError: Error | null = null;
  /** close() ended the socket: whatever comes next is a normal close. */
  private ending = false;
  private heartbeatPending = false;
  private handshakeTimer: NodeJS.Timeout | null = null;

  /** The one timer: earliest request deadline or next heartbeat check. */
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  /** Per-shard metrics slot (null: counting off); `sentAt` holds each busy stream id's dispatch time. */
  readonly metrics: ConnectionMetrics | null;
  private readonly sentAt: Float64Array | null;
  /** performance.now() of the socket read being parsed: one clock read per chunk, not per answer. */
  private readAt = 0;

  private readonly onData = (chunk: Buffer): void => {
    const m = this.metrics;
    if (m !== null) {
      m.c[C_BYTES_RECEIVED] += chunk.length;
      this.readAt = performance.now();
    }
    try {
      this.reader.push(chunk);
    } catch (e) {
      this.destroy(e instanceof DriverError ? e : new DriverInternalError(`protocol error from ${this.address}: ${describe(e)}`));
    }
  };
  private readonly onSocketError = (err: Error): void => {
    // After our own end(), a reset from the server is just the end of the conversation.
    if (this.ending) {
      this.destroy(null);
      return;
    }
    if (this.socketError === null) this.socketError = err;
    this.destroy(err);
  };
  private readonly onSocketClose = (): void => {
    if (this.ending) this.destroy(null);
    else this.destroy(this.socketError ?? new DriverError(`Connection to ${this.address} was closed by the server`));
  };
  private readonly onTimer = (): void => this.checkTimers();
  private readonly onWriteError = (err: Error): void => this.destroy(err);

  private constructor(opts: ConnectionOptions, listener: ConnectionListener, version: number) {
    this.opts = opts;
    this.listener = listener;
    this.protocolVersion = version;
    this.address = `${opts.host}:${opts.port}`;
    this.ids = new StreamIdTable(Math.min(opts.maxRequestsPerConnection ?? MAX_STREAM_IDS, MAX_STREAM_IDS));
    this.maxOrphans = opts.maxOrphanedStreams ?? 1024;
    this.writer = new FrameWriter(opts.coalescingThreshold > 0 ? opts.coalescingThreshold : 65536);
    this.writer.version = version;
    this.writer.onError = this.onWriteError;
    this.reader = new FrameReader(this);
    this.metrics = opts.metrics ?? null;
    this.writer.metrics = this.metrics;
    this.sentAt = this.metrics !== null ? new Float64Array(this.ids.capacity) : null;
  }

  /**
   * Connects and runs the handshake: OPTIONS, STARTUP (+ SASL), `USE keyspace`. Tries
   * `maxProtocolVersion` first and, on a protocol error, reconnects with the version the server
   * points to (spec v5 section 8: a server answers an unsupported version with a PROTOCOL_ERROR).
   */
  static async open(options: ConnectionOptions, listener: ConnectionListener): Promise<Connection> {
    const opts = resolveConnectionOptions(options);
    let version: number = opts.maxProtocolVersion;
    for (;;) {
      const conn = new Connection(opts, listener, version);
      try {
        await conn.start();
        return conn;
      } catch (e) {
        conn.destroy(e instanceof Error ? e : new DriverError(String(e)));
        if (e instanceof ResponseError && e.code === PROTOCOL_ERROR) {
          const next = nextVersionToTry(version, e);
          if (next !== null && next < version) {
            version = next;
            continue;
          }
        }
        throw e;
      }
    }
  }

  /** Requests (engine and control) waiting for an answer; timed-out ones are not counted. */
  get inFlight(): number {
    return this.ids.inFlight;
  }

  /** Stream ids that can still be used. */
  get availableStreams(): number {
    return this.ids.available;
  }

  /** Timed-out stream ids still waiting for their late answer. */
  get orphanedStreams(): number {
    return this.ids.orphaned;
  }

  /** Socket writes so far (each flush is one). */
  get socketWrites(): number {
    return this.writer.writes;
  }

  get localPort(): number | undefined {
    return this.socket?.localPort;
  }

  /**
   * Queues one request for the engine: `body[start, end)` is copied into the write buffer at once, so
   * the caller can reuse its memory on return. Returns false (nothing queued) when every stream id is
   * taken or the connection is not ready. `timeoutMs` 0 = no timeout; otherwise `onFailure(tag, TIMEOUT)`.
   */
  send(tag: number, opcode: number, flags: number, body: Uint8Array, start: number, end: number, timeoutMs: number): boolean {
    if (this.state !== 'ready') return false;
    const m = this.metrics;
    // The writer's batch clock: one performance.now() per drain, shared by the sends of that drain.
    const now = timeoutMs > 0 || m !== null ? this.writer.now() : 0;
    const deadline = timeoutMs > 0 ? now + timeoutMs : 0;
    const id = this.ids.acquire(StreamState.REQUEST, tag, deadline, timeoutMs);
    if (id < 0) return false;
    if (m !== null) {
      this.sentAt![id] = now;
      m.c[C_REQUESTS]++;
    }
    if (deadline > 0 && deadline < this.timerAt) this.armTimer(deadline);
    this.writer.append(flags, id, opcode, body, start, end, true);
    return true;
  }

  /**
   * Lets the process exit while this connection is open (the requesting thread's direct lane holds its own
   * keep-alive only while requests are in flight; worker threads never need it).
   */
  unref(): void {
    this.socket?.unref();
  }

  /** Writes every queued frame in one socket write (the engine calls it after each ring drain). */
  flush(): void {
    this.writer.flush();
  }

  /**
   * A control request (OPTIONS, STARTUP, AUTH_RESPONSE, USE, PREPARE, REGISTER...) on a stream id of the
   * same table. Resolves with the answer whatever its opcode (ERROR included: the caller decodes it);
   * rejects with OperationTimedOutError after `timeoutMs`, or with the close error.
   */
  request(opcode: number, body: Uint8Array, timeoutMs = 0): Promise<ControlResponse> {
    if (this.state !== 'ready' && this.state !== 'connecting') {
      return Promise.reject(new DriverError(`Connection to ${this.address} is ${this.state}`));
    }
    const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : 0;
    const id = this.ids.acquire(StreamState.CONTROL, 0, deadline, timeoutMs);
    if (id < 0) return Promise.reject(new DriverError(`No stream id available on ${this.address}`));
    if (deadline > 0 && deadline < this.timerAt) this.armTimer(deadline);
    return new Promise<ControlResponse>((resolve, reject) => {
      this.controls.set(id, { resolve, reject });
      // Handshake messages go uncompressed (spec v4 section 5: STARTUP is never compressed).
      this.writer.append(0, id, opcode, body, 0, body.length, this.state === 'ready');
      this.writer.flush();
    });
  }

  /** `USE "keyspace"` on this connection; rejects with the server's ResponseError. */
  async useKeyspace(keyspace: string, timeoutMs = 0): Promise<void> {
    const w = new ByteWriter(64 + keyspace.length * 3);
    encodeSimpleQuery(w, this.protocolVersion, `USE ${quoteIdentifier(keyspace)}`, CONSISTENCY_ONE);
    const r = await this.request(opcodes.query, w.view(), timeoutMs);
    if (r.opcode === opcodes.error) throw decodeError(r.body, 0, r.body.length, this.protocolVersion);
    if (r.opcode !== opcodes.result || r.body.length < 4 || r.body.readInt32BE(0) !== RESULT_SET_KEYSPACE) {
      throw new DriverInternalError(`unexpected answer to USE from ${this.address} (opcode ${r.opcode})`);
    }
  }

  /**
   * Stops taking requests, waits for the in-flight ones (at most `closeTimeoutMs`), then ends the
   * socket. Requests still in flight at the bound fail with CONNECTION_LOST. Idempotent.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    if (this.closing !== null) return this.closing;
    if (this.state === 'connecting') {
      // open() has not resolved: abort the handshake, open() rejects with this error.
      this.destroy(new DriverError(`Connection to ${this.address} was closed during the handshake`));
      return Promise.resolve();
    }
    if (this.state === 'ready') this.state = 'draining';
    this.closing = this.drainAndEnd();
    return this.closing;
  }

  // ---- reader side --------------------------------------------------------------------------------

  /** One envelope from the reader (EnvelopeSink). Hot path: no allocation for engine answers. */
  onEnvelope(p: EnvelopeParser): void {
    const stream = p.stream;
    let flags = p.flags;
    let body = p.body;
    let start = p.bodyStart;
    let end = p.bodyEnd;
    if ((flags & 0x01) !== 0 && this.bodyCompressor !== null) {
      // v4 section 5: flag 0x01 = compressed body.
      body = this.bodyCompressor.decompressV4Body(body, start, end - start);
      start = 0;
      end = body.length;
      flags &= ~0x01;
    }
    const ids = this.ids;
    if (stream >= 0 && stream < ids.capacity) {
      switch (ids.state[stream]) {
        case StreamState.REQUEST: {
          const tag = ids.tags[stream]!;
          ids.release(stream);
          const m = this.metrics;
          if (m !== null) {
            m.c[C_RESPONSES]++;
            if (p.opcode === OP_ERROR) m.c[C_SERVER_ERRORS]++;
            m.recordLatencyMs(this.readAt - this.sentAt![stream]!);
          }
          // The stream id is free already: a listener that throws must still settle the request, and must not
          // take the connection (and every other request on it) down with it.
          try {
            this.listener.onResponse(tag, p.opcode, flags, body, start, end);
          } catch (e) {
            this.listener.onFailure(tag, FailureKind.INTERNAL, `the answer of ${end - start} bytes could not be handed on: ${describe(e)}`);
          }
          if (this.drainWaiter !== null && ids.inFlight === 0) this.drainWaiter();
          return;
        }
        case StreamState.CONTROL: {
          const c = this.controls.get(stream)!;
          this.controls.delete(stream);
          ids.release(stream);
          const opcode = p.opcode;
          // v5 framing starts right after READY or AUTHENTICATE (spec v5 section 2.3).
          if (this.state === 'connecting' && this.protocolVersion >= 5 && (opcode === opcodes.ready || opcode === opcodes.authenticate)) {
            this.startV5Framing();
          }
          c.resolve({ opcode, flags, body: Buffer.from(body.subarray(start, end)) });
          if (this.drainWaiter !== null && ids.inFlight === 0) this.drainWaiter();
          return;
        }
        case StreamState.ORPHANED:
          // The late answer of a timed-out request: its id can be used again now.
          ids.release(stream);
          return;
        default:
          break;
      }
    } else if (stream === -1) {
      // Spec section 4.2.6: events come on stream -1.
      if (p.opcode === opcodes.event) this.listener.onEvent(decodeEvent(body, start, end));
      return;
    }
    this.destroy(new DriverInternalError(`protocol error: ${this.address} answered on stream ${stream}, which has no request`));
  }

  // ---- handshake ----------------------------------------------------------------------------------

  private async start(): Promise<void> {
    const o = this.opts;
    if (o.connectTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.handshakeTimer = null;
        const err = new OperationTimedOutError(`Connection timeout to ${this.address} after ${o.connectTimeoutMs} ms`, this.address);
        err.coordinator = this.address;
        this.destroy(err);
      }, o.connectTimeoutMs);
    }
    try {
      await this.connectSocket();
      const w = new ByteWriter(512);

      const supported = await this.request(opcodes.options, EMPTY);
      this.expect(supported, opcodes.supported, 'OPTIONS');
      this.supported = decodeSupported(supported.body, 0, supported.body.length);

      const startup: Record<string, string> = {
        CQL_VERSION: '3.0.0',
        DRIVER_NAME,
        DRIVER_VERSION,
        ...o.startupOptions,
      };
      const offered = this.supported['COMPRESSION'] ?? [];
      if (o.compression !== 'none' && offered.includes(o.compression) && !(this.protocolVersion >= 5 && o.compression !== 'lz4')) {
        startup['COMPRESSION'] = o.compression;
        this.compressor = createCompressor(o.compression);
        this.compression = o.compression;
      }
      encodeStartup(w, startup);
      const pending = this.request(opcodes.startup, w.view());
      if (this.compressor !== null && this.protocolVersion < 5) {
        // v4 section 5: every frame after STARTUP may be compressed (flag 0x01), both ways.
        this.bodyCompressor = this.compressor;
        this.writer.compressor = this.compressor;
      }
      const r = await pending;
      if (r.opcode === opcodes.authenticate) await this.authenticate(r, w);
      else this.expect(r, opcodes.ready, 'STARTUP');

      if (o.keyspace !== null && o.keyspace !== '') await this.useKeyspace(o.keyspace);
      if (this.state !== 'connecting') throw this.socketError ?? new DriverError(`Connection to ${this.address} closed during the handshake`);
      this.state = 'ready';
      this.opened = true;
      this.writer.lastWriteAt = performance.now();
      if (o.heartbeatIntervalMs > 0) this.armTimer(this.writer.lastWriteAt + o.heartbeatIntervalMs);
    } finally {
      if (this.handshakeTimer !== null) {
        clearTimeout(this.handshakeTimer);
        this.handshakeTimer = null;
      }
    }
  }

  private connectSocket(): Promise<void> {
    const o = this.opts;
    return new Promise<void>((resolve, reject) => {
      let socket: net.Socket;
      const target: net.TcpNetConnectOpts = { host: o.host, port: o.port };
      if (o.localPort !== null) target.localPort = o.localPort;
      /** What node's handshake asked to verify, when the verdict is left to opts.serverIdentity. */
      let identity: { hostname: string; cert: tls.PeerCertificate } | null = null;
      if (o.tls !== null) {
        const servername = o.tls.servername ?? o.servername ?? (net.isIP(o.host) === 0 ? o.host : undefined);
        const topts: tls.ConnectionOptions = { ...o.tls, ...target };
        if (servername !== undefined && servername !== null && net.isIP(servername) === 0) topts.servername = servername;
        if (o.serverIdentity != null && o.tls.rejectUnauthorized !== false) {
          // Node's check must answer synchronously; this one is asked after 'secureConnect' (below).
          topts.checkServerIdentity = (hostname, cert) => {
            identity = { hostname, cert };
            return undefined;
          };
        }
        socket = tls.connect(topts);
      } else {
        socket = net.connect(target);
      }
      this.socket = socket;
      const ready = o.tls !== null ? 'secureConnect' : 'connect';
      const onError = (err: Error): void => {
        socket.removeListener(ready, onConnect);
        reject(err);
      };
      const attach = (): void => {
        socket.removeListener('error', onError);
        socket.setNoDelay(o.tcpNoDelay);
        if (o.keepAlive) socket.setKeepAlive(true);
        socket.on('data', this.onData);
        socket.on('error', this.onSocketError);
        socket.on('close', this.onSocketClose);
        this.writer.attach(socket);
        if (this.state === 'closed') reject(this.socketError ?? new DriverError(`Connection to ${this.address} closed`));
        else resolve();
      };
      const onConnect = (): void => {
        const seen = identity as { hostname: string; cert: tls.PeerCertificate } | null;
        if (seen === null) {
          attach();
          return;
        }
        // Cold path (once per handshake). The socket stays silent until the verdict; its errors and the
        // handshake timer still end it meanwhile (onError is attached until then).
        o.serverIdentity!(seen.hostname, seen.cert).then(
          (err) => {
            if (socket.destroyed) return reject(this.socketError ?? new DriverError(`Connection to ${this.address} closed`));
            if (err === null) return attach();
            socket.removeListener('error', onError);
            socket.destroy();
            reject(err);
          },
          (e: unknown) => {
            socket.removeListener('error', onError);
            socket.destroy();
            reject(e instanceof Error ? e : new DriverError(String(e)));
          },
        );
      };
      socket.once('error', onError);
      socket.once(ready, onConnect);
    });
  }

  /** SASL exchange after AUTHENTICATE (spec v4 sections 4.2.3, 4.2.7, 4.2.8). */
  private async authenticate(first: ControlResponse, w: ByteWriter): Promise<void> {
    const o = this.opts;
    const cls = decodeAuthenticate(first.body, 0, first.body.length);
    const auth: Authenticator | null =
      o.authenticator ?? (o.credentials !== null ? new PlainTextAuthenticator(o.credentials.username, o.credentials.password) : null);
    if (auth === null) {
      throw new AuthenticationError(`Host ${this.address} requires authentication, but no authenticator found in the options`);
    }
    let token = await auth.initialResponse(cls);
    for (;;) {
      w.reset();
      encodeAuthResponse(w, token);
      const r = await this.request(opcodes.authResponse, w.view());
      switch (r.opcode) {
        case opcodes.authChallenge:
          token = await auth.evaluateChallenge(decodeAuthChallenge(r.body, 0, r.body.length));
          break;
        case opcodes.authSuccess:
          auth.onAuthenticationSuccess(decodeAuthSuccess(r.body, 0, r.body.length));
          return;
        case opcodes.error: {
          const e = decodeError(r.body, 0, r.body.length, this.protocolVersion);
          if (e.code === BAD_CREDENTIALS) {
            const ae = new AuthenticationError(e.message);
            ae.additionalInfo = e;
            ae.coordinator = this.address;
            throw ae;
          }
          throw e;
        }
        default:
          throw new DriverInternalError(`unexpected opcode ${r.opcode} from ${this.address} during authentication`);
      }
    }
  }

  /** Throws the server's error, or a DriverInternalError for an unexpected opcode. */
  private expect(r: ControlResponse, opcode: number, what: string): void {
    if (r.opcode === opcode) return;
    if (r.opcode === opcodes.error) {
      const e = decodeError(r.body, 0, r.body.length, this.protocolVersion);
      e.coordinator = this.address;
      throw e;
    }
    throw new DriverInternalError(`unexpected opcode ${r.opcode} from ${this.address} in answer to ${what}`);
  }

  private startV5Framing(): void {
    const c = this.compressor !== null && this.compressor.name === 'lz4' ? this.compressor : null;
    this.reader.v5 = new V5FrameDecoder(c);
    this.writer.v5 = new V5FrameEncoder(c);
  }

  // ---- timers -------------------------------------------------------------------------------------

  private armTimer(at: number): void {
    if (at >= this.timerAt || this.state === 'closed') return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(at - performance.now())));
    this.timer.unref();
  }

  /**
   * Fires at the earliest known deadline: times out what is due, finds the next deadline by one scan
   * of the ids ever used (with one timeout for all requests it fires about once per timeout period),
   * and sends a heartbeat after `heartbeatIntervalMs` without writes.
   */
  private checkTimers(): void {
    this.timer = null;
    this.timerAt = Infinity;
    if (this.state === 'closed') return;
    // libuv's loop clock can lag the real one by a fraction of a ms: accept deadlines within 1 ms.
    const now = performance.now() + 1;
    const ids = this.ids;
    const deadlines = ids.deadlines;
    let next = Infinity;
    const hw = ids.highWater;
    for (let id = 0; id < hw; id++) {
      const d = deadlines[id]!;
      if (d === 0) continue;
      if (d <= now) this.timeOut(id);
      else if (d < next) next = d;
    }
    // A listener may have closed the connection from onFailure.
    if ((this.state as ConnectionState) === 'closed') return;
    if (ids.orphaned > this.maxOrphans) {
      this.destroy(new DriverError(`Connection to ${this.address} is defunct: ${ids.orphaned} requests timed out without an answer`));
      return;
    }
    const hb = this.opts.heartbeatIntervalMs;
    if (hb > 0 && this.state === 'ready') {
      const due = this.writer.lastWriteAt + hb;
      if (due <= now && !this.heartbeatPending) {
        this.sendHeartbeat(hb);
        next = Math.min(next, performance.now() + hb);
      } else next = Math.min(next, Math.max(due, performance.now() + 1));
    }
    if (next !== Infinity) this.armTimer(next);
  }

  private timeOut(id: number): void {
    const ids = this.ids;
    const ms = ids.timeouts[id]!;
    const message = `The host ${this.address} did not reply before timeout ${ms} ms`;
    if (ids.state[id] === StreamState.REQUEST) {
      const tag = ids.tags[id]!;
      ids.orphan(id);
      if (this.metrics !== null) this.metrics.c[C_TIMEOUTS]++;
      this.listener.onFailure(tag, FailureKind.TIMEOUT, message);
    } else {
      const c = this.controls.get(id);
      this.controls.delete(id);
      ids.orphan(id);
      if (c !== undefined) c.reject(new OperationTimedOutError(message, this.address));
    }
    if (this.drainWaiter !== null && ids.inFlight === 0) this.drainWaiter();
  }

  /** OPTIONS as a keep-alive (cassandra-driver's heartbeat); no answer in time closes the connection. */
  private sendHeartbeat(timeoutMs: number): void {
    this.heartbeatPending = true;
    this.request(opcodes.options, EMPTY, timeoutMs).then(
      () => {
        this.heartbeatPending = false;
      },
      (e: unknown) => {
        this.heartbeatPending = false;
        this.destroy(new DriverError(`Heartbeat to ${this.address} failed: ${describe(e)}`));
      },
    );
  }

  // ---- close --------------------------------------------------------------------------------------

  private async drainAndEnd(): Promise<void> {
    this.writer.flush();
    if (this.ids.inFlight > 0 && this.state !== 'closed') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.closeTimeoutMs ?? 10000);
        this.drainWaiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.drainWaiter = null;
    }
    const socket = this.socket;
    // The state may have changed while waiting (a socket error): re-read it.
    if ((this.state as ConnectionState) === 'closed' || socket === null) {
      this.destroy(null);
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2000);
      socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.ending = true;
      socket.end();
    });
    this.destroy(null);
  }

  /**
   * Closes now: fails every in-flight request with CONNECTION_LOST, rejects control requests, and tells
   * the listener once (only for a connection that `open` resolved). `error` null = closed by us.
   */
  private destroy(error: Error | null): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.reader.stopped = true;
    this.writer.discard();
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.timerAt = -Infinity; // never re-armed
    if (this.handshakeTimer !== null) {
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
    const socket = this.socket;
    // With an error, destroy emits 'error', which also settles a connect still under way.
    if (socket !== null && !socket.destroyed) socket.destroy(error ?? undefined);

    const message = `Connection to ${this.address} closed${error !== null ? `: ${error.message}` : ''}`;
    const ids = this.ids;
    const hw = ids.highWater;
    const rejectWith = error ?? new DriverError(message);
    for (let id = 0; id < hw; id++) {
      const s = ids.state[id];
      if (s === StreamState.FREE) continue;
      if (s === StreamState.REQUEST) {
        const tag = ids.tags[id]!;
        ids.release(id);
        if (this.metrics !== null) this.metrics.c[C_CONNECTION_LOST]++;
        this.listener.onFailure(tag, FailureKind.CONNECTION_LOST, message);
      } else if (s === StreamState.CONTROL) {
        const c = this.controls.get(id);
        this.controls.delete(id);
        ids.release(id);
        if (c !== undefined) c.reject(rejectWith);
      } else {
        ids.release(id);
      }
    }
    if (this.drainWaiter !== null) this.drainWaiter();
    if (this.opened && !this.closeReported) {
      this.closeReported = true;
      this.listener.onClose(this, error);
    }
  }

  /**
   * Requests in flight whose tag is in [lo, hi) get the tag `to + (tag - lo)`; returns how many. The worker
   * calls it when a requester is removed, so that requester's late answers reach an owner that is not there
   * and its index can be given to another thread at once. Cold: one scan of the stream table.
   */
  retagRequests(lo: number, hi: number, to: number): number {
    const ids = this.ids;
    const hw = ids.highWater;
    let n = 0;
    for (let id = 0; id < hw; id++) {
      const tag = ids.tags[id]!;
      if (ids.state[id] === StreamState.REQUEST && tag >= lo && tag < hi) {
        ids.tags[id] = to + (tag - lo);
        n++;
      }
    }
    return n;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
