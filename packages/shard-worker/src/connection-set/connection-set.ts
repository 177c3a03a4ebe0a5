/**
 * The connections one owner keeps open, as slots: a shard worker's (one slot per engine-wide connection index,
 * reconnected on timers) and the requesting thread's direct lane (one slot per host, reopened when a request could
 * use it). A slot outlives its connections: spec -> connection options, open, the slot's state and shard in the
 * per-shard metrics buffer, the shard a connection serves, the reconnection schedule (the user's
 * policies.reconnection, schedule.ts), close. Cold paths only: the request path reads `slot.conn` and `slot.up`.
 */
import type { PeerCertificate } from 'node:tls';
import { Connection, type Authenticator, type ConnectionListener, type ConnectionOptions } from '../connection';
import type { ConnectionMetrics, WorkerMetrics } from '../metrics/connection-metrics';
// The metrics layout's defining module, not a package index: plain properties, no getter per read.
import { C_SHARD, C_STATE, C_WORKER } from '@shardcql/core/ring/metrics-layout';
import type { ConnectionSpec, WorkerConnectionOptions } from '../protocol';
import { ReconnectionSchedule, type ReconnectionSchedules } from './schedule';

/** Slot states in the metrics buffer (core ring/metrics-layout.ts C_STATE). */
export const SLOT_UP = 1;
export const SLOT_DOWN = 2;
export const SLOT_CLOSED = 3;

/** The shard a connection serves: ScyllaDB names it in SUPPORTED (protocol-extensions.md); Cassandra: 0. */
export function shardOf(conn: Connection): number {
  const shard = Number(conn.supported['SCYLLA_SHARD']?.[0] ?? 0);
  return Number.isFinite(shard) ? shard : 0;
}

export class ConnectionSlot {
  /** The open connection (null: none, or still opening). */
  conn: Connection | null = null;
  /** `conn` is open and usable. */
  up = false;
  opening = false;
  /** Closed for good (close()): never reopened; a connection that opens meanwhile is closed. */
  closing = false;
  /** ScyllaDB: the shard `conn` serves (-1: none); Cassandra: 0. */
  shard = -1;
  /** performance.now() before which no new attempt is due (after a failure or a loss). */
  retryAt = 0;
  /** The pending reconnection (sets with `timers` only). */
  timer: NodeJS.Timeout | null = null;
  readonly schedule: ReconnectionSchedule;
  /** "host:port", as logs name hosts. */
  readonly address: string;

  constructor(
    readonly spec: ConnectionSpec,
    policy: ReconnectionSchedules,
    /** Kept across reconnections: the (host, shard) series continues. Null: no counting. */
    readonly metrics: ConnectionMetrics | null,
  ) {
    this.schedule = new ReconnectionSchedule(policy);
    this.address = `${spec.host}:${spec.port}`;
  }
}

/** What the set tells its owner; `reconnected` and `reconnectFailed` only for timer-driven attempts. */
export interface ConnectionSetEvents {
  reconnected(slot: ConnectionSlot, conn: Connection): void;
  reconnectFailed(slot: ConnectionSlot, error: Error): void;
}

export interface ConnectionSetConfig {
  /** The metrics buffer's C_WORKER for the set's slots: the worker's index, or -1 for the direct lane. */
  worker: number;
  /** Hears every connection's answers, failures, events and close (the owner; its onClose calls `lost`). */
  listener: ConnectionListener;
  /** Reconnect on a timer after a loss or a failed open (a worker). False: the owner calls `open` once `due`. */
  timers: boolean;
  /** Let the process exit while connections are open (the lane; worker threads need not). */
  unref: boolean;
  events: ConnectionSetEvents | null;
}

export class ConnectionSet {
  /** Slots by engine-wide connection index (slots with an index >= 0). */
  private readonly byConn = new Map<number, ConnectionSlot>();
  /** Every slot, in the order added. */
  readonly list: ConnectionSlot[] = [];
  /** The options shared by every connection (null until given: nothing opens before). */
  options: WorkerConnectionOptions | null = null;
  /** The session keyspace (`USE`): overrides the options' one once set. */
  keyspace: string | null = null;
  /** The server identity check when it must answer later (the user's function on another thread), or null. */
  serverIdentity: ((hostname: string, cert: PeerCertificate) => Promise<Error | null>) | null = null;
  /** A custom AuthProvider's authenticator for a connection to `address`, or null (credentials or none). */
  authenticator: ((address: string) => Authenticator | null) | null = null;
  /** The per-shard metrics buffer the slots added from now on count into (null: no counting). */
  metrics: WorkerMetrics | null = null;
  /** Shutting down: nothing opens or reconnects any more. */
  stopping = false;

  constructor(private readonly config: ConnectionSetConfig) {}

  get(conn: number): ConnectionSlot | undefined {
    return this.byConn.get(conn);
  }

  /** The slot whose connection is `conn` (a scan: for onClose). */
  slotOf(conn: Connection): ConnectionSlot | null {
    for (const s of this.list) if (s.conn === conn) return s;
    return null;
  }

  /** A new slot for `spec`, reconnecting by `policy`'s schedules; `spec.conn` < 0: not in the metrics, not by index. */
  add(spec: ConnectionSpec, policy: ReconnectionSchedules): ConnectionSlot {
    const m = this.metrics;
    const slot = new ConnectionSlot(spec, policy, m !== null && spec.conn >= 0 ? m.connection(spec.conn) : null);
    if (spec.conn >= 0) this.byConn.set(spec.conn, slot);
    this.list.push(slot);
    return slot;
  }

