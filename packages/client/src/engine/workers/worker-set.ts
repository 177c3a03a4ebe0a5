/**
 * The shard worker threads (start, messages, crash and restart, stop) and the control calls the engine makes
 * to them (open and close connections, REGISTER or USE on connections). The request path does not come here:
 * it goes through the rings (ring-requester.ts).
 */
import {
  ByteWriter,
  Doorbell,
  DriverError,
  consistencies,
  decodeError,
  defaultCodecOptions,
  encodeQuery,
  newQueryParameters,
  opcodes,
} from '@shardcql/core';
import {
  sampleSchedule,
  type ConnectResult,
  type ConnectionSpec,
  type FromWorker,
  type RequesterRings,
  type ToWorker,
} from '@shardcql/shard-worker';
import type { CqlEvent } from '@shardcql/core';
import { createWorkerRings, type RequesterDescriptor, type WorkerRings } from '../ring-requester';
import type { EngineState } from '../engine-state';
import { reviveError } from '../revive-error';
import { AuthRelay } from './auth-relay';
import { ConnectionOptions } from './connection-options';
import { WorkerHandle, type WorkerHandleEvents } from './worker-handle';

export type RequestAllAnswer = Extract<FromWorker, { type: 'request-all-done' }>['answers'][number];

export class WorkerSet implements WorkerHandleEvents {
  list: WorkerHandle[] = [];
  /** Restarts so far, per worker: a handle's rings are served by one generation (handle-engine.ts). */
  gens: number[] = [];
  /** Each worker's doorbell; kept across restarts (handles reach the new worker through it). */
  bells: SharedArrayBuffer[] = [];
  /** This thread's requester (0): its response bell and its rings in every worker. */
  descriptor: RequesterDescriptor | null = null;
  readonly auth: AuthRelay;
  readonly connOptions: ConnectionOptions;

  constructor(private readonly e: EngineState) {
    this.auth = new AuthRelay(e.options);
    this.connOptions = new ConnectionOptions(e);
  }

  get count(): number {
    return this.list.length;
  }

  /** Starts `n` workers, each with a doorbell and the rings of this thread's requester; resolves once all run. */
  async startAll(n: number): Promise<RequesterDescriptor> {
    const responseBell = Doorbell.createBuffer();
    this.bells = [];
    const workerRings: WorkerRings[] = [];
    for (let i = 0; i < n; i++) {
      const bell = Doorbell.createBuffer();
      this.bells.push(bell);
      workerRings.push(createWorkerRings(bell));
    }
    const d: RequesterDescriptor = { requester: 0, responseBell, workers: workerRings };
    this.descriptor = d;
    this.list = workerRings.map((r, i) => this.start(i, r));
    this.gens = workerRings.map(() => 0);
    await Promise.all(this.list.map((w) => w.started));
    return d;
  }

  private start(index: number, rings: WorkerRings, handles: RequesterRings[] = []): WorkerHandle {
    const d = this.descriptor!;
    const mine: RequesterRings = {
      requester: d.requester,
      requests: rings.requests,
      responses: rings.responses,
      responseBell: d.responseBell,
    };
    return new WorkerHandle(index, rings.workerBell, [mine, ...handles], this);
  }

  post(worker: number, m: ToWorker): void {
    this.list[worker]?.post(m);
  }

  postAll(m: ToWorker): void {
    for (const w of this.list) w.post(m);
  }

  /** Tells worker `worker` to close these connections (their slots and reconnection end). */
  closeConns(worker: number, conns: number[]): void {
    this.list[worker]?.post({ type: 'close-connections', conns });
  }

  async openConnections(worker: number, specs: ConnectionSpec[]): Promise<ConnectResult[]> {
    const options = this.connOptions.worker();
    // Each connection's reconnection delays, drawn here: the user's policy cannot be posted (schedule.ts says more).
    for (const spec of specs) spec.reconnectDelays ??= sampleSchedule(this.e.reconnection);
    const m = await this.list[worker]!.call<Extract<FromWorker, { type: 'connected' }>>((id) => ({
      type: 'connect',
      id,
      connections: specs,
      options,
    }));
    return m.results;
  }

  /** One request on connections `conns` of worker `worker` (null: all of them), outside the rings. */
  async requestAll(worker: WorkerHandle, opcode: number, body: Uint8Array, conns: number[] | null): Promise<RequestAllAnswer[]> {
    const m = await worker.call<Extract<FromWorker, { type: 'request-all-done' }>>((id) => ({
      type: 'request-all',
      id,
      opcode,
      body,
      conns,
    }));
    return m.answers;
  }

