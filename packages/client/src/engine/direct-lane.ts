/**
 * The direct lane: one connection per host owned by the requesting thread itself, used only while nothing
 * is in flight through the rings (concurrency about 1).
 *
 * Why: a request that goes through a shard worker pays two thread wake-ups (Atomics.notify -> uv_async ->
 * epoll in the other thread, and a context switch when both threads share a CPU), once each way. At
 * concurrency 1 that was ~40 us of a ~125 us round trip on the benchmark machine (bench/REPORT.md), and no
 * batching can hide it because there is nothing to batch. Under load the rings are never empty, so the lane
 * stays idle and the main thread's CPU per request is what the rings cost.
 *
 * The lane carries the same bytes as a worker connection (the same Connection class: handshake, keyspace,
 * coalescing writer, timeouts, heartbeats) and answers with the same ResponseFrame and the same typed errors,
 * so the client cannot tell which way a request went. It counts into the per-shard metrics buffer as one more
 * connection of its host (worker -1). Its connections open lazily, the first time a request could use them,
 * and never keep the process alive while idle.
 */
import { DriverError, NoHostAvailableError, type CqlEvent } from '@shardcql/core';
import {
  Connection,
  WorkerMetrics,
  OutgoingRequest,
  type ConnectionListener,
  type IncomingAnswer,
  type ConnectionMetrics,
  type Authenticator,
  type ConnectionOptions,
  type WorkerConnectionOptions,
} from '@shardcql/shard-worker';
// The metrics layout's defining module, not a package index: plain properties, no getter per read.
import { C_SHARD, C_STATE, C_WORKER } from '@shardcql/core/ring/metrics-layout';
import { ResponseFrame } from './engine';
import type { EngineRequest } from './request';
import { RequestSlots, type Settle } from './request-slots';
import { failureError, markNotSent } from './ring-requester';

const OPCODE_RESULT = 0x08;
/** RESULT kind VOID ([int] 1): shared by every void answer; never written to. */
const VOID_BODY = Buffer.from([0, 0, 0, 1]);
/** What the reused send descriptor points at between sends (so it does not pin a caller's body). */
const NO_BODY = new Uint8Array(0);
/** The lane's worker number in the metrics buffer: no worker section (WorkerMetrics keeps a private one). */
const LANE_WORKER = -1;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** What the lane keeps per host; the engine's host state carries these fields, so they follow host re-indexing. */
export interface LaneHost {
  address: string;
  ip: string;
  port: number;
  /** The host name it was given by (a contact point): TLS verifies the certificate against it and sends it as SNI. */
  servername: string | null;
  /** The host's index in the engine's host list (ResponseFrame.hostIndex); the engine keeps it current. */
  index: number;
  lane: Connection | null;
  laneOpening: boolean;
  /** performance.now() before which no new lane connection is tried (after a failure). */
  laneRetryAt: number;
  laneRetryDelay: number;
  /** ScyllaDB: the shard the lane connection landed on (-1: none yet); Cassandra: 0. */
  laneShard: number;
  /** The engine-wide connection index whose metrics slot the lane connection counts into (-1: not given yet). */
  laneSlot: number;
}

/** What the lane asks of its engine. */
export interface LaneSource {
  /** The options worker connections get (keyspace included). */
  laneOptions(): WorkerConnectionOptions;
  /** A connection index for `host`'s lane metrics slot (allocated once per host). */
  laneSlot(host: LaneHost): number;
  laneLog(level: 'info' | 'warning', message: string): void;
  /** The authenticator of a custom AuthProvider for a lane connection to `address` (null: credentials or none). */
  laneAuthenticator(address: string): Authenticator | null;
}

export class DirectLane implements ConnectionListener {
  private readonly slots: RequestSlots;
  private readonly tagHost: Array<LaneHost | null> = [];
  private readonly tagTimeout: Float64Array;
  private readonly metrics: WorkerMetrics | null;
  private readonly voidFrames: ResponseFrame[] = [];
  /** The descriptor each request is handed to its connection in (Connection.send), refilled per request. */
  private readonly out = new OutgoingRequest();
  /** Ref'd only while requests are in flight: an idle lane never keeps the process alive. */
  private readonly keepAlive: NodeJS.Timeout;
  private readonly open = new Set<LaneHost>();
  private keyspace: string | null = null;
  private closed = false;
  private captured: Settle | null = null;
  private capturedReject: Settle | null = null;