  /** The options of a new connection of `slot` (spec, shared options, keyspace, metrics slot, authenticator). */
  connectionOptions(slot: ConnectionSlot): ConnectionOptions {
    const o = this.options!;
    const spec = slot.spec;
    return {
      host: spec.host,
      port: spec.port,
      maxProtocolVersion: o.maxProtocolVersion,
      compression: o.compression,
      connectTimeoutMs: o.connectTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      tls: o.tls,
      servername: spec.servername ?? null,
      serverIdentity: o.remoteServerIdentity === true ? this.serverIdentity : null,
      credentials: o.credentials,
      keyspace: this.keyspace ?? o.keyspace,
      startupOptions: o.startupOptions,
      coalescingThreshold: o.coalescingThreshold,
      localPort: spec.localPort,
      metrics: slot.metrics,
      tcpNoDelay: true,
      keepAlive: true,
      maxRequestsPerConnection: o.maxRequestsPerConnection,
      authenticator: o.remoteAuth === true && this.authenticator !== null ? this.authenticator(slot.address) : null,
    };
  }

  /**
   * Opens a connection for `slot`. Resolves with it once it is up (marked in the metrics, the schedule restarted;
   * a keyspace set while it opened is switched to first). Rejects when it does not open (the next attempt is then
   * due after the schedule's next delay, and with `timers` it is made then) or when the slot was closed meanwhile.
   */
  async open(slot: ConnectionSlot): Promise<Connection> {
    slot.opening = true;
    let conn: Connection;
    try {
      const options = this.connectionOptions(slot);
      conn = await Connection.open(options, this.config.listener);
      if (!this.stopping && !slot.closing && this.keyspace !== null && this.keyspace !== options.keyspace) {
        // The session keyspace changed while this connection was opening.
        await this.switchKeyspace(conn, this.keyspace);
      }
    } catch (e) {
      slot.opening = false;
      if (!this.stopping && !slot.closing) this.retryLater(slot);
      throw e;
    }
    slot.opening = false;
    if (this.stopping || slot.closing) {
      // Closed while it opened: its index may soon be another connection's.
      void conn.close();
      throw new Error(`connection ${slot.spec.conn} was closed while it opened`);
    }
    if (this.config.unref) conn.unref();
    slot.conn = conn;
    slot.up = true;
    slot.shard = shardOf(conn);
    slot.schedule.restart();
    this.mark(slot, SLOT_UP);
    return conn;
  }

  private async switchKeyspace(conn: Connection, keyspace: string): Promise<void> {
    try {
      await conn.useKeyspace(keyspace);
    } catch (e) {
      void conn.close();
      throw e;
    }
  }

  /** `slot` may open now: it is not open, opening, closed, or waiting out a delay. */
  due(slot: ConnectionSlot, now: number): boolean {
    return slot.conn === null && !slot.opening && !slot.closing && !this.stopping && now >= slot.retryAt;
  }

  /**
   * `slot`'s connection closed (the listener's onClose): marked down, and, unless the slot is closed, a new
   * reconnection episode begins (its first delay from a new schedule).
   */
  lost(slot: ConnectionSlot): void {
    slot.up = false;
    slot.conn = null;
    slot.shard = -1;
    this.mark(slot, SLOT_DOWN);
    if (this.stopping || slot.closing) return;
    slot.schedule.restart();
    this.retryLater(slot);
  }

  /** The host is said to be up: a slot that is down and waiting tries now, and its schedule starts over. */
  reconnectNow(slot: ConnectionSlot): void {
    if (slot.up || slot.closing || slot.opening || this.stopping) return;
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    slot.schedule.restart();
    slot.retryAt = 0;
    if (this.config.timers) this.arm(slot, 0);
  }

  /** The next attempt after the schedule's next delay. */
  private retryLater(slot: ConnectionSlot): void {
    const delay = slot.schedule.next();
    slot.retryAt = performance.now() + delay;
    if (this.config.timers) this.arm(slot, delay);
  }

  private arm(slot: ConnectionSlot, delay: number): void {
    if (slot.timer !== null) return;
    // Cold path (once per attempt): a closure is fine here.
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (!this.due(slot, Infinity)) return;
      this.open(slot).then(
        (conn) => this.config.events?.reconnected(slot, conn),
        (e: unknown) => {
          if (!slot.closing && !this.stopping) this.config.events?.reconnectFailed(slot, e instanceof Error ? e : new Error(String(e)));
        },
      );
    }, delay);
    slot.timer.unref();
  }

  /** Closes `slot` for good: its timer cancelled, its connection closed, marked closed, forgotten. */
  close(slot: ConnectionSlot): Promise<void> {
    slot.closing = true;
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    slot.up = false;
    this.mark(slot, SLOT_CLOSED);
    const conn = slot.conn;
    slot.conn = null;
    if (this.byConn.get(slot.spec.conn) === slot) this.byConn.delete(slot.spec.conn);
    const i = this.list.indexOf(slot);
    if (i >= 0) this.list.splice(i, 1);
    return conn !== null ? conn.close() : Promise.resolve();
  }

  /** Shutdown: no more attempts; every open connection closes (in-flight requests first: Connection.close). */
  closeAll(): Promise<void> {
    this.stopping = true;
    for (const s of this.list) {
      s.closing = true;
      if (s.timer !== null) clearTimeout(s.timer);
      s.timer = null;
    }
    return Promise.all(this.list.map((s) => (s.conn !== null ? s.conn.close() : Promise.resolve()))).then(noop);
  }

  /** The slot's state (and, when up, its shard) in the metrics buffer. */
  private mark(slot: ConnectionSlot, state: number): void {
    const m = slot.metrics;
    if (m === null) return;
    m.c[C_STATE] = state;
    m.c[C_WORKER] = this.config.worker;
    if (state === SLOT_UP) m.c[C_SHARD] = slot.shard;
  }
}

function noop(): void {}
