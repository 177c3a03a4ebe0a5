/**
 * The owner's side of client handles (handle-engine.ts is the handle's side): making a handle (hosts, plans, and
 * the connection table, which handles read live), the handles' channel (routing changes are posted on it), the
 * requesters handle threads claim and release, the probe that finds threads that ended without a word, and
 * closing.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { ArgumentError, DriverError } from '@shardcql/core';
import { DROPPED_REQUESTER, type RequesterRings } from '@shardcql/shard-worker';
import { createWorkerRings, type WorkerRings } from '../ring-requester';
import {
  HANDLE_PROBE_MS,
  OWNER_CELL,
  THREAD_CELL,
  type EngineHandle,
  type HandleMessage,
  type HandleRouting,
  type UnrefChannel,
} from '../handle-engine';
import { LivenessProber, LivenessWaiter } from '../liveness';
import type { EngineState } from '../engine-state';
import type { ReplicaPlans } from '@shardcql/core';
import type { RoutingTable } from '../topology';

/** Handle threads get smaller rings than the owner: there may be many of them. */
export const HANDLE_RING_BYTES = 256 * 1024;

/** A handle thread's requester, as the owner knows it (handle-engine.ts, 'claim'). */
interface HandleRequester {
  index: number;
  responseBell: SharedArrayBuffer;
  /** Finds the thread gone when it ended without a word (liveness.ts). */
  probe: LivenessProber;
  /** Lets the thread find this owner gone. */
  waiter: LivenessWaiter;
  /** The handle's counter of threads using it. */
  claimed: Int32Array;
}

type ClaimMessage = Extract<HandleMessage, { type: 'claim' }>;

export class HandleOwner {
  /** The handles' channel (handle-engine.ts); opened by the first create. */
  private channel: UnrefChannel | null = null;
  private readonly channelName = `shardcql-handles-${process.pid}-${randomBytes(12).toString('hex')}`;
  /** Int32 [0]: 1 once this engine shut down; handles read it before they claim. */
  private readonly state = new SharedArrayBuffer(4);
  /** Live handle requesters by claim token. */
  private readonly requesters = new Map<string, HandleRequester>();
  /** Requester indexes given back, reused first. */
  private readonly freeRequesters: number[] = [];
  /** Requester 0 is this thread; handle threads get 1, 2, ... (below DROPPED_REQUESTER), reused once released. */
  private nextRequester = 1;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(private readonly e: EngineState) {}

  /** Handle threads holding a requester now (for tests and diagnostics). */
  get threadCount(): number {
    return this.requesters.size;
  }

  /** Requester indexes ever given to handle threads (released ones are reused first); for tests. */
  get requesterHighWater(): number {
    return this.nextRequester - 1;
  }

