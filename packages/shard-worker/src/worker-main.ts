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
import { C_NO_CONNECTION } from '@shardcql/core/ring/metrics-layout';
import { RemoteAuthenticator, type AuthChannel, type Connection, type ConnectionListener, type IncomingAnswer } from './connection';
import { ConnectionSet, SampledSchedules, shardOf, type ConnectionSetEvents, type ConnectionSlot } from './connection-set';
import {
  type SerializedError,
  serializeError,
  type ConnectResult,
  type ConnectionSpec,
  type ControlAnswer,
  type FromWorker,
  type ToWorker,
  type WorkerConnectionOptions,
  type WorkerInit,
} from './protocol';
import { RingDispatcher, type DispatchTargets } from './dispatcher';
import { WorkerMetrics } from './metrics/connection-metrics';

/** Control requests (USE, PREPARE on all hosts, REGISTER) never wait longer than this. */
const CONTROL_REQUEST_TIMEOUT_MS = 12_000;

class ShardWorker implements ConnectionListener, DispatchTargets, ConnectionSetEvents {
  private readonly rings: RingDispatcher;
  /** This worker's connections, by engine-wide connection index (connection-set/). */
  private readonly slots: ConnectionSet;
  /** slots.list: every slot, for the drain's flush and pick. */
  private readonly slotList: ConnectionSlot[];
  private rr = 0;
  private metrics: WorkerMetrics | null = null;

  constructor(
    private readonly init: WorkerInit,
    private readonly port: NonNullable<typeof parentPort>,
  ) {
    this.rings = new RingDispatcher(init.requestBell, this);
    this.slots = new ConnectionSet({ worker: init.workerIndex, listener: this, timers: true, unref: false, events: this });
    this.slotList = this.slots.list;
    this.slots.serverIdentity = this.askServerIdentity;
    this.slots.authenticator = (address) => new RemoteAuthenticator(this.authChannel, address);
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
        this.post({
          type: 'auth',
          ask: id,
          session,
          step,
          address,
          authenticatorClass,
          token: token === null ? null : new Uint8Array(token),
        });
      }),
    tell: (session, address, token) => {
      this.post({
        type: 'auth',
        ask: 0,
        session,
        step: 'success',
        address,
        authenticatorClass: '',
        token: token === null ? null : new Uint8Array(token),
      });
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
    s.metrics.c[C_NO_CONNECTION]!++;
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
    const s = this.slots.slotOf(conn);
    if (s === null) return;
    // Marked down; a reconnection is scheduled by the policy's schedule (unless closing or stopping).
    this.slots.lost(s);
    this.post({ type: 'connection-state', conn: s.spec.conn, up: false, error: error === null ? null : serializeError(error), shard: -1 });
  }

  // ---- reconnections (ConnectionSetEvents) -------------------------------------------------------

  reconnected(s: ConnectionSlot, conn: Connection): void {
    this.post({ type: 'connection-state', conn: s.spec.conn, up: true, error: null, shard: shardOf(conn) });
  }

  reconnectFailed(s: ConnectionSlot, e: Error): void {
    this.post({ type: 'log', level: 'warning', message: `reconnect to ${s.spec.host}:${s.spec.port} failed: ${e.message}` });
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
        this.slots.keyspace = m.keyspace;
        return;
      case 'close-connections':
        for (const c of m.conns) {
          const slot = this.slots.get(c);
          if (slot !== undefined) void this.slots.close(slot);
        }
        return;
      case 'reconnect-now':
        for (const c of m.conns) {
          // Now, and the schedule starts over: the server just said the host is up.
          const slot = this.slots.get(c);
          if (slot !== undefined) this.slots.reconnectNow(slot);
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

  private async connectAll(id: number, specs: ConnectionSpec[], options: WorkerConnectionOptions): Promise<void> {
    const set = this.slots;
    set.options = options;
    if (set.keyspace === null) set.keyspace = options.keyspace;
    const sab = options.metrics ?? null;
    if (sab !== null && (this.metrics === null || this.metrics.sab !== sab)) this.metrics = new WorkerMetrics(sab, this.init.workerIndex);
    set.metrics = this.metrics;
    this.rings.metrics = this.metrics;
    const results = await Promise.all(
      specs.map(async (spec): Promise<ConnectResult> => {
        // The engine drew this connection's reconnection delays from the user's policy (schedule.ts says why).
        const slot = set.get(spec.conn) ?? set.add(spec, new SampledSchedules(spec.reconnectDelays));
        try {
          const conn = await set.open(slot);
          return { conn: spec.conn, ok: true, protocolVersion: conn.protocolVersion, supported: conn.supported, error: null };
        } catch (e) {
          // Unless the slot was closed meanwhile, the set reconnects by the schedule.
          return { conn: spec.conn, ok: false, protocolVersion: 0, supported: null, error: serializeError(e) };
        }
      }),
    );
    this.post({ type: 'connected', id, results });
  }

  private async requestAll(id: number, opcode: number, body: Uint8Array, conns: number[] | null): Promise<void> {
    const targets = conns === null ? this.slotList.filter((s) => s.up && s.conn !== null) : conns.map((c) => this.slots.get(c));
    const answers: ControlAnswer[] = await Promise.all(
      targets.map(async (s, i): Promise<ControlAnswer> => {
        const connIndex = s?.spec.conn ?? (conns !== null ? conns[i]! : -1);
        if (s === undefined || s.conn === null || !s.up) {
          return {
            conn: connIndex,
            opcode: 0,
            flags: 0,
            body: null,
            error: serializeError(new Error(`connection ${connIndex} is not open`)),
          };
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
    // Requests already in the rings still go out; later ones fail with SHUTTING_DOWN.
    this.rings.stop();
    const closes = this.slots.closeAll();
    let timer: NodeJS.Timeout | null = null;
    await Promise.race([closes, new Promise<void>((res) => (timer = setTimeout(res, graceMs)))]);
    if (timer !== null) clearTimeout(timer);
    this.rings.finish();
    this.post({ type: 'shutdown-done', id });
  }
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'requestBell' in (workerData as object)) {
  new ShardWorker(workerData as WorkerInit, parentPort).start();
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
