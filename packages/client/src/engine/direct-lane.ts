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
 * coalescing writer, timeouts, heartbeats; the same ConnectionSet: options, metrics slot, shard, reconnection
 * schedule) and answers with the same EngineAnswer and the same typed errors, so the client cannot tell which
 * way a request went. It counts into the per-shard metrics buffer as one more connection of its host (worker -1).
 * Its connections open lazily, the first time a request could use them, again after a failure or a loss only once
 * the user's reconnection policy's delay has passed, and never keep the process alive while idle.
 */
import { DriverError, NoHostAvailableError, type CqlEvent } from '@shardcql/core';
import {
  ConnectionSet,
  OutgoingRequest,
  WorkerMetrics,
  type Connection,
  type ConnectionListener,
  type ConnectionSlot,
  type IncomingAnswer,
  type Authenticator,
  type ReconnectionSchedules,
  type WorkerConnectionOptions,
} from '@shardcql/shard-worker';
import { EngineAnswer } from './engine';
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

/** What the lane keeps per host; the engine's host state carries these fields, so they follow host re-indexing. */
export interface LaneHost {
  address: string;
  ip: string;
  port: number;
  /** The host name it was given by (a contact point): TLS verifies the certificate against it and sends it as SNI. */
  servername: string | null;
  /** The host's index in the engine's host list (EngineAnswer.hostIndex); the engine keeps it current. */
  index: number;
  /**
   * The host's lane connection slot (null: none yet): its connection (`conn`, when `up`), the shard it landed on,
   * and when the next attempt is due (ConnectionSet).
   */
  lane: ConnectionSlot | null;
  /** The engine-wide connection index whose metrics slot the lane connection counts into (-1: not given yet). */
  laneSlot: number;
}

/** What the lane asks of its engine. */
export interface LaneSource {
  /** The options worker connections get (keyspace included). */
  laneOptions(): WorkerConnectionOptions;
  /** A connection index for `host`'s lane metrics slot (allocated once per host). */
  laneSlot(host: LaneHost): number;
  /** The user's policies.reconnection: a lane connection that failed or was lost is tried again after its delays. */
  readonly reconnection: ReconnectionSchedules;
  laneLog(level: 'info' | 'warning', message: string): void;
  /** The authenticator of a custom AuthProvider for a lane connection to `address` (null: credentials or none). */
  laneAuthenticator(address: string): Authenticator | null;
}

