/**
 * The entry point of a shard worker thread: the thread that owns a set of connections. The ring side (the
 * requesters' rings, the drain loop, dispatch and answers) is dispatcher.ts; this file keeps the connection
 * slots, the control messages from the engine, and shutdown.
 */
import { workerData, parentPort } from 'node:worker_threads';
import * as core from '@shardcql/core';
import type { PeerCertificate } from 'node:tls';
import type { CqlEvent } from '@shardcql/core';
import { TARGET_ANY } from '@shardcql/core/ring/records';
import { C_NO_CONNECTION, C_SHARD, C_STATE, C_WORKER } from '@shardcql/core/ring/metrics-layout';
import { Connection, RemoteAuthenticator, type AuthChannel, type ConnectionListener, type ConnectionOptions, type IncomingAnswer } from './connection';
import {
  type SerializedError,
  serializeError,
  type ConnectionSpec,
  type ControlAnswer,
  type FromWorker,
  type ToWorker,
  type WorkerConnectionOptions,
  type WorkerInit,
} from './protocol';
import { RingDispatcher, type DispatchTargets } from './dispatcher';
import { WorkerMetrics, type ConnectionMetrics } from './metrics/connection-metrics';

/** Metrics slot states (core ring/metrics-layout.ts C_STATE). */
const SLOT_UP = 1;
const SLOT_DOWN = 2;
const SLOT_CLOSED = 3;

/** Control requests (USE, PREPARE on all hosts, REGISTER) never wait longer than this. */
const CONTROL_REQUEST_TIMEOUT_MS = 12_000;

class ConnectionSlot {
  conn: Connection | null = null;
  up = false;
  reconnectDelay = 0;
  timer: NodeJS.Timeout | null = null;
  closing = false;
  /** Kept across reconnections: the (host, shard) series continues. */
  metrics: ConnectionMetrics | null = null;
  constructor(readonly spec: ConnectionSpec) {}
}

class ShardWorker implements ConnectionListener, DispatchTargets {
  private readonly rings: RingDispatcher;
  /** Connection slots by engine-wide connection index. */
  private readonly slots = new Map<number, ConnectionSlot>();
  private readonly slotList: ConnectionSlot[] = [];
  private rr = 0;
  private options: WorkerConnectionOptions | null = null;
  private keyspace: string | null = null;
  private stopping = false;
  private metrics: WorkerMetrics | null = null;

  constructor(private readonly init: WorkerInit, private readonly port: NonNullable<typeof parentPort>) {
    this.rings = new RingDispatcher(init.requestBell, this);
    for (const r of init.requesters) this.rings.addRequester(r);
  }

  start(): void {
    this.port.on('message', (m: ToWorker) => this.onControl(m));
    this.post({ type: 'started', workerIndex: this.init.workerIndex });
    this.rings.scheduleLoop();
  }

  // ---- remote authentication (connection/remote-authenticator.ts) ----------------------------------

  private readonly authAsks = new Map<number, { resolve(t: Uint8Array | null): void; reject(e: Error): void }>();
  private nextAuthAsk = 1;
  private readonly authChannel: AuthChannel = {
    ask: (session, step, address, authenticatorClass, token) =>
      new Promise<Uint8Array | null>((resolve, reject) => {
        const id = this.nextAuthAsk++;
        this.authAsks.set(id, { resolve, reject });
        this.post({ type: 'auth', ask: id, session, step, address, authenticatorClass, token: token === null ? null : new Uint8Array(token) });
      }),
    tell: (session, address, token) => {
      this.post({ type: 'auth', ask: 0, session, step: 'success', address, authenticatorClass: '', token: token === null ? null : new Uint8Array(token) });
    },
  };

  // ---- the user's checkServerIdentity, on the engine's thread (WorkerConnectionOptions.remoteServerIdentity) --

  private readonly tlsAsks = new Map<number, (e: Error | null) => void>();
  private readonly askServerIdentity = (hostname: string, cert: PeerCertificate): Promise<Error | null> =>
    new Promise<Error | null>((resolve) => {
      const ask = this.nextAuthAsk++;
      this.tlsAsks.set(ask, resolve);
      try {
        this.post({ type: 'tls-check', ask, hostname, cert });
      } catch (e) {
        // A certificate that does not clone (never seen): refuse the server rather than skip the user's check.
        this.tlsAsks.delete(ask);
        resolve(e instanceof Error ? e : new Error(String(e)));
      }
    });

