import type * as net from 'node:net';
import {
  ByteWriter,
  DriverError,
  DriverInternalError,
  FailureKind,
  OperationTimedOutError,
  ResponseError,
  V5FrameDecoder,
  V5FrameEncoder,
  createCompressor,
  decodeError,
  decodeEvent,
  nextVersionToTry,
  type Compressor,
  type EnvelopeParser,
} from '@shardcql/core';
// From its defining module: the package index's re-export would be a getter call on every read (per answer here).
import { opcodes } from '@shardcql/core/frame/opcodes';
import { handshake, type HandshakeChannel } from './handshake';
import {
  IncomingAnswer,
  OutgoingRequest,
  resolveConnectionOptions,
  type ConnectionListener,
  type ConnectionOptions,
  type ConnectionState,
  type ControlResponse,
} from './options';
import { FrameReader, type EnvelopeSink } from './reader';
import { encodeSimpleQuery, quoteIdentifier } from './simple-query';
import { connectSocket, type SocketOwner } from './socket';
import { InFlight, type PendingControl } from './in-flight';
import { MAX_STREAM_IDS, StreamState, type StreamIdTable } from './stream-ids';
import { FrameWriter } from './writer';
import type { ConnectionMetrics } from '../metrics/connection-metrics';
// The layout's defining module, not a package index: plain properties, no getter per read.
import { C_BYTES_RECEIVED, C_REQUESTS, C_RESPONSES, C_SERVER_ERRORS } from '@shardcql/core/ring/metrics-layout';

export { DRIVER_NAME, DRIVER_VERSION } from './handshake';

/** Spec section 9: the error a server answers an unsupported protocol version with. */
const PROTOCOL_ERROR = 0x000a;
/** RESULT kind set_keyspace (spec section 4.2.5.3). */
const RESULT_SET_KEYSPACE = 3;
const CONSISTENCY_ONE = 1;
const EMPTY = new Uint8Array(0);

/**
 * One CQL connection owned by a shard worker (or by the requesting thread's direct lane): the stream-id table,
 * the request and answer path (coalescing writer, reader), per-request timeouts with one timer, heartbeats, clean
 * close. The socket's connect is in socket.ts, the handshake (OPTIONS, STARTUP, SASL, USE) in handshake.ts.
 *
 * State machine (one switch per transition, spec of the states in ConnectionState):
 *   connecting --handshake ok--> ready --close()--> draining --in-flight done--> closed
 *   any --socket error / protocol error / defunct--> closed (in-flight requests fail CONNECTION_LOST)
 */
export class Connection implements EnvelopeSink, HandshakeChannel, SocketOwner {
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
  /** The stream-id table and the control requests in flight (in-flight.ts). */
  private readonly pending: InFlight;
  private readonly ids: StreamIdTable;
  private readonly writer: FrameWriter;
  private readonly reader: FrameReader;
  private readonly controls: Map<number, PendingControl>;
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
  /** The answer handed to the listener, refilled for each one (IncomingAnswer). */
  private readonly answer = new IncomingAnswer();
  /** The envelope of each control request (OutgoingRequest), refilled for each one. */
  private readonly control = new OutgoingRequest();

  private readonly onData = (chunk: Buffer): void => {
    const m = this.metrics;
    if (m !== null) {
      m.c[C_BYTES_RECEIVED]! += chunk.length;
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
    this.metrics = opts.metrics ?? null;
    this.pending = new InFlight(
      Math.min(opts.maxRequestsPerConnection ?? MAX_STREAM_IDS, MAX_STREAM_IDS),
      listener,
      this.metrics,
      this.address,
    );
    this.ids = this.pending.ids;
    this.controls = this.pending.controls;
    this.maxOrphans = opts.maxOrphanedStreams ?? 1024;
    this.writer = new FrameWriter(opts.coalescingThreshold > 0 ? opts.coalescingThreshold : 65536);
    this.writer.version = version;
    this.writer.onError = this.onWriteError;
    this.reader = new FrameReader(this);
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
   * Queues one request for the engine: `r.body[r.start, r.end)` is copied into the write buffer at once, so
   * the caller can reuse `r` and the body's memory on return. Returns false (nothing queued) when every stream
   * id is taken or the connection is not ready. `r.timeoutMs` 0 = no timeout; otherwise `onFailure(r.tag, TIMEOUT)`.
   */
  send(r: OutgoingRequest): boolean {
    if (this.state !== 'ready') return false;
    const timeoutMs = r.timeoutMs;
    const m = this.metrics;
    // The writer's batch clock: one performance.now() per drain, shared by the sends of that drain.
    const now = timeoutMs > 0 || m !== null ? this.writer.now() : 0;
    const deadline = timeoutMs > 0 ? now + timeoutMs : 0;
    const id = this.ids.acquire(StreamState.REQUEST, r.tag, deadline, timeoutMs);
    if (id < 0) return false;
    if (m !== null) {
      this.sentAt![id] = now;
      m.c[C_REQUESTS]!++;
    }
    if (deadline > 0 && deadline < this.timerAt) this.armTimer(deadline);
    this.writer.append(id, r, true);
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
      const f = this.control;
      f.opcode = opcode;
      f.body = body;
      f.end = body.length;
      // Handshake messages go uncompressed (spec v4 section 5: STARTUP is never compressed).
      this.writer.append(id, f, this.state === 'ready');
      f.body = EMPTY;
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
            m.c[C_RESPONSES]!++;
            if (p.opcode === opcodes.error) m.c[C_SERVER_ERRORS]!++;
            m.recordLatencyMs(this.readAt - this.sentAt![stream]!);
          }
          // The stream id is free already: a listener that throws must still settle the request, and must not
          // take the connection (and every other request on it) down with it.
          const a = this.answer;
          a.opcode = p.opcode;
          a.flags = flags;
          a.body = body;
          a.start = start;
          a.end = end;
          try {
            this.listener.onResponse(tag, a);
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
      await connectSocket(o, this);
      await handshake(this, o);
      if (this.state !== 'connecting')
        throw this.socketError ?? new DriverError(`Connection to ${this.address} closed during the handshake`);
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

  // SocketOwner (socket.ts) and HandshakeChannel (handshake.ts): for the connect and the handshake only.

  socketCreated(socket: net.Socket): void {
    this.socket = socket;
  }

  socketReady(socket: net.Socket): Error | null {
    const o = this.opts;
    socket.setNoDelay(o.tcpNoDelay);
    if (o.keepAlive) socket.setKeepAlive(true);
    socket.on('data', this.onData);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    this.writer.attach(socket);
    return this.state === 'closed' ? (this.socketError ?? new DriverError(`Connection to ${this.address} closed`)) : null;
  }

  get lastSocketError(): Error | null {
    return this.socketError;
  }

  chooseCompression(name: 'lz4' | 'snappy'): void {
    this.compressor = createCompressor(name);
    this.compression = name;
  }

  startV4Compression(): void {
    this.bodyCompressor = this.compressor;
    this.writer.compressor = this.compressor;
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
    let next = this.pending.expire(now);
    if (this.drainWaiter !== null && ids.inFlight === 0) this.drainWaiter();
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
    this.pending.failAll(message, error ?? new DriverError(message));
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
    return this.pending.retag(lo, hi, to);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
