/**
 * The entry point of a shard worker thread: the thread that owns a set of connections.
 *
 * Requests arrive in the requesters' rings (one SPSC ring per requesting thread); the worker drains
 * every ring, hands each request to its target connection (which copies the frame into its write
 * buffer), then flushes each touched connection once: everything that piled up while the worker was
 * busy leaves in one `write`, and nothing waits when only one request is in flight.
 * Answers go back into the asking thread's response ring; the rings are published and the requesters'
 * doorbells rung once per burst of socket reads (a microtask after the reads of one I/O turn).
 */
import { workerData, parentPort } from 'node:worker_threads';
import * as core from '@shardcql/core';
import type { PeerCertificate } from 'node:tls';
import { Doorbell, RingConsumer, RingWriter, type CqlEvent } from '@shardcql/core';

// Read once: through the package index every access would be a getter call (CommonJS re-exports).
const KIND_REQUEST = core.RecordKind.REQUEST;
const KIND_RESPONSE = core.RecordKind.RESPONSE;
const KIND_FAILURE = core.RecordKind.FAILURE;
const REQUEST_HEADER_SIZE = core.REQUEST_HEADER_SIZE;
/** RESPONSE and FAILURE records share their 8-byte header (records.ts, writeAnswerHeader). */
const ANSWER_HEADER_SIZE = core.RESPONSE_HEADER_SIZE;
const writeAnswerHeader = core.writeAnswerHeader;
const TARGET_ANY = core.TARGET_ANY;
const FailureKind = core.FailureKind;
import { OutgoingRequest, RemoteAuthenticator, type AuthChannel, type Connection, type ConnectionListener, type IncomingAnswer } from './connection';
import { ConnectionSet, SampledSchedules, shardOf, type ConnectionSetEvents, type ConnectionSlot } from './connection-set';
import {
  type SerializedError,
  serializeError,
  type ConnectResult,
  type ConnectionSpec,
  type ControlAnswer,
  type FromWorker,
  type RequesterRings,
  type ToWorker,
  type WorkerConnectionOptions,
  type WorkerInit,
} from './protocol';
import { DROPPED_REQUESTER, TAG_SPLIT } from './tag';
import { WorkerMetrics } from './metrics/connection-metrics';
import * as layout from './metrics/layout';
// Read once: module exports compiled to CommonJS may be getters, too slow for the per-request path.
const C_BUSY = layout.C_BUSY;
const C_NO_CONNECTION = layout.C_NO_CONNECTION;
const W_DRAINS = layout.W_DRAINS;
const W_MAX_BATCH = layout.W_MAX_BATCH;
const W_NO_CONNECTION = layout.W_NO_CONNECTION;
const W_RECORDS = layout.W_RECORDS;


const textEncoder = new TextEncoder();
/** Control requests (USE, PREPARE on all hosts, REGISTER) never wait longer than this. */
const CONTROL_REQUEST_TIMEOUT_MS = 12_000;

class Requester {
  readonly requests: RingConsumer;
  /**
   * Answers go through reserve() when the ring has room; the others (ring full, or larger than a record) wait
   * in the writer, in order, and go as the requester frees space, a large one in parts. Never dropped.
   */
  readonly responses: RingWriter;
  readonly bell: Doorbell;
  dirty = false;
  removed = false;

  constructor(readonly index: number, rings: RequesterRings, onError: (r: Requester, e: Error) => void) {
    this.requests = new RingConsumer(rings.requests);
    this.bell = new Doorbell(rings.responseBell);
    this.responses = new RingWriter(rings.responses, this.bell, (e) => onError(this, e));
  }
}

class ShardWorker implements ConnectionListener, ConnectionSetEvents {
  private readonly bell: Doorbell;
  private readonly requesters: Array<Requester | null> = [];
  /** This worker's connections, by engine-wide connection index (connection-set/). */
  private readonly slots: ConnectionSet;
  /** slots.list: every slot, for the drain's flush and pick. */
  private readonly slotList: ConnectionSlot[];
  private rr = 0;
  private publishScheduled = false;
  private stopping = false;
  private loopScheduled = false;
  private sleeping = false;
  private metrics: WorkerMetrics | null = null;
  /** The descriptor each request is handed to its connection in (Connection.send), refilled per request. */
  private readonly out = new OutgoingRequest();

  constructor(private readonly init: WorkerInit, private readonly port: NonNullable<typeof parentPort>) {
    this.bell = new Doorbell(init.requestBell);
    this.slots = new ConnectionSet({ worker: init.workerIndex, listener: this, timers: true, unref: false, events: this });
    this.slotList = this.slots.list;
    this.slots.serverIdentity = this.askServerIdentity;
    this.slots.authenticator = (address) => new RemoteAuthenticator(this.authChannel, address);
    for (const r of init.requesters) this.addRequester(r);
    this.runLoop = this.runLoop.bind(this);
    this.publishResponses = this.publishResponses.bind(this);
    this.onWake = this.onWake.bind(this);
  }

