/**
 * The engine of a thread that did not create the client: a piscina task, or any worker thread that
 * was given a handle. It owns no connection and no shard worker; it has its own ring pair to every
 * shard worker of the owning client, and routes as the owner does: the replica plans of the session keyspace
 * (local replicas first, round robin among them, primary first for LWT), then the connection of the shard
 * owning the token (ScyllaDB). The connection table (routing/connection-table.ts: every connection's worker,
 * host and state, every host's connections and shard slots) is the owner's own, in shared memory, read live;
 * the host list, ring and plans are posted by the owner ('routing' on the handle channel) whenever its
 * routing table changes, and whenever the connection table moves to a larger buffer. A request sent to a
 * connection that has closed since is moved by its worker to another connection of the same host, or fails
 * with NoHostAvailableError.
 *
 * ScyllaDB tablets: each handle thread's Router keeps its own TabletMap, fed by the `tablets-routing-v1`
 * payloads of its own answers (the owner's connections already asked for them at STARTUP), and routes by it as
 * the owner does. Why not share the owner's: publishing a changing tablet table through shared memory would
 * need a lock or a seqlock on the request path, and posting every learned tablet to every thread would cost
 * each of them a message per misrouted request of any thread. A handle learns the tablets of the keys it uses:
 * one misrouted request per tablet per thread, as a new client pays. Handles get no server events: a dropped
 * or moved tablet is replaced by the payload of the next request that misses (the map drops every tablet the
 * new one overlaps).
 *
 * Lifecycle (a handle lives and dies with its client). The owner and every thread that uses a handle of it
 * share one BroadcastChannel (EngineHandle.channel; it carries SharedArrayBuffers and needs no transfer list,
 * so the handle stays a plain structured clone). A thread claims a requester when it makes its HandleEngine:
 * it creates its own rings (one set per thread, nothing made in advance), posts 'claim', and may send at once;
 * the rings hold the requests until the owner, which alone gives out requester indexes, has handed them to
 * the shard workers. The owner answers 'claimed' with each worker's generation, then posts 'worker-down' when a
 * worker dies (this thread fails the requests it held there, typed, at once) and 'worker-up' with fresh rings
 * for every live requester when it restarts one, and 'owner-shutdown' when it shuts down (everything in flight
 * fails at once; later requests fail with NoHostAvailableError; a flag in shared memory tells threads that
 * claim later). A thread releases its requester when its client shuts down or its thread exits
 * (process 'exit'); a thread killed by terminate() (piscina does that) cannot say so, so the owner also probes
 * (liveness.ts: each side keeps an Atomics.waitAsync waiter, which V8 removes when its thread dies, and
 * Atomics.notify's count tells the other side). The thread probes its owner the same way while it has
 * requests in flight: an owner whose own thread ended without shutting down fails them too. A waiter, unlike
 * a MessagePort, needs no transfer and, like the unref'd channel, never keeps an event loop alive. A dropped
 * handle that no thread claimed holds nothing in the owner, so no FinalizationRegistry is needed. The shard
 * workers only hear 'add-requester' / 'remove-requester' from the owner: one allocator of indexes, in one
 * thread, and a removed requester's late answers are dropped by the worker (worker-main.ts removeRequester),
 * so its index is reused at once.
 */
import { EventEmitter } from 'node:events';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import {
  ByteWriter,
  Doorbell,
  DriverError,
  NoHostAvailableError,
  NotSupportedError,
  ReplicaPlans,
  Sharder,
  TokenRing,
  consistencies,
  decodeResult,
  defaultCodecOptions,
  encodeQuery,
  newQueryParameters,
  opcodes,
} from '@shardcql/core';
import { LOCAL_SCHEMA_QUERY, waitForAgreement } from './topology/system-queries';
import type { Engine, EngineHost, EngineAnswer } from './engine';
import { EngineRequest } from './request';
import { RingRequester, createWorkerRings, type RequesterDescriptor, type WorkerRings } from './ring-requester';
import { LIVENESS_CELL, LivenessProber, LivenessWaiter } from './liveness';
import { ConnectionTable, type SharedConnectionTable } from './routing/connection-table';
import { Router, type RouterHost } from './routing/router';

