/**
 * The sharded engine: worker threads own the connections; this thread only routes and settles. A facade over
 * its parts, which share its state (engine-state.ts):
 *
 * - cluster/: connect() resolves and probes the contact points, opens a first connection (in worker 0, the
 *   control connection), reads the topology (system.local, system.peers_v2 or system.peers) and the keyspaces'
 *   replication, merges the hosts (connection c of host h lives in worker (h + c) % W) and REGISTERs for server
 *   events. Afterwards TOPOLOGY_CHANGE / STATUS_CHANGE / SCHEMA_CHANGE (keyspace) events trigger a debounced
 *   refresh; new hosts get connections, removed hosts lose theirs; host indexes stay stable except when a host
 *   is removed (the list is compacted). When the control connection dies, another open connection (another
 *   host first) takes over, registers and refreshes.
 * - shards/: ScyllaDB, one connection per shard, re-placement and refills.
 * - workers/: the shard worker threads (start, restart, stop, messages) and the auth relay.
 * - handles/: the owner's side of client handles (remote-engine.ts is the handle's side).
 * - here: the connections' state (which routing reads), the request path, USE, the direct lane's source,
 *   shutdown.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import {
  DriverError,
  NoHostAvailableError,
  type CqlEvent,
  TabletMap,
  type ReplicaPlans,
  type TableTablets,
} from '@shardcql/core';
import type { WorkerConnectionOptions, Authenticator, ReconnectionSchedules } from '@shardcql/shard-worker';
import { defaultReconnectionPolicy } from '../policies';
import { createMetricsBuffer } from '@shardcql/shard-worker';
import { DirectLane, type LaneHost, type LaneSource } from './direct-lane';
import { ResponseFrame, type Engine, type EngineHost, type EngineOptions } from './engine';
import { EngineRequest } from './request';
import { ConnectionTable } from './routing/connection-table';
import { appendQueryPlan } from './query-plan';
import { RingRequester } from './ring-requester';
import { CONN_INDEX_QUARANTINE_MS, ConnIndexPool } from './conn-indexes';
import type { EngineHandle } from './remote-engine';
import { ShardMetricsReader, type ShardMetrics } from '../metrics/shard-metrics';
import { RoutingTable, REFRESH_KEYSPACES, REFRESH_TOPOLOGY, type LwtMark } from './topology';
import type { EngineState, LogLevel } from './engine-state';
import type { HostState } from './host-state';
import { reviveError } from './revive-error';
import { Cluster } from './cluster';
import { ShardPlacer } from './shards';
import { WorkerSet } from './workers';
import { HandleOwner } from './handles';

export { reviveError };

export class ShardedEngine extends EventEmitter implements Engine, LaneSource, EngineState {
  readonly workers: WorkerSet;
  readonly handles: HandleOwner;
  readonly cluster: Cluster;
  readonly shards: ShardPlacer;
  /** Low-concurrency requests skip the thread hop here (direct-lane.ts); null when off. */
  lane: DirectLane | null = null;
  requester: RingRequester | null = null;
  hostStates: HostState[] = [];
  /**
   * Every connection (worker, host, up, reported shard, spec) and every host's connections, usable mark and
   * ScyllaDB shard slots, in shared memory that handle threads read live (routing/connection-table.ts).
   */
  readonly connTable = new ConnectionTable();
  /** Connection indexes: given back when a connection is dropped, used again after a quarantine (conn-indexes.ts). */
  private connIndexes: ConnIndexPool;
  private table: RoutingTable | null = null;
  /** The plans requests with a token are routed by: those of routingKeyspace ?? keyspace. */
  private activePlans: ReplicaPlans | null = null;
  private routingKeyspace: string | null = null;
  /** The control connection's host announced ScyllaDB sharding: hosts get one connection per shard. */
  sharded = false;
  /** ScyllaDB's LWT mark from the first connection's SUPPORTED; echoed in later STARTUPs. */
  lwtMark: LwtMark | null = null;
  tabletsRouting = false;
  private connecting: Promise<void> | null = null;
  shuttingDown = false;
  version = 0;
  keyspace: string | null;
  /** Per-shard metrics the workers write (metrics/layout.ts); null with `shardcql.metrics: false`. */
  metricsReader: ShardMetricsReader | null = null;
  connected = false;

  /** The user's policies.reconnection (LaneSource, EngineState); cassandra-driver's default when not given. */
  readonly reconnection: ReconnectionSchedules;

  constructor(readonly options: EngineOptions) {
    super();
    this.keyspace = options.keyspace;
    this.reconnection = options.reconnection ?? defaultReconnectionPolicy();
    // Longer than a connection attempt that was under way when its index was given back (it still counts into
    // the index's metrics slot until it gives up) and the close that follows it.
    this.connIndexes = new ConnIndexPool(Math.max(CONN_INDEX_QUARANTINE_MS, options.connectTimeoutMs + 15_000));
    this.workers = new WorkerSet(this);
    this.handles = new HandleOwner(this);
    // The table moved to a larger buffer: answers map to hosts through the new one, handles attach it.
    this.connTable.onGrow = () => {
      this.syncTargets();
      this.handles.postRouting(this.activePlans);
    };
    this.cluster = new Cluster(this);
    this.shards = new ShardPlacer(this);
  }

  get protocolVersion(): number {
    return this.version;
  }

  get hosts(): readonly EngineHost[] {
    return this.hostStates;
  }

  get inFlight(): number {
    return (this.requester === null ? 0 : this.requester.inFlight) + (this.lane === null ? 0 : this.lane.inFlight);
  }

  get workerCount(): number {
    return this.workers.count;
  }

  /** The control connection's host index (-1 while there is none). */
  get controlHostIndex(): number {
    return this.cluster.controlHostIndex;
  }

  /** The current routing table (for tests and diagnostics). */
  get routingTable(): RoutingTable | null {
    return this.table;
  }

  /** Refreshes run since connect (for tests). */
  get refreshCount(): number {
    return this.cluster.scheduler.runs;
  }

  /** Handle threads holding a requester now (for tests and diagnostics). */
  get handleThreadCount(): number {
    return this.handles.threadCount;
  }

  /** Requester indexes ever given to handle threads (released ones are reused first); for tests. */
  get handleRequesterHighWater(): number {
    return this.handles.requesterHighWater;
  }

  log(level: LogLevel, message: string): void {
    this.emit('log', level, message);
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.shuttingDown) return Promise.reject(new DriverError('The client is shut down'));
    if (this.connecting === null) {
      this.connecting = this.doConnect().then(
        () => {
          const n = this.options.directLane ?? 0;
          if (n > 0) this.lane = new DirectLane(n, this, this.metricsReader !== null ? this.metricsReader.buffer : null);
          this.connected = true;
        },
        async (e: unknown) => {
          this.connecting = null;
          await this.workers.stop();
          throw e;
        },
      );
    }
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    // 0. The contact points, resolved and probed from this thread (cluster/contact-points.ts).
    const cps = await this.cluster.contactPoints();
    // 1. The workers, and this thread's requester.
    const n = this.options.workers > 0 ? this.options.workers : Math.max(1, availableParallelism() - 1);
    const descriptor = await this.workers.startAll(n);
    this.requester = new RingRequester(descriptor);
    this.requester.targetAddress = (t) => this.addressOfConn(t);
    this.requester.targetHost = this.connTable.host;
    this.requester.maxRequestsPerConnection = this.options.maxRequestsPerConnection;
    this.cluster.perHost = Math.max(1, this.options.connectionsPerHost > 0 ? this.options.connectionsPerHost : n);
    if (this.options.metrics !== false && this.metricsReader === null) {
      this.metricsReader = new ShardMetricsReader(createMetricsBuffer());
    }
    // 2. The first connection, the control connection (it negotiates the protocol version).
    await this.cluster.openFirst(cps);
    // 3. Topology, connections to every local host, replication, routing table.
    await this.cluster.refresh(REFRESH_TOPOLOGY | REFRESH_KEYSPACES);
    // 4. Server events on the control connection.
    await this.cluster.register(0);
  }

  // ---- routing state (the cluster's replication and hosts -> the routing table) -----------------

  rebuildTable(): void {
    const c = this.cluster;
    this.table = RoutingTable.build(this.hostStates, c.strategies, c.localDc, c.murmur3, (m) => this.emit('log', 'warning', m));
    this.activePlans = this.table.plansFor(this.routingKeyspace ?? this.keyspace);
    this.handles.postRouting(this.activePlans);
  }

  /**
   * Routes token-aware requests by this keyspace's replica plans (null: back to the session keyspace).
   * The facade calls it when the keyspace of the statements changes; one keyspace at a time.
   */
  setRoutingKeyspace(keyspace: string | null): void {
    this.routingKeyspace = keyspace;
    this.activePlans = this.table === null ? null : this.table.plansFor(keyspace ?? this.keyspace);
    const ks = keyspace ?? this.keyspace;
    if (ks !== null && this.connected && !this.cluster.strategies.has(ks)) this.cluster.scheduler.request(REFRESH_KEYSPACES);
  }

  /**
   * Waits until every up host reports the same schema_version (system.local and system.peers through the
   * control connection), polling every 200 ms. Resolves false when `maxWaitMs` passes first.
   */
  waitForSchemaAgreement(maxWaitMs: number): Promise<boolean> {
    return this.cluster.waitForSchemaAgreement(maxWaitMs);
  }

  /** One schema agreement check, no retry (metadata.checkSchemaAgreement); false when it fails. */
  checkSchemaAgreement(): Promise<boolean> {
    return this.cluster.checkSchemaAgreement();
  }

  // ---- connections --------------------------------------------------------------------------------

  /** A connection opened or closed: host state (hostUp / hostDown), routing marks, control failover. */
  setConnUp(conn: number, up: boolean): void {
    // Handles route by the same table (remote-engine.ts): they see this at once.
    const h = this.connTable.setUp(conn, up);
    if (h < 0) return;
    const hs = this.hostStates[h]!;
    const open = this.connTable.isUsable(h);
    if (open !== hs.up) {
      hs.up = open;
      if (this.connected && !this.shuttingDown) this.emit(open ? 'hostUp' : 'hostDown', hs);
    }
    if (!this.connected || this.shuttingDown) return;
    this.cluster.onConnState(conn, up, h);
  }

  /** A new connect (after a failed one) starts over: the first connection gets index 0 (what follows relies on it). */
  resetConnIndexes(): number {
    this.connIndexes.reset();
    this.connTable.reset();
    return this.takeConnIndex();
  }

  /**
   * An index for a new connection (conn-indexes.ts): not one a request of this thread still targets; its
   * per-index state and metrics slot start clean. Throws when all u16 targets are taken.
   */
  takeConnIndex(): number {
    const requester = this.requester;
    const c = this.connIndexes.acquire(requester !== null ? (i) => requester.hasInFlightTo(i) : undefined);
    this.connTable.remove(c);
    this.metricsReader?.clearSlot(c);
    return c;
  }

  /**
   * Connection index c is no one's any more (its connection was told to close; the table's cells say so, and
   * handles read the same table): back to the pool.
   */
  releaseConnIndex(c: number): void {
    this.connIndexes.release(c);
  }

  addressOfConn(conn: number): string {
    const s = this.connTable.specOf(conn);
    return s === undefined ? 'unknown host' : `${s.host}:${s.port}`;
  }

  /** Answers map to their host through the table's host cells (live; a new array only when the table grew). */
  syncTargets(): void {
    if (this.requester !== null) this.requester.targetHost = this.connTable.host;
  }

  // ---- the request path -----------------------------------------------------------------------

  /**
   * ScyllaDB: the LWT bit of prepared bind-metadata flags (0 when the cluster sent no
   * SCYLLA_LWT_ADD_METADATA_MARK). A prepared statement is an LWT when (flags >>> 0) & mask === mask.
   */
  get lwtMask(): number {
    return this.lwtMark === null ? 0 : this.lwtMark.mask;
  }

  /** `req.lwt`: route to the replicas in ring order, primary first, never round robin (LWT, Paxos). */
  send(req: EngineRequest): Promise<ResponseFrame> {
    const requester = this.requester;
    if (requester === null || !this.connected) {
      return Promise.reject(new DriverError(this.shuttingDown ? 'The client is shut down' : 'The client is not connected'));
    }
    const c = this.route(req.tokenHi, req.tokenLo, req.hasToken, req.hostIndex, req.lwt);
    if (c >= 0) {
      // Nothing in flight through the rings, and the last answers came one at a time (not a pause between
      // batches): this request would wait for two thread wake-ups, the lane does not.
      const lane = this.lane;
      if (lane !== null && requester.inFlight === 0 && requester.lastBatch <= 1 && lane.inFlight < lane.maxInFlight) {
        const h = this.connTable.hostOf(c);
        const hs = this.hostStates[h]!;
        // ScyllaDB: the lane connection must serve the shard of the connection routing chose (token or tablet).
        const shard = this.sharded && hs.sharder !== null ? this.connTable.shardSlotOf(h, c) : -1;
        if (shard >= 0 || !this.sharded || hs.sharder === null) {
          const p = lane.trySend(hs, shard, req);
          if (p !== null) return p;
        }
      }
      return requester.send(this.connTable.workerOf(c), c, req);
    }
    const inner: Record<string, Error> = {};
    for (const hs of this.hostStates) inner[hs.address] = new DriverError('no open connection');
    return Promise.reject(new NoHostAvailableError(inner));
  }

  /**
   * The connection a request goes to (-1: none open). `hostIndex` >= 0 pins the host; otherwise the
   * routing table picks (topology/routing-table.ts). One binary search, no allocation.
   */
  route(tokenHi: number, tokenLo: number, hasToken: boolean, hostIndex: number, primaryFirst = false): number {
    if (hostIndex >= 0) {
      return hasToken && this.activeTablets !== null ? this.tabletConnOfHost(hostIndex, tokenHi, tokenLo) : this.connOfHostToken(hostIndex, tokenHi, tokenLo, hasToken);
    }
    // ScyllaDB tablets: the statement's table has known tablets (tablets-routing-v1). A token outside
    // them goes by the vnode plans below; the answer then brings its tablet.
    if (hasToken && this.activeTablets !== null) {
      const c = this.tabletConn(tokenHi, tokenLo, primaryFirst);
      if (c >= 0) return c;
    }
    const table = this.table;
    if (table !== null) {
      const h = table.select(this.activePlans, tokenHi, tokenLo, hasToken, this.connTable.usableMarks, primaryFirst);
      if (h >= 0) {
        const c = this.connOfHostToken(h, tokenHi, tokenLo, hasToken);
        if (c >= 0) return c;
      }
    }
    // Only when the usable marks lag behind a connection change: any open connection.
    const hosts = this.hostStates;
    for (let h = 0; h < hosts.length; h++) {
      const c = this.connOfHost(h);
      if (c >= 0) return c;
    }
    return -1;
  }

  /** Rotation of the speculative path's query plans (queryPlan). */
  private planRr = 0;
  /** Changes when host indexes change meaning (a host removed): a queryPlan taken before is stale. */
  hostsEpoch = 0;

  /**
   * The query plan for speculative executions (query-plan.ts): the token's tablet replicas when known, then
   * its replica plan, then the other usable hosts; hosts without an open connection are left out.
   */
  queryPlan(tokenHi: number, tokenLo: number, hasToken: boolean, lwt: boolean): number[] {
    const out: number[] = [];
    this.planRr = (this.planRr + 1) & 0x3fffffff;
    const start = lwt ? 0 : this.planRr;
    if (hasToken && this.activeTablets !== null) this.appendTabletHosts(out, tokenHi, tokenLo, start);
    const table = this.table;
    return appendQueryPlan(out, this.activePlans, table !== null ? table.ring : null, table !== null ? table.isLocal : null,
      tokenHi, tokenLo, hasToken, this.connTable.usableMarks, start, this.planRr);
  }

  // ---- ScyllaDB tablets (scylladb docs/dev/protocol-extensions.md, "Tablets routing v1") ---------

  /** Tablets learned from tablets-routing-v1 payloads, by (keyspace, table). */
  private tablets = new TabletMap();
  /** The tablets of the table of the statements being routed (setRoutingTable); null: none known. */
  private activeTablets: TableTablets | null = null;
  private tabletKs: string | null = null;
  private tabletTable: string | null = null;
  /** The host list the tablets' host indexes were resolved against; another one means remap. */
  private tabletHostList: readonly HostState[] | null = null;
  private tabletHostIds = new Map<string, number>();
  private readonly tabletHostIndexOf = (hostId: string): number => this.tabletHostIds.get(hostId) ?? -1;
  private tabletRr = 0;
  private tabletEvents = false;

  /** Routes requests with a token by this table's tablets first (null: vnode plans only). */
  setRoutingTable(keyspace: string | null, table: string | null): void {
    this.tabletKs = keyspace;
    this.tabletTable = table;
    this.activeTablets = keyspace === null || table === null ? null : this.tablets.table(keyspace, table);
  }

  /**
   * A RESULT carried `tablets-routing-v1`: remember the tablet (it replaces every known tablet it
   * overlaps). Replica host ids become host indexes here, so routing compares no strings.
   */
  noteTablet(keyspace: string, table: string, payloadValue: Buffer): void {
    if (this.tabletHostList !== this.hostStates) this.remapTabletHosts();
    try {
      this.tablets.addPayload(keyspace, table, payloadValue, this.tabletHostIndexOf);
    } catch (e) {
      this.emit('log', 'warning', `ignored a bad tablets-routing-v1 payload for ${keyspace}.${table}: ${(e as Error).message}`);
      return;
    }
    if (!this.tabletEvents) {
      // A dropped or altered table or keyspace loses its tablets (the server sends fresh ones on demand).
      this.tabletEvents = true;
      this.on('event', (ev: CqlEvent) => {
        if (ev.type !== 'SCHEMA_CHANGE' || ev.change === 'CREATED') return;
        if (ev.target === 'KEYSPACE') this.tablets.removeKeyspace(ev.keyspace);
        else if (ev.target === 'TABLE' && ev.name !== null) this.tablets.removeTable(ev.keyspace, ev.name);
        else return;
        this.setRoutingTable(this.tabletKs, this.tabletTable);
      });
    }
    if (keyspace === this.tabletKs && table === this.tabletTable) this.setRoutingTable(keyspace, table);
  }

  /** Host ids -> current host indexes, after the host list changed (a host that left maps to -1). */
  private remapTabletHosts(): void {
    const hosts = this.hostStates;
    this.tabletHostIds.clear();
    for (let h = 0; h < hosts.length; h++) {
      const id = hosts[h]!.hostId;
      if (id !== null) this.tabletHostIds.set(id.toLowerCase(), h);
    }
    this.tabletHostList = hosts;
    this.tablets.remapHosts(this.tabletHostIndexOf);
  }

  /**
   * The connection of a replica (host, shard) of the token's tablet in activeTablets; -1 when no tablet
   * holds the token or none of its replicas is open. LWTs take the replicas in the server's order; other
   * requests round robin over them. One binary search, no allocation.
   */
  private tabletConn(tokenHi: number, tokenLo: number, primaryFirst: boolean): number {
    if (this.tabletHostList !== this.hostStates) this.remapTabletHosts();
    const tt = this.activeTablets!;
    const i = tt.indexOf(tokenHi, tokenLo);
    if (i < 0) return -1;
    const hosts = tt.hosts[i]!;
    const shards = tt.shards[i]!;
    const n = hosts.length;
    let r = 0;
    if (!primaryFirst && n > 1) {
      this.tabletRr = (this.tabletRr + 1) & 0x3fffffff;
      r = this.tabletRr % n;
    }
    for (let k = 0; k < n; k++, r = r + 1 === n ? 0 : r + 1) {
      const h = hosts[r]!;
      if (h < 0 || !this.connTable.isUsable(h)) continue;
      if (this.sharded) {
        const c = this.connTable.shardConnOf(h, shards[r]!);
        if (c >= 0 && this.connTable.isUp(c)) return c;
      }
      const c = this.connOfHost(h);
      if (c >= 0) return c;
    }
    return -1;
  }

  /** The usable replica hosts of the token's tablet in activeTablets, from replica `start` (round robin). */
  private appendTabletHosts(out: number[], tokenHi: number, tokenLo: number, start: number): void {
    if (this.tabletHostList !== this.hostStates) this.remapTabletHosts();
    const tt = this.activeTablets!;
    const i = tt.indexOf(tokenHi, tokenLo);
    if (i < 0) return;
    const hosts = tt.hosts[i]!;
    const n = hosts.length;
    for (let k = 0; k < n; k++) {
      const h = hosts[(start + k) % n]!;
      if (h >= 0 && this.connTable.isUsable(h) && !out.includes(h)) out.push(h);
    }
  }

  /**
   * A request pinned to host h (speculative executions, retries) for a token of a known tablet: the connection
   * of h's shard in that tablet when h is one of its replicas; otherwise as connOfHostToken.
   */
  private tabletConnOfHost(h: number, tokenHi: number, tokenLo: number): number {
    if (this.sharded) {
      if (this.tabletHostList !== this.hostStates) this.remapTabletHosts();
      const tt = this.activeTablets!;
      const i = tt.indexOf(tokenHi, tokenLo);
      const hs = this.hostStates[h];
      if (i >= 0 && hs !== undefined) {
        const hosts = tt.hosts[i]!;
        for (let r = 0; r < hosts.length; r++) {
          if (hosts[r] !== h) continue;
          const c = this.connTable.shardConnOf(h, tt.shards[i]![r]!);
          if (c >= 0 && this.connTable.isUp(c)) return c;
          break;
        }
      }
    }
    return this.connOfHostToken(h, tokenHi, tokenLo, true);
  }

  /**
   * ScyllaDB: the connection of the shard owning the token on host h (Sharder.shardOf, no allocation);
   * otherwise, or when that shard's connection is down, connOfHost.
   */
  private connOfHostToken(h: number, tokenHi: number, tokenLo: number, hasToken: boolean): number {
    if (hasToken && this.sharded) {
      const hs = this.hostStates[h];
      if (hs !== undefined && hs.sharder !== null) {
        const c = this.connTable.shardConnOf(h, hs.sharder.shardOf(tokenHi, tokenLo));
        if (c >= 0 && this.connTable.isUp(c)) return c;
      }
    }
    return this.connOfHost(h);
  }

  /** An open connection of host h, round robin over its connections; -1 when none. */
  private connOfHost(h: number): number {
    const hs = this.hostStates[h];
    if (hs === undefined) return -1;
    const table = this.connTable;
    const n = table.connCountOf(h);
    for (let j = 0; j < n; j++) {
      const c = table.connOf(h, (hs.rr + j) % n);
      if (table.isUp(c)) {
        hs.rr = (hs.rr + j + 1) % n;
        return c;
      }
    }
    return -1;
  }

  async sendToAllHosts(opcode: number, body: Uint8Array, bodyLength: number, timeoutMs: number): Promise<Array<ResponseFrame | Error>> {
    const out: Array<Promise<ResponseFrame | Error>> = [];
    // One request for every host: send() copies it before it returns.
    const req = EngineRequest.of(opcode, body, bodyLength, timeoutMs);
    for (let h = 0; h < this.hostStates.length; h++) {
      const c = this.connTable.openConnOf(h, 0);
      if (c < 0) continue;
      out.push(this.requester!.send(this.connTable.workerOf(c), c, req).catch((e: Error) => e));
    }
    return Promise.all(out);
  }


  async setKeyspace(keyspace: string): Promise<void> {
    this.keyspace = keyspace;
    const laneDone = this.lane !== null ? this.lane.setKeyspace(keyspace) : null;
    if (this.routingKeyspace === null) this.setRoutingKeyspace(null);
    await this.workers.useKeyspace(keyspace, this.version);
    if (laneDone !== null) await laneDone;
  }

  // ---- LaneSource (direct-lane.ts) -------------------------------------------------------------

  laneAuthenticator(address: string): Authenticator | null {
    // The same provider the workers' handshakes use.
    return this.workers.auth.laneAuthenticator(address);
  }

  laneOptions(): WorkerConnectionOptions {
    return this.workers.connOptions.lane();
  }

  /** A connection index of the host's own for the lane's metrics slot (never in hs.conns: the rings never use it). */
  laneSlot(host: LaneHost): number {
    const hs = host as HostState;
    let c: number;
    try {
      c = this.takeConnIndex();
    } catch (e) {
      this.emit('log', 'warning', `direct lane to ${hs.address} is not counted in the metrics: ${(e as Error).message}`);
      return -1;
    }
    // Worker -1, in no host list: only the metrics (getShardMetrics) and the answers' host mapping read it.
    this.connTable.add(c, -1, hs.index, { conn: c, host: hs.ip, port: hs.port, localPort: null, servername: hs.servername }, false);
    return c;
  }

  laneLog(level: 'info' | 'warning', message: string): void {
    this.emit('log', level, message);
  }

  // ---- handles, metrics, tests ------------------------------------------------------------------

  /**
   * A handle up to `threads` other threads may use at once (see remote-engine.ts): each thread makes its own
   * rings when it takes the handle and gives them back when its client shuts down or the thread ends, so
   * handles cost nothing until used and can be made without bound. The routing snapshot is taken now; a
   * request the snapshot sends to a connection that has since closed is moved by the worker to another
   * connection of the same host, or fails with NoHostAvailableError.
   */
  async createHandle(threads = 16): Promise<EngineHandle> {
    await this.connect();
    return this.handles.create(threads, this.activePlans);
  }

  /**
   * One object per open (or reconnecting) connection, i.e. per (host, shard, worker), read from the
   * workers' shared metrics buffer without a message; allocates only the returned objects.
   */
  getShardMetrics(): ShardMetrics[] {
    const out: ShardMetrics[] = [];
    const r = this.metricsReader;
    if (r === null) return out;
    const table = this.connTable;
    for (let c = 0; c < table.connCapacity; c++) {
      const h = table.hostOf(c);
      if (h < 0 || table.specOf(c) === undefined) continue;
      const m = r.read(c, this.hostStates[h]!.address);
      if (m !== null) out.push(m);
    }
    return out;
  }

  /** For tests: makes a worker thread throw an uncaught exception. */
  crashWorkerForTest(index: number): void {
    this.workers.crashForTest(index);
  }

  // ---- shutdown --------------------------------------------------------------------------------

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.handles.close();
    this.cluster.scheduler.stop();
    if (this.connecting !== null) await this.connecting.catch(() => undefined);
    const requester = this.requester;
    // In-flight requests finish first (bounded by the longest client timeout), then the workers close.
    const deadline = Date.now() + 15_000;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (this.lane !== null) await this.lane.close();
    this.connected = false;
    await this.workers.shutdownAll(5000);
    requester?.close(new DriverError('The client was shut down before the request completed'));
    await this.workers.stop();
  }
}