  start(): void {
    this.port.on('message', (m: ToWorker) => this.onControl(m));
    this.post({ type: 'started', workerIndex: this.init.workerIndex });
    this.scheduleLoop();
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

  private addRequester(r: RequesterRings): void {
    this.requesters[r.requester] = new Requester(r.requester, r, this.onAnswerRingError);
  }

  /** Answers to a requester cannot be written (only a broken ring does that): it stops getting any. */
  private readonly onAnswerRingError = (r: Requester, e: Error): void => {
    r.removed = true;
    r.responses.close();
    this.post({ type: 'log', level: 'error', message: `answers to requester ${r.index} cannot be written: ${e.message}` });
  };

  // ---- the request path -------------------------------------------------------------------------

  private scheduleLoop(): void {
    if (this.loopScheduled) return;
    this.loopScheduled = true;
    // setImmediate, not a microtask: socket reads must get their turn between drains.
    setImmediate(this.runLoop);
  }

  private runLoop(): void {
    this.loopScheduled = false;
    if (this.drain() > 0) {
      this.scheduleLoop();
      return;
    }
    if (this.stopping) return;
    // Nothing queued: announce sleep, look once more (a producer may have published just before it
    // saw the flag), then wait on the doorbell without blocking the thread's event loop.
    this.bell.prepareToSleep();
    if (this.drain() > 0) {
      this.bell.cancelSleep();
      this.scheduleLoop();
      return;
    }
    this.sleeping = true;
    this.bell.wait().then(this.onWake, this.onWake);
  }

  private onWake(): void {
    this.sleeping = false;
    // Woken by a doorbell: this is its own task already, so drain now rather than after another
    // event-loop turn (that turn is a full extra hop of latency at low concurrency).
    if (this.loopScheduled || this.stopping) return;
    this.runLoop();
  }

  /** Moves every queued request to its connection; flushes each touched connection once. */
  private drain(): number {
    let n = 0;
    const requesters = this.requesters;
    for (let i = 0; i < requesters.length; i++) {
      const r = requesters[i];
      if (r === undefined || r === null) continue;
      const ring = r.requests;
      let got = 0;
      while (ring.next()) {
        got++;
        if (ring.kind === KIND_REQUEST) this.dispatch(r, ring.data, ring.offset, ring.length);
      }
      // Also when nothing whole came: the parts of a split request read so far must be freed for the rest.
      ring.release();
      n += got;
    }
    const wm = this.metrics;
    if (wm !== null && n > 0) {
      // Ring occupancy, sampled once per drain: how many records waited (mean and high-water mark).
      const w = wm.w;
      w[W_DRAINS]++;
      w[W_RECORDS] += n;
      if (n > w[W_MAX_BATCH]!) w[W_MAX_BATCH] = n;
    }
    // flush() is a no-op on a connection with nothing queued; a worker owns a handful of connections.
    if (n > 0) {
      const list = this.slotList;
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!.conn;
        if (c !== null) c.flush();
      }
    }
    return n;
  }

  private dispatch(r: Requester, u8: Uint8Array, off: number, len: number): void {
    const requestId = readU32(u8, off);
    const tag = r.index * TAG_SPLIT + requestId;
    if (len < REQUEST_HEADER_SIZE) {
      this.fail(tag, FailureKind.BAD_REQUEST, 0xffff, 'malformed request record');
      return;
    }
    const target = u8[off + 4]! | (u8[off + 5]! << 8);
    const opcode = u8[off + 6]!;
    const flags = u8[off + 7]!;
    const timeoutMs = readU32(u8, off + 8);
    if (this.stopping) {
      this.fail(tag, FailureKind.SHUTTING_DOWN, target, 'the shard worker is shutting down');
      return;
    }
    const conn = this.pick(target);
    if (conn === null) {
      if (this.metrics !== null) this.countNoConnection(target);
      this.fail(tag, FailureKind.NO_CONNECTION, target, `no open connection for target ${target}`);
      return;
    }
    const out = this.out;
    out.tag = tag;
    out.opcode = opcode;
    out.flags = flags;
    out.body = u8;
    out.start = off + REQUEST_HEADER_SIZE;
    out.end = off + len;
    out.timeoutMs = timeoutMs;
    if (!conn.send(out)) {
      if (conn.metrics !== null) conn.metrics.c[C_BUSY]++;
      this.fail(tag, FailureKind.BUSY, target, 'all stream ids of the connection are in use');
      return;
    }
  }