/** The claim's `live` buffer: the thread's cell (the owner probes it), then the owner's (the thread probes it). */
export const THREAD_CELL = 0;
export const OWNER_CELL = LIVENESS_CELL;
/** One schema_version query of waitForSchemaAgreement. */
const SCHEMA_QUERY_TIMEOUT_MS = 5000;
/** How often each side probes the other (liveness.ts). */
export const HANDLE_PROBE_MS = 2000;

/** Everything another thread needs; structured-clonable (post it, or pass it in a piscina task). */
export interface EngineHandle {
  readonly kind: 'shardcql-engine-handle';
  protocolVersion: number;
  keyspace: string | null;
  /** Unique per handle: a thread keeps one client per handle (see Client.fromHandle). */
  id: string;
  /** The owner's BroadcastChannel name for its handles (HandleMessage). */
  channel: string;
  /** Int32: 0 while the owner serves handles, 1 once it shut down. */
  ownerState: SharedArrayBuffer;
  /** Each shard worker's doorbell (kept across restarts); a thread makes its own rings to each. */
  workerBells: SharedArrayBuffer[];
  /** Size of each ring a thread makes. */
  ringBytes: number;
  /** At most this many threads use the handle at once. */
  threads: number;
  /** Int32 counter of the threads using the handle now. */
  claimed: SharedArrayBuffer;
  /** The owner's routing state when the handle was made; later ones come as 'routing' messages. */
  routing: HandleRouting;
}

/** What a handle thread routes by (routing/router.ts, as its owner does); structured-clonable. */
export interface HandleRouting {
  hosts: EngineHost[];
  /** The owner's connection table (live: the owner writes it in place). */
  connections: SharedConnectionTable;
  /** [token, host index] pairs of every host, or null when routing is not token-aware (no Murmur3 ring). */
  ringEntries: Array<[string, number]> | null;
  /** Per host: 1 in the local datacenter. */
  isLocal: number[];
  /** Every distinct replica plan set (ReplicaPlans.toSharedBuffer) with the keyspaces that use it. */
  plans: Array<{ keyspaces: string[]; buffer: SharedArrayBuffer }>;
  /** The owner's session keyspace (requests that name none route by its plans). */
  keyspace: string | null;
  /** Per host: ScyllaDB sharding [nrShards, ignoreMsb], or null. */
  sharding: Array<[number, number] | null>;
}

export function isEngineHandle(v: unknown): v is EngineHandle {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'shardcql-engine-handle';
}

/** What travels on a handle channel (see the header): 'claim' and 'release' from threads, the rest from the owner. */
export type HandleMessage =
  /** `live`: Int32 liveness cells (THREAD_CELL, OWNER_CELL); `claimed`: the handle's counter. */
  | {
      type: 'claim';
      token: string;
      responseBell: SharedArrayBuffer;
      workers: WorkerRings[];
      live: SharedArrayBuffer;
      claimed: SharedArrayBuffer;
    }
  | { type: 'release'; token: string }
  /** The requester of `token` is served by generation gens[w] of worker w. */
  | { type: 'claimed'; token: string; gens: number[] }
  | { type: 'refused'; token: string; message: string }
  /** Generation `gen` of worker `worker` died: what a requester sent it is lost. */
  | { type: 'worker-down'; worker: number; gen: number; message: string }
  /** Generation `gen` of worker `worker` serves these rings, by claim token. */
  | { type: 'worker-up'; worker: number; gen: number; rings: Record<string, WorkerRings> }
  /** The owner's routing state changed (hosts, ring, plans, or the connection table's buffer). */
  | { type: 'routing'; routing: HandleRouting }
  | { type: 'owner-shutdown' };

/** Node's BroadcastChannel has unref() (since v15.4); @types/node leaves it out. */
export type UnrefChannel = BroadcastChannel & { unref(): void };

/** This thread's engines that hold a requester: one 'exit' listener releases them all (not one per engine). */
const claimedHere = new Set<HandleEngine>();
let exitHooked = false;
/** QUERY of system.local's schema_version at ONE: a round of a handle's schema agreement check. */
function encodedSchemaQuery(version: number): Buffer {
  const p = newQueryParameters();
  p.consistency = consistencies.one;
  const w = new ByteWriter(128);
  encodeQuery(w, version, LOCAL_SCHEMA_QUERY, p, defaultCodecOptions());
  return w.toBuffer();
}

