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
 * ScyllaDB tablets: each handle keeps its own TabletMap, fed by the `tablets-routing-v1` payloads of its own
 * answers (the owner's connections already asked for them at STARTUP), and routes by it as the owner does.
 * Why not share the owner's: a handle and its owner share only ring buffers and a few SharedArrayBuffers,
 * there is no message channel between them (a handle is a structured clone, made once), and publishing a
 * changing tablet table through shared memory would need a lock or a seqlock on the request path. A handle
 * learns the tablets of the keys it uses: one misrouted request per tablet per thread, as a new client pays.
 * Handles get no server events: a dropped or moved tablet is replaced by the payload of the next request
 * that misses (the map drops every tablet the new one overlaps).
 *
 * Lifecycle (a handle lives and dies with its client). The owner and every thread that uses a handle of it
 * share one BroadcastChannel (EngineHandle.channel; it carries SharedArrayBuffers and needs no transfer list,
 * so the handle stays a plain structured clone). A thread claims a requester when it makes its RemoteEngine:
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
import { Doorbell, DriverError, NoHostAvailableError, NotSupportedError, ReplicaPlans, Sharder, TabletMap, TokenRing, type TableTablets } from '@shardcql/core';
import type { Engine, EngineHost, ResponseFrame } from './engine';
import { EngineRequest } from './request';
import { RingRequester, createWorkerRings, type RequesterDescriptor, type WorkerRings } from './ring-requester';
import { LIVENESS_CELL, LivenessProber, LivenessWaiter } from './liveness';
import { ConnectionTable, type SharedConnectionTable } from './routing/connection-table';

/** The claim's `live` buffer: the thread's cell (the owner probes it), then the owner's (the thread probes it). */
export const THREAD_CELL = 0;
export const OWNER_CELL = LIVENESS_CELL;
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

/** What a handle thread routes by; structured-clonable. */
export interface HandleRouting {
  hosts: EngineHost[];
  /** The owner's connection table (live: the owner writes it in place). */
  connections: SharedConnectionTable;
  /** [token, host index] pairs of the local datacenter, or null when routing is not token-aware. */
  ringEntries: Array<[string, number]> | null;
  /** The owner's replica plans (ReplicaPlans.toSharedBuffer) for its session keyspace, or null. */
  plans: SharedArrayBuffer | null;
  /** Per host: ScyllaDB sharding [nrShards, ignoreMsb], or null. */
  sharding: Array<[number, number] | null>;
}

export function isEngineHandle(v: unknown): v is EngineHandle {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'shardcql-engine-handle';
}

/** What travels on a handle channel (see the header): 'claim' and 'release' from threads, the rest from the owner. */
export type HandleMessage =
  /** `live`: Int32 liveness cells (THREAD_CELL, OWNER_CELL); `claimed`: the handle's counter. */
  | { type: 'claim'; token: string; responseBell: SharedArrayBuffer; workers: WorkerRings[]; live: SharedArrayBuffer; claimed: SharedArrayBuffer }
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
const claimedHere = new Set<RemoteEngine>();
let exitHooked = false;
function releaseAllOnExit(): void {
  for (const e of claimedHere) e.releaseOnExit();
}

export class RemoteEngine extends EventEmitter implements Engine {
  private readonly requester: RingRequester;
  /** The owner's connection table, read live. */
  private readonly conns: ConnectionTable;
  private hostList: EngineHost[] = [];
  private ring: TokenRing | null = null;
  private rr: Int32Array = new Int32Array(0);
  private rrHost = 0;
  private rrReplica = 0;
  private plans: ReplicaPlans | null = null;
  private sharders: Array<Sharder | null> = [];
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
  /** Probes the owner while requests are in flight (from 'claimed' on). */
  private ownerProbe: LivenessProber | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  /** Tablets learned from this handle's answers (tablets-routing-v1), by (keyspace, table). */
  private readonly tablets = new TabletMap();
  /** The tablets of the table being routed (setRoutingTable); null: vnode plans only. */
  private activeTablets: TableTablets | null = null;
  private tabletKs: string | null = null;
  private tabletTable: string | null = null;
  private tabletRr = 0;
  /** Host id (lower case) -> index in the handle's host list (as of the last 'routing'). */
  private readonly hostIds = new Map<string, number>();
  private readonly hostIndexOf = (hostId: string): number => this.hostIds.get(hostId.toLowerCase()) ?? -1;

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
        throw new DriverError(`all ${handle.threads} thread slots of this client handle are taken; create it with client.createHandle({ threads: n }) for more threads`);
      }
      this.counted = true;
      this.channel = channel;
      channel.onmessage = this.onChannel;
      descriptor = { requester: -1, responseBell: descriptor.responseBell, workers: handle.workerBells.map((bell) => createWorkerRings(bell, handle.ringBytes)) };
    }
    this.requester = new RingRequester(descriptor);
    if (ownerGone) {
      this.requester.close(new NoHostAvailableError({}, `All host(s) tried for query failed: ${this.gone}`));
    } else {
      this.liveWaiter = new LivenessWaiter(this.live, THREAD_CELL);
      const claim: HandleMessage = { type: 'claim', token: this.token, responseBell: descriptor.responseBell, workers: descriptor.workers, live: this.live.buffer as SharedArrayBuffer, claimed: handle.claimed };
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
    this.requester.targetAddress = (t) => this.hostList[this.conns.hostOf(t)]?.address ?? 'unknown host';
    this.applyRouting(handle.routing);
  }

  /** Routes by the owner's routing state from now on (the handle's own, then each 'routing' message). */
  private applyRouting(r: HandleRouting): void {
    this.conns.attach(r.connections);
    // Answers map to hosts through the live table.
    this.requester.targetHost = this.conns.host;
    this.hostList = r.hosts;
    this.ring = r.ringEntries !== null && r.ringEntries.length > 0 ? new TokenRing(r.ringEntries) : null;
    if (this.rr.length !== r.hosts.length) this.rr = new Int32Array(r.hosts.length);
    this.plans = r.plans !== null ? ReplicaPlans.fromSharedBuffer(r.plans) : null;
    this.sharders = r.sharding.map((x) => (x !== null ? new Sharder(x[0], x[1]) : null));
    this.hostIds.clear();
    r.hosts.forEach((h, i) => {
      if (h.hostId !== null) this.hostIds.set(h.hostId.toLowerCase(), i);
    });
    // Host indexes may have changed meaning (a host left): the learned tablets follow their host ids.
    this.tablets.remapHosts(this.hostIndexOf);
    this.setRoutingTable(this.tabletKs, this.tabletTable);
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

  send(req: EngineRequest): Promise<ResponseFrame> {
    if (this.gone !== null) return Promise.reject(this.goneError());
    const hosts = this.hostList;
    const tokenHi = req.tokenHi;
    const tokenLo = req.tokenLo;
    const hasToken = req.hasToken;
    const hostIndex = req.hostIndex;
    if (hasToken && this.activeTablets !== null) {
      // ScyllaDB tablets: a replica (host, shard) of the token's known tablet; otherwise as below.
      const c = this.tabletConn(tokenHi, tokenLo, req.lwt, hostIndex);
      if (c >= 0) return this.requester.send(this.conns.workerOf(c), c, req);
    }
    let h = hostIndex;
    if (h < 0 && hasToken) h = this.replicaOf(tokenHi, tokenLo, req.lwt);
    if (h < 0) {
      h = this.rrHost;
      this.rrHost = (h + 1) % hosts.length;
    }
    for (let k = 0; k < hosts.length; k++) {
      const hi = (h + k) % hosts.length;
      const c = this.connOf(hi, hasToken, tokenHi, tokenLo);
      if (c >= 0) return this.requester.send(this.conns.workerOf(c), c, req);
      if (hostIndex >= 0) break;
    }
    const inner: Record<string, Error> = {};
    for (const hs of hosts) inner[hs.address] = new DriverError('no open connection');
    return Promise.reject(new NoHostAvailableError(inner));
  }

  /** Routes requests with a token by this table's tablets first (null: vnode plans only). */
  setRoutingTable(keyspace: string | null, table: string | null): void {
    this.tabletKs = keyspace;
    this.tabletTable = table;
    this.activeTablets = keyspace === null || table === null ? null : this.tablets.table(keyspace, table);
  }

  /** A RESULT of this handle carried `tablets-routing-v1`: remember the tablet (a bad payload is logged, ignored). */
  noteTablet(keyspace: string, table: string, payloadValue: Buffer): void {
    try {
      this.tablets.addPayload(keyspace, table, payloadValue, this.hostIndexOf);
    } catch (e) {
      this.emit('log', 'warning', `ignored a bad tablets-routing-v1 payload for ${keyspace}.${table}: ${(e as Error).message}`);
      return;
    }
    if (keyspace === this.tabletKs && table === this.tabletTable) this.setRoutingTable(keyspace, table);
  }

  /**
   * The connection of a replica (host, shard) of the token's tablet: round robin over the replicas (their
   * order for LWT), or replica `pinned` only when >= 0; -1 when no known tablet holds the token or no replica
   * connection is open. No allocation.
   */
  private tabletConn(hi: number, lo: number, primaryFirst: boolean, pinned: number): number {
    const tt = this.activeTablets!;
    const i = tt.indexOf(hi, lo);
    if (i < 0) return -1;
    const hosts = tt.hosts[i]!;
    const shards = tt.shards[i]!;
    const n = hosts.length;
    let r = 0;
    if (!primaryFirst && pinned < 0 && n > 1) {
      this.tabletRr = (this.tabletRr + 1) & 0x3fffffff;
      r = this.tabletRr % n;
    }
    for (let k = 0; k < n; k++, r = r + 1 === n ? 0 : r + 1) {
      const h = hosts[r]!;
      if (h < 0 || (pinned >= 0 && h !== pinned)) continue;
      const c0 = this.conns.shardConnOf(h, shards[r]!);
      if (c0 >= 0 && this.conns.isUp(c0)) return c0;
      const c = this.connOf(h, false, 0, 0);
      if (c >= 0) return c;
    }
    return -1;
  }

  /** The replica for a token: local replicas in round robin (primary first for LWT), then remote ones; -1: none open. */
  private replicaOf(hi: number, lo: number, primaryFirst: boolean): number {
    const plans = this.plans;
    if (plans === null || plans.size === 0) {
      if (this.ring === null) return -1;
      const h = this.ring.ownerIndexOf(hi, lo);
      return h >= 0 && this.hostOpen(h) ? h : -1;
    }
    const r = plans.rangeIndexOf(hi, lo);
    const off = plans.offsets[r]!;
    const end = plans.offsets[r + 1]!;
    const local = plans.localCounts[r]!;
    if (local > 0) {
      let start = 0;
      if (!primaryFirst) {
        start = this.rrReplica % local;
        this.rrReplica = (this.rrReplica + 1) & 0x3fffffff;
      }
      for (let k = 0; k < local; k++) {
        const h = plans.replicas[off + ((start + k) % local)]!;
        if (this.hostOpen(h)) return h;
      }
    }
    for (let i = off + local; i < end; i++) {
      const h = plans.replicas[i]!;
      if (this.hostOpen(h)) return h;
    }
    return -1;
  }

  private hostOpen(h: number): boolean {
    return this.conns.openConnOf(h, 0) >= 0;
  }

  /** ScyllaDB: the connection of the token's shard when open; otherwise any open connection of h (round robin). */
  private connOf(h: number, hasToken: boolean, hi: number, lo: number): number {
    const sharder = this.sharders[h];
    if (hasToken && sharder !== null && sharder !== undefined) {
      const c = this.conns.shardConnOf(h, sharder.shardOf(hi, lo));
      if (c >= 0 && this.conns.isUp(c)) return c;
    }
    const conns = this.conns;
    const n = conns.connCountOf(h);
    for (let j = 0; j < n; j++) {
      const c = conns.connOf(h, (this.rr[h]! + j) % n);
      if (conns.isUp(c)) {
        this.rr[h] = (this.rr[h]! + j + 1) % n;
        return c;
      }
    }
    return -1;
  }

  async sendToAllHosts(opcode: number, body: Uint8Array, bodyLength: number, timeoutMs: number): Promise<Array<ResponseFrame | Error>> {
    const out: Array<Promise<ResponseFrame | Error>> = [];
    // One request for every host: send() reads it before it returns.
    const req = EngineRequest.of(opcode, body, bodyLength, timeoutMs);
    for (let h = 0; h < this.hostList.length; h++) {
      req.hostIndex = h;
      out.push(this.send(req).catch((e: Error) => e));
    }
    return Promise.all(out);
  }

  setKeyspace(_keyspace: string): Promise<void> {
    return Promise.reject(new NotSupportedError('USE on a client handle would change the keyspace of the owner\'s connections; set the keyspace on the owning client, or qualify table names'));
  }

  async waitForSchemaAgreement(): Promise<boolean> {
    return true;
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