export class DirectLane implements ConnectionListener {
  private readonly slots: RequestSlots;
  private readonly tagHost: Array<LaneHost | null> = [];
  private readonly tagTimeout: Float64Array;
  private readonly voidFrames: EngineAnswer[] = [];
  /** The descriptor each request is handed to its connection in (Connection.send), refilled per request. */
  private readonly out = new OutgoingRequest();
  /** Ref'd only while requests are in flight: an idle lane never keeps the process alive. */
  private readonly keepAlive: NodeJS.Timeout;
  private readonly open = new Set<LaneHost>();
  /** One slot per host (LaneHost.lane): opened on this thread, reopened when due, never on a timer. */
  private readonly set: ConnectionSet;
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
    this.set = new ConnectionSet({ worker: LANE_WORKER, listener: this, timers: false, unref: true, events: null });
    this.set.metrics = metricsBuffer !== null ? new WorkerMetrics(metricsBuffer, 1 << 30) : null;
    this.set.authenticator = (address) => this.source.laneAuthenticator(address);
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
  trySend(host: LaneHost, shard: number, req: EngineRequest): Promise<EngineAnswer> | null {
    const slot = host.lane;
    const conn = slot !== null ? slot.conn : null;
    if (conn === null) {
      if (!this.closed && (slot === null || this.set.due(slot, performance.now()))) this.openLane(host);
      return null;
    }
    if (this.slots.inFlight >= this.maxInFlight || conn.state !== 'ready' || conn.availableStreams === 0) return null;
    if (shard >= 0 && slot!.shard !== shard) return null;
    const promise = new Promise<EngineAnswer>(this.capture as (res: (v: EngineAnswer) => void, rej: (e: unknown) => void) => void);
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
    let frame: EngineAnswer;
    if (
      opcode === OPCODE_RESULT &&
      flags === 0 &&
      end - start === 4 &&
      body[start] === 0 &&
      body[start + 1] === 0 &&
      body[start + 2] === 0 &&
      body[start + 3] === 1
    ) {
      // A VOID answer (every write): one shared read-only frame per host, as the ring path does.
      const f = this.voidFrames[host.index + 1];
      if (f === undefined || f.hostIndex !== host.index) {
        frame = new EngineAnswer(OPCODE_RESULT, 0, VOID_BODY, host.index);
        this.voidFrames[host.index + 1] = frame;
      } else {
        frame = f;
      }
    } else {
      const copy = Buffer.allocUnsafe(end - start);
      body.copy(copy, 0, start, end);
      frame = new EngineAnswer(opcode, flags, copy, host.index);
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
    const slot = this.set.slotOf(conn);
    if (slot === null) return;
    // Marked down; reopened once the policy's first delay has passed (and a request could use it).
    this.set.lost(slot);
    let address = slot.address;
    for (const host of this.open) {
      if (host.lane !== slot) continue;
      this.open.delete(host);
      address = host.address;
      break;
    }
    if (error !== null && !this.closed)
      this.source.laneLog('info', `direct lane to ${address} closed (${error.message}); the rings carry its requests`);
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  private openLane(host: LaneHost): void {
    let slot = host.lane;
    if (slot === null) {
      const conn = host.laneSlot >= 0 ? host.laneSlot : (host.laneSlot = this.source.laneSlot(host));
      slot = host.lane = this.set.add(
        { conn, host: host.ip, port: host.port, localPort: null, servername: host.servername },
        this.source.reconnection,
      );
    }
    // The engine's options at this moment (keyspace included); the user's sslOptions as given (functions too).
    this.set.options = this.source.laneOptions();
    const opening = slot;
    // Cold path (once per connection): closures are fine here.
    this.set.open(opening).then(
      () => {
        // Lost again already (onClose before this callback): nothing to add.
        if (opening.conn !== null) this.open.add(host);
      },
      (e: unknown) => {
        if (!opening.closing && !this.closed)
          this.source.laneLog('info', `direct lane to ${host.address} not opened (${(e as Error).message}); the rings carry its requests`);
      },
    );
  }

  private reject(tag: number, e: Error): void {
    this.tagHost[tag] = null;
    this.slots.reject(tag, e);
    if (this.slots.inFlight === 0) this.keepAlive.unref();
  }

  /** `USE keyspace` on every open lane connection (new ones open with it). */
  async setKeyspace(keyspace: string): Promise<void> {
    this.set.keyspace = keyspace;
    const open = [...this.open];
    await Promise.all(
      open.map((host) =>
        host.lane!.conn!.useKeyspace(keyspace).catch((e: unknown) => {
          // A lane connection that cannot switch is dropped: the rings carry its requests.
          this.source.laneLog('warning', `direct lane to ${host.address}: USE failed (${(e as Error).message})`);
          const c = host.lane!.conn;
          if (c !== null) void c.close();
        }),
      ),
    );
  }

  /** The host left the cluster (or is down for good): closes its lane connection. */
  dropHost(host: LaneHost): void {
    // Never again, and a connection still opening is closed when it opens (ConnectionSet.open): its metrics slot is
    // given back.
    const slot = host.lane;
    if (slot === null) return;
    this.open.delete(host);
    void this.set.close(slot);
  }

  /** Closes every lane connection: in-flight requests finish first (Connection.close drains them). */
  async close(): Promise<void> {
    this.closed = true;
    await this.set.closeAll();
    this.slots.rejectAll(-1, () => new DriverError('The client was shut down before the request completed'));
    clearInterval(this.keepAlive);
  }
}

function noop(): void {}