function releaseAllOnExit(): void {
  for (const e of claimedHere) e.releaseOnExit();
}

export class HandleEngine extends EventEmitter implements Engine {
  private readonly requester: RingRequester;
  /** The owner's connection table, read live. */
  private readonly conns: ConnectionTable;
  /** The same router as the owner's, over the owner's table (and this thread's own tablets). */
  private readonly router: Router;
  private hostList: EngineHost[] = [];
  private closed = false;
  readonly connected = true;
  /** This thread's claim on the owner (random: nothing to guess). */
  private readonly token: string;
  private channel: UnrefChannel | null = null;
  /** Worker generations our rings are served by; null until the owner answered the claim. */
  private gens: number[] | null = null;
  /** Why this engine cannot send (the owner shut down, or refused the claim); null while it can. */
  private gone: string | null = null;
  private released = false;
  private counted = false;
  private readonly live: Int32Array;
  /** Answers the owner's probes (null when never claimed). */
  private liveWaiter: LivenessWaiter | null = null;
  /** The body of the schema agreement query, encoded on first use (the protocol version is the handle's). */
  private schemaQuery: Buffer | null = null;
  /** Probes the owner while requests are in flight (from 'claimed' on). */
  private ownerProbe: LivenessProber | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  /** The handle's hosts as the router reads them (sharder, host id). */
  private routerHosts: RouterHost[] = [];
  constructor(private readonly handle: EngineHandle) {
    super();
    this.token = randomBytes(12).toString('hex');
    this.live = new Int32Array(new SharedArrayBuffer(4 * 2 * LIVENESS_CELL));
    this.onChannel = this.onChannel.bind(this);
    // Opened before the owner's flag is read: a shutdown after the read still reaches us as a message.
    const channel = new BroadcastChannel(handle.channel) as UnrefChannel;
    channel.unref();
    const ownerGone = Atomics.load(new Int32Array(handle.ownerState), 0) !== 0;
    let descriptor: RequesterDescriptor = { requester: -1, responseBell: Doorbell.createBuffer(), workers: [] };
    if (ownerGone) {
      channel.close();
      this.gone = 'the client that created this handle was shut down';
    } else {
      const claimed = new Int32Array(handle.claimed);
      if (Atomics.add(claimed, 0, 1) >= handle.threads) {
        Atomics.sub(claimed, 0, 1);
        channel.close();
        throw new DriverError(
          `all ${handle.threads} thread slots of this client handle are taken; create it with client.createHandle({ threads: n }) for more threads`,
        );
      }
      this.counted = true;
      this.channel = channel;
      channel.onmessage = this.onChannel;
      descriptor = {
        requester: -1,
        responseBell: descriptor.responseBell,
        workers: handle.workerBells.map((bell) => createWorkerRings(bell, handle.ringBytes)),
      };
    }
    this.requester = new RingRequester(descriptor);
    if (ownerGone) {
      this.requester.close(new NoHostAvailableError({}, `All host(s) tried for query failed: ${this.gone}`));
    } else {
      this.liveWaiter = new LivenessWaiter(this.live, THREAD_CELL);
      const claim: HandleMessage = {
        type: 'claim',
        token: this.token,
        responseBell: descriptor.responseBell,
        workers: descriptor.workers,
        live: this.live.buffer as SharedArrayBuffer,
        claimed: handle.claimed,
      };
      channel.postMessage(claim);
      // The main thread's exit ends the process, the owner with it: nothing to announce there.
      if (!isMainThread) {
        claimedHere.add(this);
        if (!exitHooked) {
          exitHooked = true;
          process.once('exit', releaseAllOnExit);
        }
      }
    }
    this.conns = new ConnectionTable(handle.routing.connections);
    this.router = new Router(this.conns);
    this.requester.targetAddress = (t) => this.hostList[this.conns.hostOf(t)]?.address ?? 'unknown host';
    this.applyRouting(handle.routing);
  }