  /** A handle up to `threads` other threads may use at once (ShardedEngine.createHandle), routing by `table`. */
  create(threads: number, table: RoutingTable | null): EngineHandle {
    if (!Number.isInteger(threads) || threads < 1) throw new ArgumentError('createHandle: threads must be an integer >= 1');
    const e = this.e;
    if (e.shuttingDown) throw new DriverError('The client is shut down');
    this.openChannel();
    return {
      kind: 'shardcql-engine-handle',
      protocolVersion: e.version,
      keyspace: e.keyspace,
      id: `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
      channel: this.channelName,
      ownerState: this.state,
      workerBells: e.workers.bells.slice(),
      ringBytes: HANDLE_RING_BYTES,
      threads,
      claimed: new SharedArrayBuffer(4),
      routing: this.routing(table),
    };
  }

  /**
   * What handle threads route by (handle-engine.ts): the host list, the live connection table, and the routing
   * table `table` (its ring as tokens, its local marks, every keyspace's replica plans in shared memory).
   * Posted to them again (postRouting) whenever it changes.
   */
  private routing(table: RoutingTable | null): HandleRouting {
    const e = this.e;
    const hosts = e.hostStates;
    const ringEntries: Array<[string, number]> = [];
    if (table !== null && table.ring !== null) {
      hosts.forEach((h, i) => {
        for (const t of h.tokens) ringEntries.push([t, i]);
      });
    }
    const plans: Array<{ keyspaces: string[]; buffer: SharedArrayBuffer }> = [];
    if (table !== null) {
      const byPlans = new Map<ReplicaPlans, string[]>();
      for (const [ks, p] of table.keyspacePlans) {
        if (p.size === 0) continue;
        let list = byPlans.get(p);
        if (list === undefined) byPlans.set(p, (list = []));
        list.push(ks);
      }
      for (const [p, keyspaces] of byPlans) plans.push({ keyspaces, buffer: p.toSharedBuffer() });
    }
    return {
      hosts: hosts.map((h) => ({
        address: h.address,
        datacenter: h.datacenter,
        rack: h.rack,
        hostId: h.hostId,
        cassandraVersion: h.cassandraVersion,
        tokens: h.tokens.slice(),
        up: h.up,
      })),
      connections: e.connTable.share(),
      ringEntries: ringEntries.length > 0 ? ringEntries : null,
      isLocal: table !== null ? Array.from(table.isLocal) : hosts.map((h) => (h.local ? 1 : 0)),
      plans,
      keyspace: e.keyspace,
      sharding: hosts.map((h) => (h.sharder !== null ? ([h.sharder.nrShards, h.sharder.ignoreMsb] as [number, number]) : null)),
    };
  }

  /**
   * The routing state changed (a new routing table, the connection table moved to a larger buffer): handle
   * threads get it ('routing'). Nothing while no handle was made.
   */
  postRouting(table: RoutingTable | null): void {
    if (this.channel === null || this.e.shuttingDown) return;
    this.post({ type: 'routing', routing: this.routing(table) });
  }

  /** New rings in a restarted worker (doorbell `bell`) for every handle thread: as posted to it, and by claim token. */
  freshRings(bell: SharedArrayBuffer): { rings: RequesterRings[]; byToken: Record<string, WorkerRings> } {
    const rings: RequesterRings[] = [];
    const byToken: Record<string, WorkerRings> = {};
    for (const [token, hr] of this.requesters) {
      const r = createWorkerRings(bell, HANDLE_RING_BYTES);
      byToken[token] = r;
      rings.push({ requester: hr.index, requests: r.requests, responses: r.responses, responseBell: hr.responseBell });
    }
    return { rings, byToken };
  }

  private openChannel(): void {
    if (this.channel !== null) return;
    const ch = new BroadcastChannel(this.channelName) as UnrefChannel;
    // Handles never keep the owner's process alive; its own requests and connections decide.
    ch.unref();
    ch.onmessage = (ev: MessageEvent) => this.onMessage(ev.data as HandleMessage);
    this.channel = ch;
  }

  post(m: HandleMessage): void {
    this.channel?.postMessage(m);
  }

  private onMessage(m: HandleMessage): void {
    if (m.type === 'release') {
      const hr = this.requesters.get(m.token);
      if (hr !== undefined) this.releaseRequester(m.token, hr);
      return;
    }
    if (m.type !== 'claim' || this.e.shuttingDown || this.requesters.has(m.token)) return;
    this.onClaim(m);
  }

  private onClaim(m: ClaimMessage): void {
    const workers = this.e.workers;
    if (m.workers.length !== workers.count) {
      this.post({
        type: 'refused',
        token: m.token,
        message: `the handle has rings for ${m.workers.length} shard workers, the client has ${workers.count}`,
      });
      return;
    }
    let index = this.takeRequesterIndex();
    if (index < 0) {
      this.probe();
      index = this.takeRequesterIndex();
    }
    if (index < 0) {
      this.post({
        type: 'refused',
        token: m.token,
        message: `this client already serves ${DROPPED_REQUESTER - 1} handle threads; shut down the clients of threads that no longer need theirs`,
      });
      return;
    }
    const live = new Int32Array(m.live);
    this.requesters.set(m.token, {
      index,
      responseBell: m.responseBell,
      probe: new LivenessProber(live, THREAD_CELL),
      waiter: new LivenessWaiter(live, OWNER_CELL),
      claimed: new Int32Array(m.claimed),
    });
    // A worker that died and has not been replaced yet: its restart gives this requester fresh rings.
    workers.list.forEach((w, i) =>
      w.post({
        type: 'add-requester',
        rings: { requester: index, requests: m.workers[i]!.requests, responses: m.workers[i]!.responses, responseBell: m.responseBell },
      }),
    );
    this.post({ type: 'claimed', token: m.token, gens: workers.gens.slice() });
    if (this.probeTimer === null) {
      this.probeTimer = setInterval(() => this.probe(), HANDLE_PROBE_MS);
      this.probeTimer.unref();
    }
  }

  private takeRequesterIndex(): number {
    const free = this.freeRequesters.pop();
    if (free !== undefined) return free;
    return this.nextRequester < DROPPED_REQUESTER ? this.nextRequester++ : -1;
  }

  /** The workers drop the requester's rings and its late answers, so its index can be given out again at once. */
  private releaseRequester(token: string, hr: HandleRequester): void {
    this.requesters.delete(token);
    hr.waiter.stop();
    this.e.workers.postAll({ type: 'remove-requester', requester: hr.index });
    this.freeRequesters.push(hr.index);
    if (this.requesters.size === 0 && this.probeTimer !== null) {
      clearInterval(this.probeTimer);
      this.probeTimer = null;
    }
  }

  /** Releases the requesters of handle threads that ended without saying so (terminate(), as piscina does). */
  private probe(): void {
    for (const [token, hr] of this.requesters) {
      if (hr.probe.probe()) continue;
      Atomics.sub(hr.claimed, 0, 1);
      this.e.log(
        'info',
        `a thread using a handle of this client ended without shutting its client down; its requester ${hr.index} is released`,
      );
      this.releaseRequester(token, hr);
    }
  }

  /** Handles stop at once: in-flight requests fail, later ones too, threads that claim later see the flag. */
  close(): void {
    Atomics.store(new Int32Array(this.state), 0, 1);
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
    for (const hr of this.requesters.values()) hr.waiter.stop();
    this.requesters.clear();
    const ch = this.channel;
    this.channel = null;
    if (ch === null) return;
    const m: HandleMessage = { type: 'owner-shutdown' };
    ch.postMessage(m);
    ch.close();
  }
}