  /** USE on every connection of every worker, and the keyspace for the ones they open later. */
  async useKeyspace(keyspace: string, version: number): Promise<void> {
    const p = newQueryParameters();
    p.consistency = consistencies.one;
    const w = new ByteWriter(256);
    encodeQuery(w, version, `USE "${keyspace.replace(/"/g, '""')}"`, p, defaultCodecOptions());
    const body = w.toBuffer();
    const answers = await Promise.all(
      this.list.map(async (wk) => {
        wk.post({ type: 'set-keyspace', keyspace });
        return this.requestAll(wk, opcodes.query, body, null);
      }),
    );
    for (const list of answers) {
      for (const a of list) {
        if (a.error !== null) throw reviveError(a.error);
        if (a.opcode === opcodes.error && a.body !== null) {
          const b = Buffer.from(a.body);
          throw decodeError(b, 0, b.length, version);
        }
      }
    }
  }

  onMessage(worker: WorkerHandle, m: FromWorker): void {
    const e = this.e;
    switch (m.type) {
      case 'auth':
        this.auth.onAuthStep(worker, m);
        return;
      case 'tls-check':
        this.auth.onTlsCheck(worker, m);
        return;
      case 'connection-state':
        if (m.up && m.shard >= 0) e.shards.placeShard(m.conn, m.shard);
        e.setConnUp(m.conn, m.up);
        return;
      case 'event':
        e.emit('event', m.event as CqlEvent);
        if (!e.shuttingDown) e.cluster.onServerEvent(m.event as CqlEvent);
        return;
      case 'log':
        e.emit('log', m.level, m.message);
        return;
      default:
        return;
    }
  }

  onExit(worker: WorkerHandle, error: Error): void {
    const e = this.e;
    if (e.shuttingDown) return;
    const err = new DriverError(`shard worker ${worker.index} stopped: ${error.message}`);
    const failed = e.requester?.failWorker(worker.index, err) ?? 0;
    // Handle threads fail what they sent it, too (handle-engine.ts); restart gives them new rings.
    const gen = this.gens[worker.index] ?? 0;
    this.gens[worker.index] = gen + 1;
    e.handles.post({ type: 'worker-down', worker: worker.index, gen, message: err.message });
    e.log('error', `${err.message}; ${failed} request(s) failed; restarting it`);
    const table = e.connTable;
    for (let c = 0; c < table.connCapacity; c++) if (table.workerOf(c) === worker.index && table.isUp(c)) e.setConnUp(c, false);
    void this.restart(worker.index);
  }

  private async restart(index: number): Promise<void> {
    const e = this.e;
    if (e.shuttingDown || e.requester === null) return;
    // The doorbell is kept: handles made before the crash reach the new worker through it. Whatever state the
    // dead thread left it in is safe: the new worker stores SLEEPING and re-checks its rings before it waits,
    // a ring() meanwhile only flips it to AWAKE, and V8 dropped the dead thread's waiter with the thread.
    const bell = this.bells[index]!;
    const rings = createWorkerRings(bell);
    e.requester.replaceWorker(index, rings);
    // Fresh rings for every handle thread: the old ones may hold half-read records.
    const fresh = e.handles.freshRings(bell);
    const w = this.start(index, rings, fresh.rings);
    this.list[index] = w;
    e.handles.post({ type: 'worker-up', worker: index, gen: this.gens[index] ?? 0, rings: fresh.byToken });
    try {
      await w.started;
      // Connections of removed hosts stay gone.
      const table = e.connTable;
      const specs: ConnectionSpec[] = [];
      for (let c = 0; c < table.connCapacity; c++) {
        const spec = table.specOf(c);
        if (spec !== undefined && table.workerOf(c) === index && table.hostOf(c) >= 0) specs.push(spec);
      }
      const results = await this.openConnections(index, specs);
      for (const r of results) e.setConnUp(r.conn, r.ok);
      e.log('info', `shard worker ${index} restarted with ${results.filter((r) => r.ok).length}/${results.length} connection(s)`);
    } catch (err) {
      e.log('error', `shard worker ${index} restart failed: ${(err as Error).message}`);
    }
  }

  /** Asks every live worker to close its connections (in-flight requests get `graceMs`). */
  async shutdownAll(graceMs: number): Promise<void> {
    await Promise.all(
      this.list.map((w) => (w.alive ? w.call((id) => ({ type: 'shutdown', id, graceMs })).catch(() => undefined) : Promise.resolve())),
    );
  }

  async stop(): Promise<void> {
    const ws = this.list;
    this.list = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /** For tests: makes a worker thread throw an uncaught exception. */
  crashForTest(index: number): void {
    this.list[index]?.post({ type: 'crash-for-test' });
  }
}