  constructor(
    /** Requests the lane carries at once (beyond that, and whenever the rings are busy, the rings take them). */
    readonly maxInFlight: number,
    private readonly source: LaneSource,
    metricsBuffer: SharedArrayBuffer | null,
  ) {
    this.slots = new RequestSlots(maxInFlight);
    for (let i = 0; i < maxInFlight; i++) this.tagHost.push(null);
    this.tagTimeout = new Float64Array(maxInFlight);
    this.metrics = metricsBuffer !== null ? new WorkerMetrics(metricsBuffer, 1 << 30) : null;
    this.capture = this.capture.bind(this);
    this.keepAlive = setInterval(noop, 1 << 30);
    this.keepAlive.unref();
  }

  get inFlight(): number {
    return this.slots.inFlight;
  }

  private capture(resolve: Settle, reject: Settle): void {
    this.captured = resolve;
    this.capturedReject = reject;
  }

  /**
   * Sends on `host`'s lane connection, or returns null (nothing sent: the caller uses the rings) when the
   * lane is full or the connection is not open yet (then it starts opening it, in the background).
   * `shard` >= 0: only a lane connection serving that shard will do (ScyllaDB shard awareness).
   */
  trySend(host: LaneHost, shard: number, req: EngineRequest): Promise<ResponseFrame> | null {
    const conn = host.lane;
    if (conn === null) {
      if (!host.laneOpening && !this.closed && performance.now() >= host.laneRetryAt) this.openLane(host);
      return null;
    }
    if (this.slots.inFlight >= this.maxInFlight || conn.state !== 'ready' || conn.availableStreams === 0) return null;
    if (shard >= 0 && host.laneShard !== shard) return null;
    const promise = new Promise<ResponseFrame>(this.capture as (res: (v: ResponseFrame) => void, rej: (e: unknown) => void) => void);
    const tag = this.slots.acquire(this.captured!, this.capturedReject!, 0);
    const timeoutMs = req.timeoutMs;
    this.tagHost[tag] = host;
    this.tagTimeout[tag] = timeoutMs;
    if (this.slots.inFlight === 1) this.keepAlive.ref();
    const out = this.out;
    out.tag = tag;
    out.opcode = req.opcode;
    out.flags = req.flags;
    out.body = req.body;
    out.end = req.bodyLength;
    out.timeoutMs = timeoutMs;
    const sent = conn.send(out);
    out.body = NO_BODY;
    if (!sent) {
      // Not written (checked above, so only a race with a close): safe to send again elsewhere.
      const inner: Record<string, Error> = {};
      inner[host.address] = new DriverError('connection closing');
      this.reject(tag, markNotSent(new NoHostAvailableError(inner)));
    }
    return promise;
  }

  // ---- ConnectionListener ---------------------------------------------------------------------------

  onResponse(tag: number, a: IncomingAnswer): void {
    if (!this.slots.has(tag)) return;
    const opcode = a.opcode;
    const flags = a.flags;
    const body = a.body;
    const start = a.start;
    const end = a.end;
    const host = this.tagHost[tag]!;
    this.tagHost[tag] = null;
    let frame: ResponseFrame;
    if (opcode === OPCODE_RESULT && flags === 0 && end - start === 4 && body[start] === 0 && body[start + 1] === 0 && body[start + 2] === 0 && body[start + 3] === 1) {
      // A VOID answer (every write): one shared read-only frame per host, as the ring path does.
      const f = this.voidFrames[host.index + 1];
      if (f === undefined || f.hostIndex !== host.index) {
        frame = new ResponseFrame(OPCODE_RESULT, 0, VOID_BODY, host.index);
        this.voidFrames[host.index + 1] = frame;
      } else {
        frame = f;
      }
    } else {
      const copy = Buffer.allocUnsafe(end - start);
      body.copy(copy, 0, start, end);
      frame = new ResponseFrame(opcode, flags, copy, host.index);
    }
    this.slots.resolve(tag, frame);
    if (this.slots.inFlight === 0) this.keepAlive.unref();
  }

  onFailure(tag: number, kind: number, message: string): void {
    if (!this.slots.has(tag)) return;
    const host = this.tagHost[tag]!;
    this.reject(tag, failureError(kind, message, host.address, this.tagTimeout[tag]!));
  }

  onEvent(_event: CqlEvent): void {
    // The lane never registers for events (the control connection does).
  }