  /**
   * Routes by the owner's routing state from now on (the handle's own, then each 'routing' message): the same
   * Router as the owner's over the same connection table, ring and plans; only the tablets are this thread's.
   */
  private applyRouting(r: HandleRouting): void {
    this.conns.attach(r.connections);
    // Answers map to hosts through the live table.
    this.requester.targetHost = this.conns.host;
    this.hostList = r.hosts;
    const ring = r.ringEntries !== null && r.ringEntries.length > 0 ? TokenRing.lenient(r.ringEntries, () => undefined) : null;
    const plans = new Map<string, ReplicaPlans>();
    for (const p of r.plans) {
      const rp = ReplicaPlans.fromSharedBuffer(p.buffer);
      for (const ks of p.keyspaces) plans.set(ks, rp);
    }
    this.routerHosts = r.hosts.map((h, i) => {
      const x = r.sharding[i];
      return { sharder: x !== null && x !== undefined ? new Sharder(x[0], x[1]) : null, hostId: h.hostId };
    });
    this.router.setHosts(this.routerHosts);
    this.router.setDefaultKeyspace(r.keyspace);
    this.router.setTopology({ ring: ring !== null && ring.size > 0 ? ring : null, isLocal: Uint8Array.from(r.isLocal), plans });
    // Host indexes may have changed meaning (a host left): plans taken before are stale.
    this.router.epoch++;
  }

  get protocolVersion(): number {
    return this.handle.protocolVersion;
  }

  get hosts(): readonly EngineHost[] {
    return this.hostList;
  }

  get inFlight(): number {
    return this.requester.inFlight;
  }

  connect(): Promise<void> {
    if (this.gone !== null) return Promise.reject(this.goneError());
    return this.closed ? Promise.reject(new DriverError('The client is shut down')) : Promise.resolve();
  }

  private goneError(): NoHostAvailableError {
    return new NoHostAvailableError({}, `All host(s) tried for query failed: ${this.gone ?? 'the client handle is closed'}`);
  }

  send(req: EngineRequest): Promise<EngineAnswer> {
    if (this.gone !== null) return Promise.reject(this.goneError());
    const c = this.router.route(req);
    if (c >= 0) return this.requester.send(this.conns.workerOf(c), c, req);
    const inner: Record<string, Error> = {};
    for (const hs of this.hostList) inner[hs.address] = new DriverError('no open connection');
    return Promise.reject(new NoHostAvailableError(inner));
  }

  /** The request's query plan (routing/router.ts), shared by its retries and speculative executions. */
  queryPlan(req: EngineRequest): number[] {
    return this.router.queryPlan(req);
  }

  /** Changes whenever the owner's host indexes may have changed meaning (a new 'routing'). */
  get hostsEpoch(): number {
    return this.router.epoch;
  }

  /** A RESULT of this handle carried `tablets-routing-v1`: remember the tablet (a bad payload is logged, ignored). */
  noteTablet(keyspace: string, table: string, payloadValue: Buffer): void {
    try {
      this.router.noteTablet(keyspace, table, payloadValue);
    } catch (e) {
      this.emit('log', 'warning', `ignored a bad tablets-routing-v1 payload for ${keyspace}.${table}: ${(e as Error).message}`);
    }
  }

  async sendToAllHosts(opcode: number, body: Uint8Array, bodyLength: number, timeoutMs: number): Promise<Array<EngineAnswer | Error>> {
    const out: Array<Promise<EngineAnswer | Error>> = [];
    // One request for every host: send() reads it before it returns.
    const req = EngineRequest.of(opcode, body, bodyLength, timeoutMs);
    for (let h = 0; h < this.hostList.length; h++) {
      req.hostIndex = h;
      out.push(this.send(req).catch((e: Error) => e));
    }
    return Promise.all(out);
  }

  setKeyspace(_keyspace: string): Promise<void> {
    return Promise.reject(
      new NotSupportedError(
        "USE on a client handle would change the keyspace of the owner's connections; set the keyspace on the owning client, or qualify table names",
      ),
    );
  }

  /**
   * After DDL from a handle thread: checkSchemaAgreement every 200 ms until it holds or `maxWaitMs` passes; an
   * ERROR answer ends the wait (false). Never rejects.
   */
  waitForSchemaAgreement(maxWaitMs: number): Promise<boolean> {
    return waitForAgreement(() => this.schemaRound(), maxWaitMs);
  }

  /** One round of waitForSchemaAgreement (metadata.checkSchemaAgreement from a handle thread). Never rejects. */
  async checkSchemaAgreement(): Promise<boolean> {
    return (await this.schemaRound()) === true;
  }

