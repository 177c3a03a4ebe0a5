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
 * - handles/: the owner's side of client handles (handle-engine.ts is the handle's side).
 * - here: the connections' state (which routing reads), the request path, USE, the direct lane's source,
 *   shutdown.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { DriverError, NoHostAvailableError, type CqlEvent } from '@shardcql/core';
import type { WorkerConnectionOptions, Authenticator, ReconnectionSchedules } from '@shardcql/shard-worker';
import { defaultReconnectionPolicy } from '../policies';
import { createMetricsBuffer } from '@shardcql/shard-worker';
import { DirectLane, type LaneHost, type LaneSource } from './direct-lane';
import { EngineAnswer, type Engine, type EngineHost, type EngineOptions } from './engine';
import { EngineRequest } from './request';
import { Router } from './routing/router';
import { ConnectionTable } from './routing/connection-table';
import { RingRequester } from './ring-requester';
import { CONN_INDEX_QUARANTINE_MS, ConnIndexPool } from './conn-indexes';
import type { EngineHandle } from './handle-engine';
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
  /** Where requests go (routing/router.ts): over the connection table, this routing table's ring and plans. */
  readonly router: Router;
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
    this.router = new Router(this.connTable);
    this.router.setDefaultKeyspace(this.keyspace);
    this.router.onMissingPlans = (ks) => this.onMissingPlans(ks);
    // The table moved to a larger buffer: answers map to hosts through the new one, handles attach it.
    this.connTable.onGrow = () => {
      this.syncTargets();
      this.handles.postRouting(this.table);
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
    const table = RoutingTable.build(this.hostStates, c.strategies, c.localDc, c.murmur3, (m) => this.emit('log', 'warning', m));
    this.table = table;
    this.router.setHosts(this.hostStates);
    this.router.setTopology({ ring: table.ring, isLocal: table.isLocal, plans: table.keyspacePlans });
    this.handles.postRouting(table);
  }

  /** A request named a keyspace without replica plans: read the replication again when it is not known at all. */
  private onMissingPlans(keyspace: string): void {
    if (this.connected && !this.cluster.strategies.has(keyspace)) this.cluster.scheduler.request(REFRESH_KEYSPACES);
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
    // Handles route by the same table (handle-engine.ts): they see this at once.
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
  send(req: EngineRequest): Promise<EngineAnswer> {
    const requester = this.requester;
    if (requester === null || !this.connected) {
      return Promise.reject(new DriverError(this.shuttingDown ? 'The client is shut down' : 'The client is not connected'));
    }
    const c = this.router.route(req);
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

  /** The connection a request goes to (-1: none open): the router's pick (routing/router.ts). No allocation. */
  route(req: EngineRequest): number {
    return this.router.route(req);
  }

  /** Changes when host indexes change meaning (a host removed): a query plan taken before is stale. */
  get hostsEpoch(): number {
    return this.router.epoch;
  }

  set hostsEpoch(epoch: number) {
    this.router.epoch = epoch;
  }

  /**
   * The request's query plan (routing/router.ts): computed on first use into the request, then shared by its
   * retries and speculative executions.
   */
  queryPlan(req: EngineRequest): number[] {
    return this.router.queryPlan(req);
  }

  /**
   * ScyllaDB tablets: a RESULT carried `tablets-routing-v1`: remember the tablet (it replaces every known tablet
   * it overlaps). A bad payload is logged and ignored.
   */
  noteTablet(keyspace: string, table: string, payloadValue: Buffer): void {
    try {
      this.router.noteTablet(keyspace, table, payloadValue);
    } catch (e) {
      this.emit('log', 'warning', `ignored a bad tablets-routing-v1 payload for ${keyspace}.${table}: ${(e as Error).message}`);
      return;
    }
    if (this.tabletEvents) return;
    // A dropped or altered table or keyspace loses its tablets (the server sends fresh ones on demand).
    this.tabletEvents = true;
    this.on('event', (ev: CqlEvent) => {
      if (ev.type !== 'SCHEMA_CHANGE' || ev.change === 'CREATED') return;
      const tablets = this.router.tablets;
      if (ev.target === 'KEYSPACE') tablets.removeKeyspace(ev.keyspace);
      else if (ev.target === 'TABLE' && ev.name !== null) tablets.removeTable(ev.keyspace, ev.name);
      else return;
      this.router.tabletsChanged();
    });
  }

  private tabletEvents = false;

  async sendToAllHosts(opcode: number, body: Uint8Array, bodyLength: number, timeoutMs: number): Promise<Array<EngineAnswer | Error>> {
    const out: Array<Promise<EngineAnswer | Error>> = [];
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
    this.router.setDefaultKeyspace(keyspace);
    this.handles.postRouting(this.table);
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
   * A handle up to `threads` other threads may use at once (see handle-engine.ts): each thread makes its own
   * rings when it takes the handle and gives them back when its client shuts down or the thread ends, so
   * handles cost nothing until used and can be made without bound. The routing snapshot is taken now; a
   * request the snapshot sends to a connection that has since closed is moved by the worker to another
   * connection of the same host, or fails with NoHostAvailableError.
   */
  async createHandle(threads = 16): Promise<EngineHandle> {
    await this.connect();
    return this.handles.create(threads, this.table);
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