  onClose(conn: Connection, error: Error | null): void {
    for (const host of this.open) {
      if (host.lane !== conn) continue;
      this.open.delete(host);
      host.lane = null;
      host.laneShard = -1;
      this.markSlot(host, 2);
      if (error !== null && !this.closed) {
        this.retryLater(host);
        this.source.laneLog('info', `direct lane to ${host.address} closed (${error.message}); the rings carry its requests`);
      }
      return;
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  private openLane(host: LaneHost): void {
    host.laneOpening = true;
    const o = this.source.laneOptions();
    const slot = host.laneSlot >= 0 ? host.laneSlot : (host.laneSlot = this.source.laneSlot(host));
    const metrics: ConnectionMetrics | null = this.metrics !== null ? this.metrics.connection(slot) : null;
    const keyspace = this.keyspace ?? o.keyspace;
    const options: ConnectionOptions = {
      host: host.ip,
      port: host.port,
      maxProtocolVersion: o.maxProtocolVersion,
      compression: o.compression,
      connectTimeoutMs: o.connectTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      tls: o.tls,
      servername: host.servername,
      credentials: o.credentials,
      keyspace,
      startupOptions: o.startupOptions,
      coalescingThreshold: o.coalescingThreshold,
      localPort: null,
      metrics,
      tcpNoDelay: true,
      keepAlive: true,
      authenticator: o.remoteAuth === true ? this.source.laneAuthenticator(host.address) : null,
    };
    // Cold path (once per connection): closures are fine here.
    Connection.open(options, this).then(
      (conn) => this.opened(host, conn, keyspace),
      (e: unknown) => {
        host.laneOpening = false;
        this.retryLater(host);
        this.source.laneLog('info', `direct lane to ${host.address} not opened (${(e as Error).message}); the rings carry its requests`);
      },
    );
  }

  private opened(host: LaneHost, conn: Connection, keyspace: string | null): void {
    if (this.closed || host.laneRetryAt === Infinity) {
      host.laneOpening = false;
      void conn.close();
      return;
    }
    conn.unref();
    const now = this.keyspace ?? keyspace;
    if (now !== keyspace && now !== null) {
      // The session keyspace changed while this connection was opening.
      conn.useKeyspace(now).then(
        () => this.opened(host, conn, now),
        () => {
          host.laneOpening = false;
          this.retryLater(host);
          void conn.close();
        },
      );
      return;
    }
    host.laneOpening = false;
    host.laneRetryDelay = 0;
    // ScyllaDB names the connection's shard in SUPPORTED (protocol-extensions.md); Cassandra: shard 0.
    const shard = Number(conn.supported['SCYLLA_SHARD']?.[0] ?? 0);
    host.laneShard = Number.isFinite(shard) ? shard : 0;
    host.lane = conn;
    this.open.add(host);
    this.markSlot(host, 1);
  }

  private retryLater(host: LaneHost): void {
    host.laneRetryDelay = host.laneRetryDelay === 0 ? FIRST_RETRY_MS : Math.min(MAX_RETRY_MS, host.laneRetryDelay * 2);
    host.laneRetryAt = performance.now() + host.laneRetryDelay;
  }

  private markSlot(host: LaneHost, state: number): void {
    if (this.metrics === null || host.laneSlot < 0) return;
    const m = this.metrics.connection(host.laneSlot);
    if (m === null) return;
    m.c[C_STATE] = state;
    m.c[C_WORKER] = LANE_WORKER;
    if (state === 1) m.c[C_SHARD] = host.laneShard;
  }

  private reject(tag: number, e: Error): void {
    this.tagHost[tag] = null;
    this.slots.reject(tag, e);
    if (this.slots.inFlight === 0) this.keepAlive.unref();
  }

  /** `USE keyspace` on every open lane connection (new ones open with it). */
  async setKeyspace(keyspace: string): Promise<void> {
    this.keyspace = keyspace;
    const open = [...this.open];
    await Promise.all(
      open.map((host) =>
        host.lane!.useKeyspace(keyspace).catch((e: unknown) => {
          // A lane connection that cannot switch is dropped: the rings carry its requests.
          this.source.laneLog('warning', `direct lane to ${host.address}: USE failed (${(e as Error).message})`);
          const c = host.lane;
          if (c !== null) void c.close();
        }),
      ),
    );
  }

  /** The host left the cluster (or is down for good): closes its lane connection. */
  dropHost(host: LaneHost): void {
    // Never again, and a connection still opening is closed when it opens (opened): its metrics slot is given back.
    host.laneRetryAt = Infinity;
    const c = host.lane;
    if (c !== null) void c.close();
  }

  /** Closes every lane connection: in-flight requests finish first (Connection.close drains them). */
  async close(): Promise<void> {
    this.closed = true;
    const open = [...this.open];
    await Promise.all(open.map((h) => (h.lane !== null ? h.lane.close() : Promise.resolve())));
    this.slots.rejectAll(-1, () => new DriverError('The client was shut down before the request completed'));
    clearInterval(this.keepAlive);
  }
}

function noop(): void {}