  private countNoConnection(target: number): void {
    const s = target !== TARGET_ANY ? this.slots.get(target) : undefined;
    if (s !== undefined && s.metrics !== null) s.metrics.c[C_NO_CONNECTION]++;
    else this.metrics!.w[W_NO_CONNECTION]++;
  }

  private pick(target: number): Connection | null {
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
    const r = this.requesters[Math.floor(tag / TAG_SPLIT)];
    if (r === undefined || r === null || r.removed) return;
    // Target 0xffff: the requester knows the target it asked for.
    this.writeAnswer(r, KIND_RESPONSE, tag % TAG_SPLIT, a.opcode, a.flags, 0xffff, a.body, a.start, a.end);
  }

  onFailure(tag: number, kind: number, message: string): void {
    this.fail(tag, kind, 0xffff, message);
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

  private fail(tag: number, kind: number, target: number, message: string): void {
    const r = this.requesters[Math.floor(tag / TAG_SPLIT)];
    if (r === undefined || r === null || r.removed) return;
    const msg = textEncoder.encode(message);
    this.writeAnswer(r, KIND_FAILURE, tag % TAG_SPLIT, kind, 0, target, msg, 0, msg.length);
  }

  /**
   * One RESPONSE or FAILURE record (records.ts: the same 8-byte header, then `payload[start, end)`) into the
   * requester's ring, or, when the ring is full or the record too large, a copy into its writer's queue (the
   * payload may be the reader's buffer, reused by the next read).
   */
  private writeAnswer(r: Requester, kind: number, requestId: number, b4: number, b5: number, target: number, payload: Uint8Array, start: number, end: number): void {
    const len = end - start;
    this.markDirty(r);
    const off = r.responses.reserve(kind, ANSWER_HEADER_SIZE + len);
    if (off >= 0) {
      const u8 = r.responses.producer.u8;
      writeAnswerHeader(u8, off, requestId, b4, b5, target);
      u8.set(payload.subarray(start, end), off + ANSWER_HEADER_SIZE);
      return;
    }
    const rec = new Uint8Array(ANSWER_HEADER_SIZE + len);
    writeAnswerHeader(rec, 0, requestId, b4, b5, target);
    rec.set(payload.subarray(start, end), ANSWER_HEADER_SIZE);
    r.responses.enqueue(kind, rec);
  }

  private markDirty(r: Requester): void {
    r.dirty = true;
    if (!this.publishScheduled) {
      this.publishScheduled = true;
      queueMicrotask(this.publishResponses);
    }
  }

  /** Publishes every response ring written since the last publish and rings its requester once. */
  private publishResponses(): void {
    this.publishScheduled = false;
    for (let i = 0; i < this.requesters.length; i++) {
      const r = this.requesters[i];
      if (r === undefined || r === null || !r.dirty) continue;
      r.dirty = false;
      r.responses.publish();
      r.bell.ring();
    }
  }


  // ---- control ----------------------------------------------------------------------------------

  /**
   * A requesting thread is gone (released its handle, ended, or was found dead): its rings are dropped and
   * its requests in flight are moved to DROPPED_REQUESTER, whose answers go nowhere, so the engine may give
   * the index to another thread at once (this message reaches the worker before that thread's
   * 'add-requester'). Answers waiting for room in a ring nobody reads any more are discarded too: the wait
   * would otherwise pin the ring's memory for the worker's lifetime.
   */
  private removeRequester(index: number): void {
    const r = this.requesters[index];
    this.requesters[index] = null;
    const lo = index * TAG_SPLIT;
    for (const s of this.slotList) if (s.conn !== null) s.conn.retagRequests(lo, lo + TAG_SPLIT, DROPPED_REQUESTER * TAG_SPLIT);
    if (r === undefined || r === null) return;
    r.removed = true;
    // Drops the answers waiting for room in a ring nobody reads any more, and ends the wait (RingWriter.close).
    r.responses.close();
  }

  private onControl(m: ToWorker): void {
    switch (m.type) {
      case 'connect':
        void this.connectAll(m.id, m.connections, m.options);
        return;
      case 'add-requester':
        this.addRequester(m.rings);
        this.scheduleLoop();
        return;
      case 'remove-requester':
        this.removeRequester(m.requester);
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
    this.drain();
    const closes = this.slots.closeAll();
    let timer: NodeJS.Timeout | null = null;
    await Promise.race([closes, new Promise<void>((res) => (timer = setTimeout(res, graceMs)))]);
    if (timer !== null) clearTimeout(timer);
    this.publishResponses();
    if (this.sleeping) this.bell.cancelSleep();
    this.post({ type: 'shutdown-done', id });
  }
}

function readU32(u8: Uint8Array, off: number): number {
  return (u8[off]! | (u8[off + 1]! << 8) | (u8[off + 2]! << 16)) + u8[off + 3]! * 0x1000000;
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