  /**
   * The schema_version of every host this thread reaches (system.local of each, pinned, through its own rings:
   * a handle has no control connection). true: they agree; false: they do not (yet); null: an ERROR answer, which
   * ends a wait. A host with no open connection is left out.
   */
  private async schemaRound(): Promise<boolean | null> {
    const version = this.handle.protocolVersion;
    const body = (this.schemaQuery ??= encodedSchemaQuery(version));
    try {
      const answers = await this.sendToAllHosts(opcodes.query, body, body.length, SCHEMA_QUERY_TIMEOUT_MS);
      const versions = new Set<string>();
      for (const a of answers) {
        if (a instanceof Error) continue;
        if (a.opcode !== opcodes.result) return null;
        const r = decodeResult(a.body, 0, a.body.length, version, defaultCodecOptions(), null);
        if (r.kind === 2 && r.rows.length > 0) versions.add(String((r.rows[0] as unknown as Record<string, unknown>)['schema_version']));
      }
      return versions.size <= 1;
    } catch {
      return null;
    }
  }

  /**
   * Waits for what is in flight (bounded; the owner's shutdown or a worker's death ends the wait at once),
   * then releases this thread's requester. The shard workers and their connections belong to the owner.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const deadline = Date.now() + 15_000;
    while (this.requester.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    this.release();
    this.requester.close(new DriverError('The client handle was shut down before the request completed'));
  }

  // ---- lifecycle (see the header) -----------------------------------------------------------------

  private onChannel(e: MessageEvent): void {
    const m = e.data as HandleMessage;
    switch (m.type) {
      case 'claimed':
        if (m.token !== this.token) return;
        this.gens = m.gens;
        this.ownerProbe = new LivenessProber(this.live, OWNER_CELL);
        this.probeTimer = setInterval(() => this.probeOwner(), HANDLE_PROBE_MS);
        this.probeTimer.unref();
        return;
      case 'refused':
        if (m.token !== this.token) return;
        this.gone = m.message;
        this.release();
        this.requester.close(new DriverError(m.message));
        return;
      case 'worker-down':
        // Before 'claimed', the owner had not handed our rings to the dead worker: the next one gets them.
        if (this.gens !== null && this.gens[m.worker] === m.gen) this.requester.failWorker(m.worker, new DriverError(m.message));
        return;
      case 'worker-up': {
        const rings = m.rings[this.token];
        if (rings === undefined || this.gens === null) return;
        // Normally a no-op ('worker-down' came first); if not, what the old rings held is lost all the same.
        this.requester.failWorker(m.worker, new DriverError(`shard worker ${m.worker} was restarted`));
        this.requester.replaceWorker(m.worker, rings);
        this.gens[m.worker] = m.gen;
        return;
      }
      case 'routing':
        if (this.gone === null) this.applyRouting(m.routing);
        return;
      case 'owner-shutdown':
        this.ownerGone('was shut down');
        return;
      default:
        return;
    }
  }

  private ownerGone(what: string): void {
    this.gone = `the client that created this handle ${what}`;
    this.release();
    this.requester.close(new DriverError(`The client that created this handle ${what} before the request completed`));
  }

  /** Requests in flight to an owner whose thread is gone would never settle (its shard workers went with it). */
  private probeOwner(): void {
    if (this.requester.inFlight === 0 || this.ownerProbe === null || this.ownerProbe.probe()) return;
    this.ownerGone('is gone (its thread ended without shutting it down)');
  }

  /** The thread is exiting (process 'exit'): tell the owner, which frees the requester index. */
  releaseOnExit(): void {
    this.release();
  }

  /** Gives this thread's requester back to the owner (once): client shutdown, thread exit, owner gone. */
  private release(): void {
    if (this.released) return;
    this.released = true;
    // Client.fromHandle forgets this thread's client: the next call claims anew.
    this.emit('released');
    claimedHere.delete(this);
    // Our own probe waiter would hold this engine (and its rings) for ever.
    this.liveWaiter?.stop();
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
    if (this.counted) Atomics.sub(new Int32Array(this.handle.claimed), 0, 1);
    const channel = this.channel;
    this.channel = null;
    if (channel === null) return;
    if (this.gone === null) {
      const m: HandleMessage = { type: 'release', token: this.token };
      channel.postMessage(m);
    }
    channel.close();
  }
}