  private post(m: FromWorker): void {
    this.port.postMessage(m);
  }

  // ---- what the dispatcher needs of the connections (DispatchTargets) ----------------------------

  countNoConnection(target: number): boolean {
    const s = target !== TARGET_ANY ? this.slots.get(target) : undefined;
    if (s === undefined || s.metrics === null) return false;
    s.metrics.c[C_NO_CONNECTION]++;
    return true;
  }

  flushAll(): void {
    const list = this.slotList;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!.conn;
      if (c !== null) c.flush();
    }
  }

  retagRequests(lo: number, hi: number, to: number): void {
    for (const s of this.slotList) if (s.conn !== null) s.conn.retagRequests(lo, hi, to);
  }

  logError(message: string): void {
    this.post({ type: 'log', level: 'error', message });
  }

  /** Marks a slot up (with the shard the server says it serves) or down in the metrics buffer. */
  private markSlot(s: ConnectionSlot, state: number): void {
    const m = s.metrics;
    if (m === null) return;
    m.c[C_STATE] = state;
    m.c[C_WORKER] = this.init.workerIndex;
    if (state === SLOT_UP && s.conn !== null) {
      // ScyllaDB names the connection's shard in SUPPORTED (protocol-extensions.md); Cassandra: shard 0.
      m.c[C_SHARD] = shardOf(s.conn);
    }
  }

  pick(target: number): Connection | null {
    if (target !== TARGET_ANY) {
      const s = this.slots.get(target);
      if (s !== undefined && s.up && s.conn !== null && s.conn.state === 'ready') return s.conn;
      // The target is down: any other connection of the same host is as good.
      if (s === undefined) return null;
      for (let i = 0; i < this.slotList.length; i++) {
        const o = this.slotList[i]!;
        if (o.up && o.conn !== null && o.conn.state === 'ready' && o.spec.host === s.spec.host && o.spec.port === s.spec.port) {
          return o.conn;
        }
      }
      return null;
    }
    const list = this.slotList;
    for (let k = 0; k < list.length; k++) {
      const s = list[(this.rr + k) % list.length]!;
      if (s.up && s.conn !== null && s.conn.state === 'ready') {
        this.rr = (this.rr + k + 1) % list.length;
        return s.conn;
      }
    }
    return null;
  }

  // ---- the answer path (ConnectionListener) ---------------------------------------------------

  onResponse(tag: number, a: IncomingAnswer): void {
    this.rings.answer(tag, a);
  }

  onFailure(tag: number, kind: number, message: string): void {
    this.rings.fail(tag, kind, TARGET_ANY, message);
  }

  onEvent(event: CqlEvent): void {
    this.post({ type: 'event', conn: -1, event });
  }

  onClose(conn: Connection, error: Error | null): void {
    for (const s of this.slotList) {
      if (s.conn === conn) {
        s.up = false;
        s.conn = null;
        this.markSlot(s, SLOT_DOWN);
        this.post({ type: 'connection-state', conn: s.spec.conn, up: false, error: error === null ? null : serializeError(error), shard: -1 });
        if (!this.stopping && !s.closing) this.scheduleReconnect(s);
      }
    }
  }

  // ---- control ----------------------------------------------------------------------------------

  private onControl(m: ToWorker): void {
    switch (m.type) {
      case 'connect':
        void this.connectAll(m.id, m.connections, m.options);
        return;
      case 'add-requester':
        this.rings.addRequester(m.rings);
        this.rings.scheduleLoop();
        return;
      case 'remove-requester':
        this.rings.removeRequester(m.requester);
        return;
      case 'request-all':
        void this.requestAll(m.id, m.opcode, m.body, m.conns);
        return;
      case 'set-keyspace':
        this.keyspace = m.keyspace;
        return;
      case 'close-connections':
        for (const c of m.conns) {
          const slot = this.slots.get(c);
          if (slot === undefined) continue;
          slot.closing = true;
          if (slot.timer !== null) clearTimeout(slot.timer);
          slot.timer = null;
          slot.up = false;
          this.markSlot(slot, SLOT_CLOSED);
          const conn = slot.conn;
          slot.conn = null;
          this.slots.delete(c);
          const i = this.slotList.indexOf(slot);
          if (i >= 0) this.slotList.splice(i, 1);
          if (conn !== null) void conn.close();
        }
        return;
      case 'reconnect-now':
        for (const c of m.conns) {
          const slot = this.slots.get(c);
          if (slot === undefined || slot.up || slot.closing) continue;
          if (slot.timer !== null) clearTimeout(slot.timer);
          slot.timer = null;
          // Back to the shortest delay: the server just said the host is up.
          slot.reconnectDelay = 0;
          this.scheduleReconnect(slot, 0);
        }
        return;
      case 'shutdown':
        void this.shutdown(m.id, m.graceMs);
        return;
      case 'auth-answer': {
        const p = this.authAsks.get(m.ask);
        if (p === undefined) return;
        this.authAsks.delete(m.ask);
        if (m.error !== null) p.reject(reviveAuthError(m.error));
        else p.resolve(m.token);
        return;
      }
      case 'tls-check-answer': {
        const settle = this.tlsAsks.get(m.ask);
        if (settle === undefined) return;
        this.tlsAsks.delete(m.ask);
        settle(m.error === null ? null : reviveTlsError(m.error));
        return;
      }
      case 'crash-for-test':
        // A real crash: an uncaught exception outside any handler kills the thread.
        setImmediate(() => {
          throw new Error('crash requested by a test');
        });
        return;
    }
  }

  private connectionOptions(spec: ConnectionSpec): ConnectionOptions {
    const o = this.options!;
    const slot = this.slots.get(spec.conn);
    return {
      host: spec.host,
      port: spec.port,
      maxProtocolVersion: o.maxProtocolVersion,
      compression: o.compression,
      connectTimeoutMs: o.connectTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      tls: o.tls,
      servername: spec.servername ?? null,
      serverIdentity: o.remoteServerIdentity === true ? this.askServerIdentity : null,
      credentials: o.credentials,
      keyspace: this.keyspace,
      startupOptions: o.startupOptions,
      coalescingThreshold: o.coalescingThreshold,
      localPort: spec.localPort,
      metrics: slot !== undefined ? slot.metrics : null,
      tcpNoDelay: true,
      keepAlive: true,
      maxRequestsPerConnection: o.maxRequestsPerConnection,
      authenticator: o.remoteAuth === true ? new RemoteAuthenticator(this.authChannel, `${spec.host}:${spec.port}`) : null,
    };
  }

  private async connectAll(id: number, specs: ConnectionSpec[], options: WorkerConnectionOptions): Promise<void> {
    this.options = options;
    if (this.keyspace === null) this.keyspace = options.keyspace;
    const sab = options.metrics ?? null;
    if (sab !== null && (this.metrics === null || this.metrics.sab !== sab)) this.metrics = new WorkerMetrics(sab, this.init.workerIndex);
    this.rings.metrics = this.metrics;
    const results = await Promise.all(
      specs.map(async (spec) => {
        let slot = this.slots.get(spec.conn);
        if (slot === undefined) {
          slot = new ConnectionSlot(spec);
          if (this.metrics !== null) slot.metrics = this.metrics.connection(spec.conn);
          this.slots.set(spec.conn, slot);
          this.slotList.push(slot);
        }
        try {
          const conn = await Connection.open(this.connectionOptions(spec), this);
          if (slot.closing) {
            // Closed ('close-connections') while it opened: its index may soon be another connection's.
            void conn.close();
            return { conn: spec.conn, ok: false, protocolVersion: 0, supported: null, error: serializeError(new Error(`connection ${spec.conn} was closed while it opened`)) };
          }
          slot.conn = conn;
          slot.up = true;
          slot.reconnectDelay = 0;
          this.markSlot(slot, SLOT_UP);
          return { conn: spec.conn, ok: true, protocolVersion: conn.protocolVersion, supported: conn.supported, error: null };
        } catch (e) {
          if (!this.stopping && !slot.closing) this.scheduleReconnect(slot);
          return { conn: spec.conn, ok: false, protocolVersion: 0, supported: null, error: serializeError(e) };
        }
      }),
    );
    this.post({ type: 'connected', id, results });
  }

  private scheduleReconnect(s: ConnectionSlot, delayMs = -1): void {
    if (s.timer !== null || this.options === null) return;
    const o = this.options;
    s.reconnectDelay = delayMs >= 0 ? delayMs : s.reconnectDelay === 0 ? o.reconnectDelayMs : Math.min(s.reconnectDelay * 2, o.maxReconnectDelayMs);
    s.timer = setTimeout(() => {
      s.timer = null;
      if (this.stopping) return;
      Connection.open(this.connectionOptions(s.spec), this).then(
        (conn) => {
          if (this.stopping) {
            void conn.close();
            return;
          }
          if (s.closing) {
            void conn.close();
            return;
          }
          s.conn = conn;
          s.up = true;
          s.reconnectDelay = 0;
          this.markSlot(s, SLOT_UP);
          this.post({ type: 'connection-state', conn: s.spec.conn, up: true, error: null, shard: shardOf(conn) });
        },
        (e: unknown) => {
          this.post({ type: 'log', level: 'warning', message: `reconnect to ${s.spec.host}:${s.spec.port} failed: ${(e as Error).message}` });
          if (!s.closing) this.scheduleReconnect(s);
        },
      );
    }, s.reconnectDelay);
    s.timer.unref();
  }

  private async requestAll(id: number, opcode: number, body: Uint8Array, conns: number[] | null): Promise<void> {
    const targets = conns === null ? this.slotList.filter((s) => s.up && s.conn !== null) : conns.map((c) => this.slots.get(c));
    const answers: ControlAnswer[] = await Promise.all(
      targets.map(async (s, i): Promise<ControlAnswer> => {
        const connIndex = s?.spec.conn ?? (conns !== null ? conns[i]! : -1);
        if (s === undefined || s.conn === null || !s.up) {
          return { conn: connIndex, opcode: 0, flags: 0, body: null, error: serializeError(new Error(`connection ${connIndex} is not open`)) };
        }
        try {
          const res = await s.conn.request(opcode, body, CONTROL_REQUEST_TIMEOUT_MS);
          return { conn: connIndex, opcode: res.opcode, flags: res.flags, body: new Uint8Array(res.body), error: null };
        } catch (e) {
          return { conn: connIndex, opcode: 0, flags: 0, body: null, error: serializeError(e) };
        }
      }),
    );
    this.post({ type: 'request-all-done', id, answers });
  }

  private async shutdown(id: number, graceMs: number): Promise<void> {
    this.stopping = true;
    // Requests already in the rings still go out; later ones fail with SHUTTING_DOWN.
    this.rings.stop();
    for (const s of this.slotList) {
      s.closing = true;
      if (s.timer !== null) clearTimeout(s.timer);
    }
    const closes = this.slotList.map((s) => (s.conn !== null ? s.conn.close() : Promise.resolve()));
    let timer: NodeJS.Timeout | null = null;
    await Promise.race([Promise.all(closes), new Promise<void>((res) => (timer = setTimeout(res, graceMs)))]);
    if (timer !== null) clearTimeout(timer);
    this.rings.finish();
    this.post({ type: 'shutdown-done', id });
  }
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'requestBell' in (workerData as object)) {
  new ShardWorker(workerData as WorkerInit, parentPort).start();
}

/** The shard a connection serves: ScyllaDB names it in SUPPORTED (protocol-extensions.md); Cassandra: 0. */
function shardOf(conn: Connection): number {
  const shard = Number(conn.supported['SCYLLA_SHARD']?.[0] ?? 0);
  return Number.isFinite(shard) ? shard : 0;
}

/** The user's checkServerIdentity verdict (an Error), with its message and code, as node's own check refuses. */
function reviveTlsError(e: SerializedError): Error {
  const err = new Error(e.message);
  if (e.name !== 'Error') err.name = e.name;
  if (e.code !== null) (err as Error & { code?: unknown }).code = e.code;
  for (const [k, v] of Object.entries(e.fields)) if (k !== 'message' && k !== 'stack') (err as unknown as Record<string, unknown>)[k] = v;
  return err;
}

/** The provider's failure on the engine's side, as the typed error a failed handshake gives. */
function reviveAuthError(e: SerializedError): Error {
  return new core.AuthenticationError(e.message);
}
