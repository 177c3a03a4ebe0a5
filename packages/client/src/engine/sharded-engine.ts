/**
 * The sharded engine: worker threads own the connections; this thread only routes and settles.
 *
 * connect(): start the workers, open a first connection to a contact point (in worker 0): the control
 * connection. Through it, read the topology (system.local, system.peers_v2 or system.peers) and the
 * keyspaces' replication (system_schema.keyspaces), give every worker connections to the hosts of the
 * local datacenter (connection c of host h lives in worker (h + c) % W), build the routing table
 * (topology/routing-table.ts: per keyspace, every token range's replicas) and REGISTER for server events.
 *
 * Afterwards the control connection keeps the table current: TOPOLOGY_CHANGE / STATUS_CHANGE /
 * SCHEMA_CHANGE (keyspace) events trigger a debounced refresh; new hosts get connections, removed hosts
 * lose theirs; host indexes stay stable except when a host is removed (the list is compacted). When the
 * control connection dies, another open connection (another host first) takes over, registers and
 * refreshes.
 */
import { EventEmitter } from 'node:events';
import { BroadcastChannel } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import * as core from '@shardcql/core';
import { lookup } from 'node:dns/promises';
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import {
  ByteWriter,
  Doorbell,
  ArgumentError,
  DriverError,
  NoHostAvailableError,
  opcodes,
  encodeQuery,
  encodeRegister,
  decodeResult,
  decodeError,
  defaultCodecOptions,
  newQueryParameters,
  consistencies,
  type CqlEvent,
  TabletMap,
  type ReplicaPlans,
  type ReplicationStrategy,
  type TableTablets,
  type Sharder,
} from '@shardcql/core';
import type { ConnectResult, ConnectionSpec, FromWorker, WorkerConnectionOptions, SerializedError, RequesterRings } from '@shardcql/shard-worker';
import { probeContactPoints, type ProbeOptions, type ProbeTarget } from './contact-probe';
import { DirectLane, type LaneHost, type LaneSource } from './direct-lane';
import { ResponseFrame, type Engine, type EngineHost, type EngineOptions } from './engine';
import { appendQueryPlan } from './query-plan';
import { RingRequester, createWorkerRings, type RequesterDescriptor, type WorkerRings } from './ring-requester';
import { WorkerHandle, type WorkerHandleEvents } from './worker-handle';
import { CONN_INDEX_QUARANTINE_MS, ConnIndexPool } from './conn-indexes';
import { HANDLE_PROBE_MS, OWNER_CELL, THREAD_CELL, type EngineHandle, type HandleMessage, type UnrefChannel } from './remote-engine';
import { LivenessProber, LivenessWaiter } from './liveness';
import { DROPPED_REQUESTER, ReconnectionSchedule, createMetricsBuffer, sampleSchedule, serializeError, type Authenticator, type ReconnectionSchedules } from '@shardcql/shard-worker';
import { defaultReconnectionPolicy } from '../policies';
import { DRIVER_NAME, DRIVER_VERSION } from '@shardcql/shard-worker';
import { AuthSessions, ProviderAuthenticator } from '../auth/engine-authenticator';
import { checkServerIdentityFor } from '../ssl-options';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { ShardMetricsReader, type ShardMetrics } from '../metrics/shard-metrics';
import {
  RefreshScheduler,
  RoutingTable,
  parseKeyspaceRows,
  parseTopologyRows,
  refreshFor,
  schemaVersionsAgree,
  KEYSPACES_QUERY,
  LOCAL_QUERY,
  LOCAL_SCHEMA_QUERY,
  PEERS_QUERY,
  PEERS_V2_QUERY,
  REFRESH_KEYSPACES,
  REFRESH_TOPOLOGY,
  LocalPortPicker,
  isLocalPortTaken,
  parseSharding,
  parseLwtMark,
  type LwtMark,
  type ShardingInfo,
  type TopologyHost,
} from './topology';

/** Local-port candidates tried per shard on the shard-aware port before falling back to the plain port. */
const SHARD_PORT_ATTEMPTS = 8;

/** Handle threads get smaller rings than the owner: there may be many of them. */
const HANDLE_RING_BYTES = 256 * 1024;
const CONTROL_TIMEOUT_MS = 12_000;
/** Events come in bursts (NEW_NODE then UP; one SCHEMA_CHANGE per DDL per node): one refresh per window. */
const REFRESH_WINDOW_MS = 1000;
const SCHEMA_AGREEMENT_INTERVAL_MS = 200;

/** A handle thread's requester, as the owner knows it (remote-engine.ts, 'claim'). */
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

interface HostState extends EngineHost, LaneHost {
  port: number;
  ip: string;
  /** The contact point name this host was given by (TLS verification and SNI); null for an address or a peer. */
  servername: string | null;
  /** Engine-wide connection indexes of this host. */
  conns: number[];
  rr: number;
  /** In the local datacenter: the engine keeps connections to it. */
  local: boolean;
  /** ScyllaDB: the host's sharding (null: not sharded, or not known yet). */
  sharder: Sharder | null;
  /** ScyllaDB: the connection of each shard (-1: none). */
  shardConns: Int32Array;
  /** ScyllaDB: SCYLLA_SHARD_AWARE_PORT (0: none). */
  shardAwarePort: number;
}

export class ShardedEngine extends EventEmitter implements Engine, WorkerHandleEvents, LaneSource {
  private workers: WorkerHandle[] = [];
  /** A custom AuthProvider's handshakes (workers ask with 'auth' messages); null without one. */
  private readonly authSessions: AuthSessions | null;
  /**
   * The connection-state arrays handles read (createHandle), updated by setConnUp. Shared by every handle;
   * a new, larger one only when the connections outgrow the last (older handles keep theirs).
   */
  private handleConnStates: Int32Array[] = [];
  /** The handles' channel (remote-engine.ts); opened by the first createHandle. */
  private handleChannel: UnrefChannel | null = null;
  private readonly handleChannelName = `shardcql-handles-${process.pid}-${randomBytes(12).toString('hex')}`;
  /** Int32 [0]: 1 once this engine shut down; handles read it before they claim. */
  private readonly handleState = new SharedArrayBuffer(4);
  /** Live handle requesters by claim token. */
  private readonly handleRequesters = new Map<string, HandleRequester>();
  /** Requester indexes given back, reused first. */
  private readonly freeRequesters: number[] = [];
  /** Restarts so far, per worker: a handle's rings are served by one generation (remote-engine.ts). */
  private workerGens: number[] = [];
  private probeTimer: NodeJS.Timeout | null = null;
  /** Low-concurrency requests skip the thread hop here (direct-lane.ts); null when off. */
  private lane: DirectLane | null = null;
  private requester: RingRequester | null = null;
  private descriptor: RequesterDescriptor | null = null;
  private workerBells: SharedArrayBuffer[] = [];
  private hostStates: HostState[] = [];
  /** 1 when host i has at least one open connection: what routing reads. */
  private hostUsable: Uint8Array = new Uint8Array(0);
  private connWorker: number[] = [];
  /** Host index of each connection; -1 once its host was removed. */
  private connHost: number[] = [];
  private connUp: boolean[] = [];
  private connSpecs: ConnectionSpec[] = [];
  /** ScyllaDB: the shard a connection reported when it (re)connected (placeShard); lets an extra one take a freed slot. */
  private connShard: number[] = [];
  /** Connection indexes: given back when a connection is dropped, used again after a quarantine (conn-indexes.ts). */
  private connIndexes: ConnIndexPool;
  /**
   * Per handle connection-state array: the indexes given back since the handle was made. Their new owners are
   * other connections than the ones in the handle's snapshot, so they stay 0 there (setConnUp skips them).
   */
  private retiredInHandle = new WeakMap<Int32Array, Set<number>>();
  /** Hosts with a shard slot refill pending (scheduleShardRefill). */
  private shardRefills = new Set<HostState>();
  /** Requester 0 is this thread; handle threads get 1, 2, ... (below DROPPED_REQUESTER), reused once released. */
  private nextRequester = 1;
  private table: RoutingTable | null = null;
  private strategies = new Map<string, ReplicationStrategy>();
  /** The plans requests with a token are routed by: those of routingKeyspace ?? keyspace. */
  private activePlans: ReplicaPlans | null = null;
  private routingKeyspace: string | null = null;
  private localDc: string | null = null;
  private murmur3 = false;
  private peersV2: boolean | null = null;
  private perHost = 1;
  /** The control connection's host announced ScyllaDB sharding: hosts get one connection per shard. */
  private sharded = false;
  /** ScyllaDB's LWT mark from the first connection's SUPPORTED; echoed in later STARTUPs. */
  private lwtMark: LwtMark | null = null;
  private tabletsRouting = false;
  private portPicker = new LocalPortPicker();
  /** "ip:port" -> the host name of the contact point that resolved to it. */
  private hostNames = new Map<string, string>();
  private controlConn = -1;
  private electing = false;
  private scheduler: RefreshScheduler;
  private connecting: Promise<void> | null = null;
  private shuttingDown = false;
  private version = 0;
  private keyspace: string | null;
  /** Per-shard metrics the workers write (metrics/layout.ts); null with `shardcql.metrics: false`. */
  private metricsReader: ShardMetricsReader | null = null;
  connected = false;

  /** The user's policies.reconnection (LaneSource): worker connections get a sample of it, the lane and the shard refill use it. */
  readonly reconnection: ReconnectionSchedules;

  constructor(private readonly options: EngineOptions) {
    super();
    this.keyspace = options.keyspace;
    this.reconnection = options.reconnection ?? defaultReconnectionPolicy();
    // Longer than a connection attempt that was under way when its index was given back (it still counts into
    // the index's metrics slot until it gives up) and the close that follows it.
    this.connIndexes = new ConnIndexPool(Math.max(CONN_INDEX_QUARANTINE_MS, options.connectTimeoutMs + 15_000));
    const provider = options.authProvider ?? null;
    this.authSessions = provider !== null && options.credentials === null ? new AuthSessions(provider) : null;
    this.scheduler = new RefreshScheduler(REFRESH_WINDOW_MS, (what) => this.refresh(what), (e) => {
      if (!this.shuttingDown) this.emit('log', 'warning', `topology refresh failed: ${e.message}`);
    });
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
    return this.workers.length;
  }

  /** The control connection's host index (-1 while there is none). */
  get controlHostIndex(): number {
    return this.controlConn < 0 ? -1 : this.connHost[this.controlConn] ?? -1;
  }

  /** The current routing table (for tests and diagnostics). */
  get routingTable(): RoutingTable | null {
    return this.table;
  }

  /** Refreshes run since connect (for tests). */
  get refreshCount(): number {
    return this.scheduler.runs;
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
          await this.stopWorkers();
          throw e;
        },
      );
    }
    return this.connecting;
  }

  /**
   * sslOptions as posted to the workers: without checkServerIdentity (a function does not clone), which then
   * runs here when a worker asks (onTlsCheck). The same object when there is none.
   */
  private get workerTls(): TlsOptions | null {
    const t = this.options.sslOptions;
    if (t === null || typeof t.checkServerIdentity !== 'function') return t;
    if (this.clonableTls === null) {
      const { checkServerIdentity: _local, ...rest } = t;
      this.clonableTls = rest;
    }
    return this.clonableTls;
  }

  private clonableTls: TlsOptions | null = null;

  private workerOptions(): WorkerConnectionOptions {
    const o = this.options;
    const startup: Record<string, string> = { CQL_VERSION: '3.0.0', DRIVER_NAME, DRIVER_VERSION };
    if (o.applicationName !== null) startup['APPLICATION_NAME'] = o.applicationName;
    if (o.applicationVersion !== null) startup['APPLICATION_VERSION'] = o.applicationVersion;
    if (o.clientId !== null) startup['CLIENT_ID'] = o.clientId;
    if (this.lwtMark !== null) startup['SCYLLA_LWT_ADD_METADATA_MARK'] = this.lwtMark.value;
    if (this.tabletsRouting) startup['TABLETS_ROUTING_V1'] = '';
    return {
      maxProtocolVersion: this.version === 0 ? o.maxProtocolVersion : (this.version as 4 | 5),
      keyspace: this.keyspace,
      connectTimeoutMs: o.connectTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      coalescingThreshold: o.coalescingThreshold,
      compression: o.compression,
      credentials: o.credentials,
      tls: this.workerTls,
      remoteServerIdentity: this.workerTls !== o.sslOptions,
      startupOptions: startup,
      remoteAuth: this.authSessions !== null,
      maxRequestsPerConnection: o.maxRequestsPerConnection,
      metrics: this.metricsReader !== null ? this.metricsReader.buffer : null,
    };
  }

  private startWorker(index: number, rings: WorkerRings, handles: RequesterRings[] = []): WorkerHandle {
    const d = this.descriptor!;
    const mine: RequesterRings = { requester: d.requester, requests: rings.requests, responses: rings.responses, responseBell: d.responseBell };
    return new WorkerHandle(index, rings.workerBell, [mine, ...handles], this);
  }

  /** "host", "host:port" or an IPv6 address: its name, port and first address (or the lookup's error). */
  private async resolveContactPoint(cp: string): Promise<{ cp: string; name: string; port: number; host: string; error: Error | null }> {
    const m = /^(.*):(\d+)$/.exec(cp);
    const withPort = m !== null && !cp.includes('::');
    const name = withPort ? m[1]! : cp;
    const port = withPort ? Number(m[2]) : this.options.port;
    try {
      return { cp, name, port, host: (await lookup(name)).address, error: null };
    } catch (e) {
      return { cp, name, port, host: '', error: e as Error };
    }
  }

  /** The probe's connection options (contact-probe.ts): the workers' ones, without compression or heartbeats. */
  private probeOptions(): ProbeOptions {
    const w = this.workerOptions();
    return {
      maxProtocolVersion: w.maxProtocolVersion,
      compression: 'none',
      connectTimeoutMs: w.connectTimeoutMs,
      heartbeatIntervalMs: 0,
      tls: this.options.sslOptions,
      credentials: w.credentials,
      startupOptions: w.startupOptions,
      coalescingThreshold: w.coalescingThreshold,
      tcpNoDelay: true,
      keepAlive: false,
      closeTimeoutMs: 1000,
    };
  }

  private async doConnect(): Promise<void> {
    // 0. Every contact point is resolved first (as cassandra-driver does): a host given by name keeps that name
    //    for TLS verification and SNI, whichever of them connects first and whichever are found as peers later.
    //    A name that does not resolve is left out (cassandra-driver: "No host could be resolved" when none does).
    const resolved = await Promise.all(this.options.contactPoints.map((cp) => this.resolveContactPoint(cp)));
    const targets: ProbeTarget[] = [];
    for (const r of resolved) {
      if (r.error !== null) {
        this.emit('log', 'warning', `contact point ${r.cp} could not be resolved: ${r.error.message}`);
        continue;
      }
      if (isIP(r.name) === 0) this.hostNames.set(`${r.host}:${r.port}`, r.name);
      targets.push({ host: r.host, port: r.port, servername: isIP(r.name) === 0 ? r.name : null });
    }
    if (targets.length === 0) throw new NoHostAvailableError({}, 'No host could be resolved');
    // 1. The contact points tried from this thread (contact-probe.ts), so that a connect bound to fail does not
    //    wait for worker threads to start. A custom AuthProvider answers through the workers only: no probe then.
    let start = 0;
    const inner: Record<string, Error> = {};
    if (this.authSessions === null) {
      const probed = await probeContactPoints(targets, this.probeOptions(), this.options.requiredDataCenter ?? null, this.keyspace,
        this.options.checkDataCenters ?? null);
      start = probed.first;
      Object.assign(inner, probed.innerErrors);
    }

    const n = this.options.workers > 0 ? this.options.workers : Math.max(1, availableParallelism() - 1);
    const responseBell = Doorbell.createBuffer();
    this.workerBells = [];
    const workerRings: WorkerRings[] = [];
    for (let i = 0; i < n; i++) {
      const bell = Doorbell.createBuffer();
      this.workerBells.push(bell);
      workerRings.push(createWorkerRings(bell));
    }
    this.descriptor = { requester: 0, responseBell, workers: workerRings };
    this.requester = new RingRequester(this.descriptor);
    this.requester.targetAddress = (t) => this.addressOfConn(t);
    this.requester.maxRequestsPerConnection = this.options.maxRequestsPerConnection;
    this.workers = workerRings.map((r, i) => this.startWorker(i, r));
    this.workerGens = workerRings.map(() => 0);
    await Promise.all(this.workers.map((w) => w.started));
    this.perHost = Math.max(1, this.options.connectionsPerHost > 0 ? this.options.connectionsPerHost : n);
    if (this.options.metrics !== false && this.metricsReader === null) {
      this.metricsReader = new ShardMetricsReader(createMetricsBuffer());
    }

    // 2. The first connection, in worker 0, to the contact point that passed (the next ones if it fails now):
    //    it negotiates the protocol version and becomes the control connection.
    let first: { spec: ConnectionSpec; result: ConnectResult } | null = null;
    // The first connection (the control connection) gets index 0 (what follows relies on it); a new connect
    // after a failed one starts over, with new workers.
    this.connIndexes.reset();
    const firstConn = this.takeConnIndex();
    for (let i = start; i < targets.length; i++) {
      const { host, port, servername } = targets[i]!;
      const spec: ConnectionSpec = { conn: firstConn, host, port, localPort: null, servername };
      const result = await this.openConnections(0, [spec]);
      const r = result[0]!;
      if (r.ok) {
        first = { spec, result: r };
        break;
      }
      inner[`${host}:${port}`] = reviveError(r.error);
      // Worker 0 keeps a failed connection's slot and retries it: the next contact point gets index 0 afresh,
      // or the worker would go on reconnecting to this one under the index of the one that answers.
      this.workers[0]!.post({ type: 'close-connections', conns: [firstConn] });
      if (isAuthError(r.error)) throw inner[`${host}:${port}`];
      // The session keyspace refused (USE): the server's error itself, as cassandra-driver (client.js _connect).
      if (this.keyspace !== null && r.error?.name === 'ResponseError' && (r.error.code === 0x2200 || r.error.code === 0x2000)) throw inner[`${host}:${port}`];
    }
    if (first === null) throw new NoHostAvailableError(inner);
    this.version = first.result.protocolVersion;
    // A provisional host for the contact point; the topology refresh fills it in (it matches by address).
    this.hostStates = [newHostState({ address: `${first.spec.host}:${first.spec.port}`, ip: first.spec.host, port: first.spec.port,
      datacenter: null, rack: null, hostId: null, cassandraVersion: null, tokens: [], schemaVersion: null }, true, first.spec.servername ?? null)];
    this.hostStates[0]!.index = 0;
    this.hostUsable = new Uint8Array(1);
    this.connWorker[0] = 0;
    this.connSpecs[0] = first.spec;
    this.connHost[0] = 0;
    this.connUp[0] = true;
    this.hostStates[0]!.conns.push(0);
    this.hostStates[0]!.up = true;
    this.hostUsable[0] = 1;
    this.controlConn = 0;
    const sharding = parseSharding(first.result.supported);
    if (sharding !== null) {
      this.sharded = true;
      applySharding(this.hostStates[0]!, sharding, 0);
    }
    this.lwtMark = parseLwtMark(first.result.supported);
    // ScyllaDB tablets: ask for tablets-routing-v1 payloads when the server offers them (protocol-extensions.md).
    this.tabletsRouting = first.result.supported?.['TABLETS_ROUTING_V1'] !== undefined;

    // 2. Topology, connections to every local host, replication, routing table.
    await this.refresh(REFRESH_TOPOLOGY | REFRESH_KEYSPACES);

    // 3. Server events on the control connection.
    await this.register(0);
  }

  /** REGISTER on connection `conn` (section 4.1.8): events then arrive on it. */
  private async register(conn: number): Promise<void> {
    const w = new ByteWriter(128);
    encodeRegister(w, ['TOPOLOGY_CHANGE', 'STATUS_CHANGE', 'SCHEMA_CHANGE']);
    const body = w.toBuffer();
    const m = await this.workers[this.connWorker[conn]!]!.call<Extract<FromWorker, { type: 'request-all-done' }>>((id) => ({ type: 'request-all', id, opcode: opcodes.register, body, conns: [conn] }));
    const a = m.answers[0];
    if (a === undefined || a.error !== null) throw reviveError(a?.error ?? null);
    if (a.opcode === opcodes.error && a.body !== null) {
      const b = Buffer.from(a.body);
      throw decodeError(b, 0, b.length, this.version);
    }
  }

  // ---- topology -------------------------------------------------------------------------------

  /** One refresh (REFRESH_* mask) through the control connection, then a new routing table. */
  private async refresh(what: number): Promise<void> {
    const conn = this.controlConn;
    if (conn < 0) throw new DriverError('no control connection');
    if ((what & REFRESH_TOPOLOGY) !== 0) await this.refreshTopology(conn);
    if ((what & REFRESH_KEYSPACES) !== 0) {
      try {
        const parsed = parseKeyspaceRows(await this.queryRows(conn, KEYSPACES_QUERY));
        for (const p of parsed.problems) this.emit('log', 'warning', p);
        this.strategies = parsed.strategies;
      } catch (e) {
        // Without replication data, requests still go to the token's owner; never fail a refresh for it.
        this.emit('log', 'warning', `keyspace replication not read: ${(e as Error).message}`);
      }
    }
    this.rebuildTable();
  }

  private async refreshTopology(conn: number): Promise<void> {
    const local = await this.queryRows(conn, LOCAL_QUERY);
    let peers: Array<Record<string, unknown>>;
    if (this.peersV2 !== false) {
      try {
        peers = await this.queryRows(conn, PEERS_V2_QUERY);
        this.peersV2 = true;
      } catch {
        this.peersV2 = false;
        peers = await this.queryRows(conn, PEERS_QUERY);
      }
    } else {
      peers = await this.queryRows(conn, PEERS_QUERY);
    }
    const spec = this.connSpecs[conn]!;
    const parsed = parseTopologyRows(local[0], peers, this.peersV2, spec.host, spec.port, this.options.port);
    for (const p of parsed.problems) this.emit('log', 'warning', p);
    if (this.localDc === null) {
      const required = this.options.requiredDataCenter ?? null;
      if (required !== null && !this.connected && !parsed.hosts.some((h) => h.datacenter === required)) {
        // What the contact-point probe reports (contact-probe.ts), when there was none (a custom AuthProvider).
        const dcs = [...new Set(parsed.hosts.map((h) => h.datacenter))].join(', ');
        throw new NoHostAvailableError({ [`${spec.host}:${spec.port}`]: new ArgumentError(`localDataCenter was configured as '${required}', but only found hosts in data centers: [${dcs}]`) });
      }
      this.localDc = this.options.localDataCenter ?? parsed.hosts[0]!.datacenter;
      if (this.options.localDataCenter !== null && !parsed.hosts.some((h) => h.datacenter === this.localDc)) {
        this.emit('log', 'warning', `localDataCenter ${this.localDc} matches no host's data_center`);
      }
    }
    this.murmur3 = (parsed.partitioner ?? '').endsWith('Murmur3Partitioner');
    await this.mergeHosts(parsed.hosts);
  }

  /**
   * Applies a fresh host list: known hosts are updated in place (same index), new ones appended (and get
   * connections when local), missing ones removed (connections closed, the list compacted).
   */
  private async mergeHosts(fresh: readonly TopologyHost[]): Promise<void> {
    const byAddress = new Map<string, TopologyHost>();
    for (const t of fresh) byAddress.set(t.address, t);
    const kept: HostState[] = [];
    const removed: HostState[] = [];
    for (const hs of this.hostStates) {
      const t = byAddress.get(hs.address);
      if (t === undefined) {
        removed.push(hs);
        continue;
      }
      byAddress.delete(hs.address);
      hs.datacenter = t.datacenter;
      hs.rack = t.rack;
      hs.hostId = t.hostId;
      hs.cassandraVersion = t.cassandraVersion;
      hs.tokens = t.tokens;
      const local = this.localDc === null || t.datacenter === this.localDc;
      if (local && !hs.local) this.emit('log', 'info', `host ${hs.address} moved into the local datacenter`);
      hs.local = local;
      kept.push(hs);
    }
    const added: HostState[] = [];
    for (const t of byAddress.values()) {
      const hs = newHostState(t, this.localDc === null || t.datacenter === this.localDc, this.hostNames.get(t.address) ?? null);
      added.push(hs);
      kept.push(hs);
    }
    // Never remove the control connection's own host (it just answered); a missing local row is parsed
    // with the control connection's address, so this only guards against surprises.
    this.hostStates = kept;
    this.hostUsable = new Uint8Array(kept.length);
    // Host indexes of the hosts after a removed one shift: plans held across this (speculative runs) are stale.
    if (removed.length > 0) this.hostsEpoch++;
    const closeByWorker = new Map<number, number[]>();
    for (const hs of removed) {
      for (const c of hs.conns) {
        this.connHost[c] = -1;
        this.connUp[c] = false;
        const w = this.connWorker[c]!;
        let list = closeByWorker.get(w);
        if (list === undefined) closeByWorker.set(w, (list = []));
        list.push(c);
      }
      hs.conns = [];
      hs.up = false;
    }
    for (const hs of removed) {
      this.lane?.dropHost(hs);
      if (hs.laneSlot >= 0) {
        this.connHost[hs.laneSlot] = -1;
        this.releaseConnIndex(hs.laneSlot);
      }
    }
    for (let h = 0; h < kept.length; h++) {
      const hs = kept[h]!;
      hs.index = h;
      if (hs.laneSlot >= 0) this.connHost[hs.laneSlot] = h;
      for (const c of hs.conns) this.connHost[c] = h;
      this.hostUsable[h] = hs.conns.some((c) => this.connUp[c] === true) ? 1 : 0;
    }
    for (const [w, conns] of closeByWorker) {
      this.workers[w]?.post({ type: 'close-connections', conns });
      for (const c of conns) this.releaseConnIndex(c);
    }
    this.requester!.targetHost = Int32Array.from(this.connHost);
    for (const hs of removed) {
      this.emit('log', 'info', `host ${hs.address} left the cluster`);
      if (this.connected) this.emit('hostRemove', hs);
    }
    // Every local host gets perHost connections (new hosts, the contact point's host which has only the
    // control connection so far, a host that moved into the local DC); then hostAdd / hostUp for new ones.
    const byWorker: ConnectionSpec[][] = this.workers.map(() => []);
    let opened = 0;
    const shardHosts: HostState[] = [];
    for (let h = 0; h < kept.length; h++) {
      const hs = kept[h]!;
      if (!hs.local) continue;
      if (this.sharded) {
        // ScyllaDB: one connection per shard (connectShards), instead of perHost plain ones.
        if (hs.sharder === null || hs.shardConns.includes(-1)) shardHosts.push(hs);
        continue;
      }
      for (let c = hs.conns.length; c < this.perHost; c++) {
        opened++;
        const w = (h + c) % this.workers.length;
        const spec: ConnectionSpec = { conn: this.takeConnIndex(), host: hs.ip, port: hs.port, localPort: null, servername: hs.servername };
        this.connWorker[spec.conn] = w;
        this.connHost[spec.conn] = h;
        this.connUp[spec.conn] = false;
        this.connSpecs[spec.conn] = spec;
        hs.conns.push(spec.conn);
        byWorker[w]!.push(spec);
      }
    }
    if (opened > 0) this.requester!.targetHost = Int32Array.from(this.connHost);
    const results = await Promise.all(
      byWorker.map((specs, w) => (specs.length > 0 ? this.openConnections(w, specs).catch(() => [] as ConnectResult[]) : Promise.resolve([] as ConnectResult[]))),
    );
    for (const list of results) {
      for (const r of list) {
        if (!r.ok) this.emit('log', 'warning', `connection ${r.conn} to ${this.addressOfConn(r.conn)} failed: ${r.error?.message}`);
        this.connUp[r.conn] = r.ok;
        const h = this.connHost[r.conn]!;
        if (r.ok && h >= 0) this.hostUsable[h] = 1;
      }
    }
    if (shardHosts.length > 0) {
      const counts = await Promise.all(shardHosts.map((hs) => this.connectShards(hs).catch((e: Error) => {
        this.emit('log', 'warning', `shard connections to ${hs.address} failed: ${e.message}`);
        return 0;
      })));
      for (const n of counts) opened += n;
      this.requester!.targetHost = Int32Array.from(this.connHost);
    }
    if (opened > 0) {
      for (const hs of kept) {
        if (!hs.local || added.includes(hs)) continue;
        const open = hs.conns.some((c) => this.connUp[c] === true);
        if (open !== hs.up) {
          hs.up = open;
          if (this.connected) this.emit(open ? 'hostUp' : 'hostDown', hs);
        }
      }
    }
    for (const hs of added) {
      const h = this.hostStates.indexOf(hs);
      if (h < 0) continue;
      const open = hs.conns.some((c) => this.connUp[c] === true);
      this.hostUsable[h] = open ? 1 : 0;
      // Remote hosts have no connections: their state follows STATUS_CHANGE events.
      hs.up = hs.local ? open : true;
      if (this.connected) {
        this.emit('log', 'info', `host ${hs.address} joined (${hs.datacenter ?? 'no dc'}/${hs.rack ?? 'no rack'})`);
        this.emit('hostAdd', hs);
        if (hs.up) this.emit('hostUp', hs);
      }
    }
  }

  private rebuildTable(): void {
    this.table = RoutingTable.build(this.hostStates, this.strategies, this.localDc, this.murmur3, (m) => this.emit('log', 'warning', m));
    this.activePlans = this.table.plansFor(this.routingKeyspace ?? this.keyspace);
  }

  /**
   * Routes token-aware requests by this keyspace's replica plans (null: back to the session keyspace).
   * The facade calls it when the keyspace of the statements changes; one keyspace at a time.
   */
  setRoutingKeyspace(keyspace: string | null): void {
    this.routingKeyspace = keyspace;
    this.activePlans = this.table === null ? null : this.table.plansFor(keyspace ?? this.keyspace);
    const ks = keyspace ?? this.keyspace;
    if (ks !== null && this.connected && !this.strategies.has(ks)) this.scheduler.request(REFRESH_KEYSPACES);
  }

  /**
   * Waits until every up host reports the same schema_version (system.local and system.peers through the
   * control connection), polling every 200 ms. Resolves false when `maxWaitMs` passes first.
   */
  async waitForSchemaAgreement(maxWaitMs: number): Promise<boolean> {
    const deadline = Date.now() + maxWaitMs;
    const peersQuery = this.peersV2 === true
      ? 'SELECT peer, native_address, schema_version FROM system.peers_v2'
      : 'SELECT peer, rpc_address, schema_version FROM system.peers';
    const isUp = (ip: string): boolean => {
      for (const hs of this.hostStates) if (hs.ip === ip) return hs.up;
      return false;
    };
    for (;;) {
      const conn = this.controlConn;
      if (conn >= 0 && this.connected) {
        try {
          const local = await this.queryRows(conn, LOCAL_SCHEMA_QUERY);
          const peers = await this.queryRows(conn, peersQuery);
          if (schemaVersionsAgree(local[0], peers, this.peersV2 === true, isUp)) return true;
        } catch (e) {
          this.emit('log', 'verbose', `schema agreement check failed: ${(e as Error).message}`);
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((r) => setTimeout(r, Math.min(SCHEMA_AGREEMENT_INTERVAL_MS, left)));
    }
  }

  private onServerEvent(event: CqlEvent): void {
    if (event.type === 'STATUS_CHANGE') {
      for (const hs of this.hostStates) {
        if (hs.ip !== event.address) continue;
        if (!hs.local) {
          // No connections to watch: the server's word is all there is.
          const up = event.change === 'UP';
          if (hs.up !== up) {
            hs.up = up;
            this.emit(up ? 'hostUp' : 'hostDown', hs);
          }
        } else if (event.change === 'UP' && !hs.up) {
          // Do not wait out the reconnection backoff (up to a minute) for a host the cluster says is up.
          this.askReconnect(hs);
        }
        // DOWN for a local host: its connections decide (a DOWN seen by one node can be a partition).
      }
    }
    this.scheduler.request(refreshFor(event));
  }

  private askReconnect(hs: HostState): void {
    const byWorker = new Map<number, number[]>();
    for (const c of hs.conns) {
      if (this.connUp[c] === true) continue;
      const w = this.connWorker[c]!;
      let list = byWorker.get(w);
      if (list === undefined) byWorker.set(w, (list = []));
      list.push(c);
    }
    for (const [w, conns] of byWorker) this.workers[w]?.post({ type: 'reconnect-now', conns });
  }

  /** Picks a new control connection among the open ones (another host first), registers, refreshes. */
  private async electControl(failedHost: number): Promise<void> {
    if (this.electing || this.shuttingDown) return;
    this.electing = true;
    try {
      while (this.controlConn < 0 && !this.shuttingDown) {
        const c = this.pickControlCandidate(failedHost);
        if (c < 0) return; // the next connection that opens calls us again
        try {
          await this.register(c);
        } catch (e) {
          this.emit('log', 'warning', `control connection candidate ${this.addressOfConn(c)} failed: ${(e as Error).message}`);
          this.connUp[c] = false;
          failedHost = this.connHost[c] ?? -1;
          continue;
        }
        // It may have closed while REGISTER was in flight (its 'down' found no control to fail over).
        if (this.connUp[c] !== true) continue;
        this.controlConn = c;
        this.emit('log', 'info', `control connection moved to ${this.addressOfConn(c)}`);
        // Events were missed while there was no control connection: read everything again.
        await this.scheduler.now(REFRESH_TOPOLOGY | REFRESH_KEYSPACES);
      }
    } finally {
      this.electing = false;
    }
  }

  private pickControlCandidate(avoidHost: number): number {
    let fallback = -1;
    for (let h = 0; h < this.hostStates.length; h++) {
      const hs = this.hostStates[h]!;
      for (const c of hs.conns) {
        if (this.connUp[c] !== true) continue;
        if (h !== avoidHost) return c;
        if (fallback < 0) fallback = c;
      }
    }
    return fallback;
  }

  // ---- ScyllaDB shard awareness -------------------------------------------------------------

  /**
   * Gives host `hs` one connection per shard, shard s in worker (h + s) % W. A host not seen yet first
   * gets one plain connection (in worker h % W): its SUPPORTED tells the shard count and the
   * shard-aware port. Then every missing shard s is connected to the shard-aware port from a local port
   * p with p % nrShards == s (protocol-extensions.md, "Client-side shard selection"); a taken port
   * (EADDRINUSE) moves to the next candidate; SCYLLA_SHARD of the new connection is checked (NAT can
   * rewrite ports). When the host has no shard-aware port or it cannot be reached, plain-port
   * connections (the server spreads them round robin) fill the missing shards; shards already
   * connected are kept. Returns the number of connections opened. `quiet`: no warnings (shard slot refills,
   * which log once themselves).
   */
  private async connectShards(hs: HostState, quiet = false): Promise<number> {
    let opened = 0;
    if (hs.sharder === null) {
      const r = await this.openHostConn(hs, (this.hostIndexOf(hs) % this.workers.length), hs.port, null);
      if (r === null) return 0;
      opened++;
      if (!r.ok) return opened; // down: the worker retries this slot; sharding is learned next refresh
      const info = parseSharding(r.supported);
      if (info === null) {
        this.emit('log', 'info', `host ${hs.address} announces no sharding: one connection`);
        return opened;
      }
      applySharding(hs, info, r.conn);
    }
    const n = hs.sharder!.nrShards;
    let awareUsable = hs.shardAwarePort > 0;
    const viaAwarePort = async (s: number): Promise<void> => {
      for (let attempt = 0; attempt < SHARD_PORT_ATTEMPTS && awareUsable && hs.shardConns[s]! < 0; attempt++) {
        const local = this.portPicker.next(s, n);
        if (local < 0) return;
        const r = await this.openHostConn(hs, this.shardWorker(hs, s), hs.shardAwarePort, local);
        if (r === null) return;
        opened++;
        if (!r.ok) {
          this.dropConns([r.conn]);
          if (isLocalPortTaken(r.error)) continue;
          // Refused or timed out: the port is absent or filtered; the plain port takes over.
          if (!quiet) this.emit('log', 'warning', `shard-aware port ${hs.ip}:${hs.shardAwarePort} unusable (${r.error?.message ?? 'unknown error'}); falling back to port ${hs.port}`);
          awareUsable = false;
          return;
        }
        this.placeShardConn(hs, r);
      }
    };
    if (awareUsable) await Promise.all(Array.from({ length: n }, (_v, s) => (hs.shardConns[s]! < 0 ? viaAwarePort(s) : Promise.resolve())));
    // Plain port: connections land round robin over the shards; up to 2n tries for the missing ones.
    for (let attempt = 0; attempt < 2 * n; attempt++) {
      const missing = hs.shardConns.indexOf(-1);
      if (missing < 0) break;
      const r = await this.openHostConn(hs, this.shardWorker(hs, missing), hs.port, null);
      if (r === null) break;
      opened++;
      if (!r.ok) {
        this.dropConns([r.conn]);
        break;
      }
      this.placeShardConn(hs, r);
    }
    const have = hs.shardConns.reduce((a, c) => a + (c >= 0 ? 1 : 0), 0);
    if (have < n && !quiet) this.emit('log', 'warning', `host ${hs.address}: ${have}/${n} shards connected`);
    return opened;
  }

  /** Keeps a new connection as the connection of the shard it landed on, or closes it when that shard has one. */
  private placeShardConn(hs: HostState, r: ConnectResult): void {
    const info = parseSharding(r.supported);
    const s = info === null ? -1 : info.shard;
    if (s >= 0 && s < hs.shardConns.length && hs.shardConns[s]! < 0) {
      hs.shardConns[s] = r.conn;
      return;
    }
    this.dropConns([r.conn]);
  }

  private shardWorker(hs: HostState, shard: number): number {
    return (this.hostIndexOf(hs) + shard) % this.workers.length;
  }

  private hostIndexOf(hs: HostState): number {
    return Math.max(0, this.hostStates.indexOf(hs));
  }

  /** Opens one connection of host hs in `worker`; null when the host left meanwhile. */
  private async openHostConn(hs: HostState, worker: number, port: number, localPort: number | null): Promise<ConnectResult | null> {
    const h = this.hostStates.indexOf(hs);
    if (h < 0 || this.shuttingDown) return null;
    const spec: ConnectionSpec = { conn: this.takeConnIndex(), host: hs.ip, port, localPort, servername: hs.servername };
    this.connWorker[spec.conn] = worker;
    this.connHost[spec.conn] = h;
    this.connUp[spec.conn] = false;
    this.connSpecs[spec.conn] = spec;
    hs.conns.push(spec.conn);
    const results = await this.openConnections(worker, [spec]).catch(() => [] as ConnectResult[]);
    const r = results[0] ?? { conn: spec.conn, ok: false, protocolVersion: 0, supported: null, error: { name: 'DriverError', message: 'worker did not answer', code: null, fields: {} } };
    this.connUp[r.conn] = r.ok;
    const hNow = this.connHost[r.conn]!;
    if (r.ok && hNow >= 0) this.hostUsable[hNow] = 1;
    return r;
  }

  /** Closes connections the engine does not keep (extra shard connections, failed port attempts). */
  private dropConns(conns: number[]): void {
    for (const c of conns) {
      const h = this.connHost[c]!;
      const hs = h >= 0 ? this.hostStates[h] : undefined;
      if (hs !== undefined) hs.conns = hs.conns.filter((x) => x !== c);
      this.connHost[c] = -1;
      this.connUp[c] = false;
      this.workers[this.connWorker[c]!]?.post({ type: 'close-connections', conns: [c] });
      this.releaseConnIndex(c);
    }
  }

  /**
   * An index for a new connection (conn-indexes.ts): not one a request of this thread still targets; its
   * per-index state and metrics slot start clean. Throws when all u16 targets are taken.
   */
  private takeConnIndex(): number {
    const requester = this.requester;
    const c = this.connIndexes.acquire(requester !== null ? (i) => requester.hasInFlightTo(i) : undefined);
    this.connUp[c] = false;
    this.connShard[c] = -1;
    this.connHost[c] = -1;
    this.metricsReader?.clearSlot(c);
    return c;
  }

  /** Connection index c is no one's any more (its connection was told to close): off every handle, then back to the pool. */
  private releaseConnIndex(c: number): void {
    for (const states of this.handleConnStates) {
      if (c >= states.length) continue;
      Atomics.store(states, c, 0);
      let retired = this.retiredInHandle.get(states);
      if (retired === undefined) this.retiredInHandle.set(states, (retired = new Set()));
      retired.add(c);
    }
    this.connIndexes.release(c);
  }

  private addressOfConn(conn: number): string {
    const s = this.connSpecs[conn];
    return s === undefined ? 'unknown host' : `${s.host}:${s.port}`;
  }

  private async openConnections(worker: number, specs: ConnectionSpec[]): Promise<ConnectResult[]> {
    const options = this.workerOptions();
    // Each connection's reconnection delays, drawn here: the user's policy cannot be posted (schedule.ts says more).
    for (const spec of specs) spec.reconnectDelays ??= sampleSchedule(this.reconnection);
    const m = await this.workers[worker]!.call<Extract<FromWorker, { type: 'connected' }>>((id) => ({ type: 'connect', id, connections: specs, options }));
    return m.results;
  }

  /** Runs a control query through connection `conn` (the ring path) and returns its rows as plain objects. */
  private async queryRows(conn: number, cql: string): Promise<Array<Record<string, unknown>>> {
    const p = newQueryParameters();
    p.consistency = consistencies.one;
    const w = new ByteWriter(256);
    encodeQuery(w, this.version, cql, p, defaultCodecOptions());
    const body = w.toBuffer();
    const res = await this.requester!.send(this.connWorker[conn]!, conn, opcodes.query, 0, body, body.length, CONTROL_TIMEOUT_MS);
    if (res.opcode === opcodes.error) throw decodeError(res.body, 0, res.body.length, this.version);
    const r = decodeResult(res.body, 0, res.body.length, this.version, defaultCodecOptions(), null);
    if (r.kind !== 2) return [];
    return r.rows.map((row) => ({ ...(row as unknown as Record<string, unknown>) }));
  }

  // ---- the request path -----------------------------------------------------------------------

  /**
   * ScyllaDB: the LWT bit of prepared bind-metadata flags (0 when the cluster sent no
   * SCYLLA_LWT_ADD_METADATA_MARK). A prepared statement is an LWT when (flags >>> 0) & mask === mask.
   */
  get lwtMask(): number {
    return this.lwtMark === null ? 0 : this.lwtMark.mask;
  }

  /** `lwt`: route to the replicas in ring order, primary first, never round robin (LWT, Paxos). */
  send(opcode: number, flags: number, body: Uint8Array, bodyLength: number, timeoutMs: number, tokenHi: number, tokenLo: number, hasToken: boolean, hostIndex: number, lwt = false): Promise<ResponseFrame> {
    const requester = this.requester;
    if (requester === null || !this.connected) {
      return Promise.reject(new DriverError(this.shuttingDown ? 'The client is shut down' : 'The client is not connected'));
    }
    const c = this.route(tokenHi, tokenLo, hasToken, hostIndex, lwt);
    if (c >= 0) {
      // Nothing in flight through the rings, and the last answers came one at a time (not a pause between
      // batches): this request would wait for two thread wake-ups, the lane does not.
      const lane = this.lane;
      if (lane !== null && requester.inFlight === 0 && requester.lastBatch <= 1 && lane.inFlight < lane.maxInFlight) {
        const hs = this.hostStates[this.connHost[c]!]!;
        // ScyllaDB: the lane connection must serve the shard of the connection routing chose (token or tablet).
        const shard = this.sharded && hs.sharder !== null ? hs.shardConns.indexOf(c) : -1;
        if (shard >= 0 || !this.sharded || hs.sharder === null) {
          const p = lane.trySend(hs, shard, opcode, flags, body, bodyLength, timeoutMs);
          if (p !== null) return p;
        }
      }
      return requester.send(this.connWorker[c]!, c, opcode, flags, body, bodyLength, timeoutMs);
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
      const h = table.select(this.activePlans, tokenHi, tokenLo, hasToken, this.hostUsable, primaryFirst);
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
      tokenHi, tokenLo, hasToken, this.hostUsable, start, this.planRr);
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
      if (h < 0 || this.hostUsable[h] !== 1) continue;
      const hs = this.hostStates[h]!;
      const s = shards[r]!;
      if (this.sharded && s < hs.shardConns.length) {
        const c = hs.shardConns[s]!;
        if (c >= 0 && this.connUp[c] === true) return c;
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
      if (h >= 0 && this.hostUsable[h] === 1 && !out.includes(h)) out.push(h);
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
          const s = tt.shards[i]![r]!;
          const c = s < hs.shardConns.length ? hs.shardConns[s]! : -1;
          if (c >= 0 && this.connUp[c] === true) return c;
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
        const c = hs.shardConns[hs.sharder.shardOf(tokenHi, tokenLo)]!;
        if (c >= 0 && this.connUp[c] === true) return c;
      }
    }
    return this.connOfHost(h);
  }

  /** An open connection of host h, round robin over its connections; -1 when none. */
  private connOfHost(h: number): number {
    const hs = this.hostStates[h];
    if (hs === undefined) return -1;
    const conns = hs.conns;
    const n = conns.length;
    for (let j = 0; j < n; j++) {
      const c = conns[(hs.rr + j) % n]!;
      if (this.connUp[c] === true) {
        hs.rr = (hs.rr + j + 1) % n;
        return c;
      }
    }
    return -1;
  }

  async sendToAllHosts(opcode: number, body: Uint8Array, bodyLength: number, timeoutMs: number): Promise<Array<ResponseFrame | Error>> {
    const out: Array<Promise<ResponseFrame | Error>> = [];
    for (let h = 0; h < this.hostStates.length; h++) {
      const hs = this.hostStates[h]!;
      const c = hs.conns.find((x) => this.connUp[x]);
      if (c === undefined) continue;
      out.push(this.requester!.send(this.connWorker[c]!, c, opcode, 0, body, bodyLength, timeoutMs).catch((e: Error) => e));
    }
    return Promise.all(out);
  }

  async setKeyspace(keyspace: string): Promise<void> {
    this.keyspace = keyspace;
    const laneDone = this.lane !== null ? this.lane.setKeyspace(keyspace) : null;
    if (this.routingKeyspace === null) this.setRoutingKeyspace(null);
    const p = newQueryParameters();
    p.consistency = consistencies.one;
    const w = new ByteWriter(256);
    encodeQuery(w, this.version, `USE "${keyspace.replace(/"/g, '""')}"`, p, defaultCodecOptions());
    const body = w.toBuffer();
    const answers = await Promise.all(
      this.workers.map(async (wk) => {
        wk.post({ type: 'set-keyspace', keyspace });
        const m = await wk.call<Extract<FromWorker, { type: 'request-all-done' }>>((id) => ({ type: 'request-all', id, opcode: opcodes.query, body, conns: null }));
        return m.answers;
      }),
    );
    for (const list of answers) {
      for (const a of list) {
        if (a.error !== null) throw reviveError(a.error);
        if (a.opcode === opcodes.error && a.body !== null) {
          const b = Buffer.from(a.body);
          throw decodeError(b, 0, b.length, this.version);
        }
      }
    }
    if (laneDone !== null) await laneDone;
  }

  /** One SASL step of a worker's handshake, answered by the application's AuthProvider on this thread. */
  private onAuthStep(worker: WorkerHandle, m: Extract<FromWorker, { type: 'auth' }>): void {
    const sessions = this.authSessions;
    if (sessions === null) {
      if (m.step !== 'success') worker.post({ type: 'auth-answer', ask: m.ask, token: null, error: { name: 'AuthenticationError', message: 'no AuthProvider', code: null, fields: {} } });
      return;
    }
    sessions.step(worker.index, m.session, m.step, m.address, m.authenticatorClass, m.token).then(
      (token) => {
        if (m.step !== 'success') worker.post({ type: 'auth-answer', ask: m.ask, token, error: null });
      },
      (e: unknown) => {
        if (m.step !== 'success') worker.post({ type: 'auth-answer', ask: m.ask, token: null, error: serializeError(e) });
      },
    );
  }

  // ---- LaneSource (direct-lane.ts) -------------------------------------------------------------

  laneAuthenticator(address: string): Authenticator | null {
    // The same provider the workers' handshakes use (authSessions exists exactly when there is one).
    return this.authSessions !== null ? new ProviderAuthenticator(this.options.authProvider!, address) : null;
  }

  laneOptions(): WorkerConnectionOptions {
    // The lane's connections are opened on this thread: the user's sslOptions as given, functions included.
    return { ...this.workerOptions(), tls: this.options.sslOptions, remoteServerIdentity: false };
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
    this.connSpecs[c] = { conn: c, host: hs.ip, port: hs.port, localPort: null, servername: hs.servername };
    this.connWorker[c] = -1;
    this.connHost[c] = hs.index;
    this.connUp[c] = false;
    return c;
  }

  laneLog(level: 'info' | 'warning', message: string): void {
    this.emit('log', level, message);
  }

  // ---- worker events ----------------------------------------------------------------------------

  onMessage(worker: WorkerHandle, m: FromWorker): void {
    switch (m.type) {
      case 'auth':
        this.onAuthStep(worker, m);
        return;
      case 'tls-check': {
        const tlsOpts = this.options.sslOptions;
        const verdict = tlsOpts !== null ? checkServerIdentityFor(tlsOpts, m.hostname, m.cert) : null;
        worker.post({ type: 'tls-check-answer', ask: m.ask, error: verdict === null ? null : serializeError(verdict) });
        return;
      }
      case 'connection-state':
        if (m.up && m.shard >= 0) this.placeShard(m.conn, m.shard);
        this.setConnUp(m.conn, m.up);
        return;
      case 'event':
        this.emit('event', m.event as CqlEvent);
        if (!this.shuttingDown) this.onServerEvent(m.event as CqlEvent);
        return;
      case 'log':
        this.emit('log', m.level, m.message);
        return;
      default:
        return;
    }
  }

  /**
   * ScyllaDB: a reconnected connection serves the shard the server says, which on the plain port (no
   * shard-aware port, or the source port was taken) need not be the one it served before. Its old shard slot
   * is freed and it takes the new one if that is free; otherwise it stays an extra connection of the host.
   */
  private placeShard(conn: number, shard: number): void {
    const h = this.connHost[conn];
    if (h === undefined || h < 0) return;
    this.connShard[conn] = shard;
    const hs = this.hostStates[h]!;
    const sc = hs.shardConns;
    if (hs.sharder === null || shard >= sc.length || sc[shard] === conn) return;
    let freed = -1;
    for (let s = 0; s < sc.length; s++) {
      if (sc[s] === conn) {
        sc[s] = -1;
        freed = s;
      }
    }
    if (sc[shard] === -1 || this.connUp[sc[shard]!] !== true) sc[shard] = conn;
    else this.emit('log', 'info', `connection ${conn} to ${hs.address} reconnected on shard ${shard}, which has a connection: kept as an extra one`);
    if (freed >= 0 && !this.adoptExtraConn(hs, freed)) this.scheduleShardRefill(hs);
    else this.dropExtraConns(hs);
  }

  /**
   * Once every shard slot of hs has a connection, connections in no slot (reconnected onto a shard that had
   * one) are closed: without this each such reconnection, followed by the refill of the slot it left, would
   * leave the host one connection more, for good. The control connection is left alone (it moves on its own).
   */
  private dropExtraConns(hs: HostState): void {
    const sc = hs.shardConns;
    if (hs.sharder === null || sc.includes(-1)) return;
    const extra = hs.conns.filter((c) => sc.indexOf(c) < 0 && c !== this.controlConn);
    if (extra.length === 0) return;
    const hsStates = this.handleConnStates;
    for (const c of extra) {
      for (let i = 0; i < hsStates.length; i++) if (c < hsStates[i]!.length) Atomics.store(hsStates[i]!, c, 0);
    }
    this.dropConns(extra);
  }

  /** An open extra connection of hs (in no shard slot) serving `shard` takes the empty slot; false when none. */
  private adoptExtraConn(hs: HostState, shard: number): boolean {
    const sc = hs.shardConns;
    for (const c of hs.conns) {
      if (this.connShard[c] === shard && this.connUp[c] === true && sc.indexOf(c) < 0) {
        sc[shard] = c;
        return true;
      }
    }
    return false;
  }

  /**
   * A shard slot of hs lost its connection (it reconnected on another shard): requests for that shard fall
   * back to other connections until a replacement is open. Opens one as the initial connect does
   * (connectShards: the shard-aware port when the host has one, else a bounded number of plain-port tries),
   * after the reconnection policy's first delay (other reconnections of a burst may fill the slot first), then after
   * its next ones while a slot stays empty and the host is up. Logs once per episode.
   */
  private scheduleShardRefill(hs: HostState): void {
    if (this.shuttingDown || this.shardRefills.has(hs)) return;
    this.shardRefills.add(hs);
    const missing: number[] = [];
    hs.shardConns.forEach((c, s) => c < 0 && missing.push(s));
    this.emit('log', 'info', `host ${hs.address}: shard(s) ${missing.join(', ')} lost their connection (it reconnected on another shard); opening a replacement`);
    const schedule = new ReconnectionSchedule(this.reconnection);
    setTimeout(() => void this.refillShards(hs, schedule), schedule.next()).unref();
  }

  private async refillShards(hs: HostState, schedule: ReconnectionSchedule): Promise<void> {
    const sc = hs.shardConns;
    const live = !this.shuttingDown && this.connected && hs.up && hs.sharder !== null && this.hostStates.indexOf(hs) >= 0;
    if (live) {
      for (let s = 0; s < sc.length; s++) if (sc[s]! < 0) this.adoptExtraConn(hs, s);
      if (sc.includes(-1)) {
        try {
          if (await this.connectShards(hs, true) > 0 && this.requester !== null) this.requester.targetHost = Int32Array.from(this.connHost);
        } catch {
          // A failed attempt is retried below.
        }
      }
    }
    // A host that went down re-places its shards as its connections come back (placeShard).
    if (!live || !sc.includes(-1) || this.shuttingDown || !hs.up) {
      this.shardRefills.delete(hs);
      if (live) this.dropExtraConns(hs);
      return;
    }
    setTimeout(() => void this.refillShards(hs, schedule), schedule.next()).unref();
  }

  /** A connection opened or closed: host state (hostUp / hostDown), routing marks, control failover. */
  private setConnUp(conn: number, up: boolean): void {
    this.connUp[conn] = up;
    // Handles route by these marks too (remote-engine.ts): keep theirs live.
    const hsStates = this.handleConnStates;
    for (let i = 0; i < hsStates.length; i++) {
      const states = hsStates[i]!;
      if (conn < states.length && this.retiredInHandle.get(states)?.has(conn) !== true) Atomics.store(states, conn, up ? 1 : 0);
    }
    const h = this.connHost[conn];
    if (h === undefined || h < 0) return;
    const hs = this.hostStates[h]!;
    const open = hs.conns.some((c) => this.connUp[c] === true);
    this.hostUsable[h] = open ? 1 : 0;
    if (open !== hs.up) {
      hs.up = open;
      if (this.connected && !this.shuttingDown) this.emit(open ? 'hostUp' : 'hostDown', hs);
    }
    if (!this.connected || this.shuttingDown) return;
    if (!up && conn === this.controlConn) {
      this.controlConn = -1;
      this.emit('log', 'warning', `control connection to ${this.addressOfConn(conn)} lost; electing another`);
      void this.electControl(h);
    } else if (up && this.controlConn < 0) {
      void this.electControl(-1);
    }
  }

  onExit(worker: WorkerHandle, error: Error): void {
    if (this.shuttingDown) return;
    const err = new DriverError(`shard worker ${worker.index} stopped: ${error.message}`);
    const failed = this.requester?.failWorker(worker.index, err) ?? 0;
    // Handle threads fail what they sent it, too (remote-engine.ts); restartWorker gives them new rings.
    const gen = this.workerGens[worker.index] ?? 0;
    this.workerGens[worker.index] = gen + 1;
    this.postHandles({ type: 'worker-down', worker: worker.index, gen, message: err.message });
    this.emit('log', 'error', `${err.message}; ${failed} request(s) failed; restarting it`);
    for (let c = 0; c < this.connWorker.length; c++) if (this.connWorker[c] === worker.index && this.connUp[c] === true) this.setConnUp(c, false);
    void this.restartWorker(worker.index);
  }

  private async restartWorker(index: number): Promise<void> {
    if (this.shuttingDown || this.requester === null) return;
    // The doorbell is kept: handles made before the crash reach the new worker through it. Whatever state the
    // dead thread left it in is safe: the new worker stores SLEEPING and re-checks its rings before it waits,
    // a ring() meanwhile only flips it to AWAKE, and V8 dropped the dead thread's waiter with the thread.
    const bell = this.workerBells[index]!;
    const rings = createWorkerRings(bell);
    this.requester.replaceWorker(index, rings);
    // Fresh rings for every handle thread: the old ones may hold half-read records.
    const handleRings: RequesterRings[] = [];
    const byToken: Record<string, WorkerRings> = {};
    for (const [token, hr] of this.handleRequesters) {
      const r = createWorkerRings(bell, HANDLE_RING_BYTES);
      byToken[token] = r;
      handleRings.push({ requester: hr.index, requests: r.requests, responses: r.responses, responseBell: hr.responseBell });
    }
    const w = this.startWorker(index, rings, handleRings);
    this.workers[index] = w;
    this.postHandles({ type: 'worker-up', worker: index, gen: this.workerGens[index] ?? 0, rings: byToken });
    try {
      await w.started;
      // Connections of removed hosts stay gone.
      const specs = this.connSpecs.filter((_s, c) => this.connWorker[c] === index && (this.connHost[c] ?? -1) >= 0);
      const results = await this.openConnections(index, specs);
      for (const r of results) this.setConnUp(r.conn, r.ok);
      this.emit('log', 'info', `shard worker ${index} restarted with ${results.filter((r) => r.ok).length}/${results.length} connection(s)`);
    } catch (e) {
      this.emit('log', 'error', `shard worker ${index} restart failed: ${(e as Error).message}`);
    }
  }

  /**
   * A handle up to `threads` other threads may use at once (see remote-engine.ts): each thread makes its own
   * rings when it takes the handle and gives them back when its client shuts down or the thread ends, so
   * handles cost nothing until used and can be made without bound. The routing snapshot is taken now; a
   * request the snapshot sends to a connection that has since closed is moved by the worker to another
   * connection of the same host, or fails with NoHostAvailableError.
   */
  async createHandle(threads = 16): Promise<EngineHandle> {
    await this.connect();
    if (!Number.isInteger(threads) || threads < 1) throw new core.ArgumentError('createHandle: threads must be an integer >= 1');
    if (this.shuttingDown) throw new DriverError('The client is shut down');
    this.openHandleChannel();
    const ringEntries: Array<[string, number]> = [];
    if (this.murmur3) {
      this.hostStates.forEach((h, i) => {
        if (h.local) for (const t of h.tokens) ringEntries.push([t, i]);
      });
    }
    return {
      kind: 'shardcql-engine-handle',
      protocolVersion: this.version,
      keyspace: this.keyspace,
      id: `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
      channel: this.handleChannelName,
      ownerState: this.handleState,
      workerBells: this.workerBells.slice(),
      ringBytes: HANDLE_RING_BYTES,
      threads,
      claimed: new SharedArrayBuffer(4),
      hosts: this.hostStates.map((h) => ({ address: h.address, datacenter: h.datacenter, rack: h.rack, hostId: h.hostId, cassandraVersion: h.cassandraVersion, tokens: h.tokens.slice(), up: h.up })),
      hostConns: this.hostStates.map((h) => h.conns.slice()),
      connWorker: this.connWorker.slice(),
      connState: this.handleConnState().buffer as SharedArrayBuffer,
      ringEntries: ringEntries.length > 0 ? ringEntries : null,
      plans: this.activePlans !== null && this.activePlans.size > 0 ? this.activePlans.toSharedBuffer() : null,
      sharding: this.hostStates.map((h) => (h.sharder !== null ? [h.sharder.nrShards, h.sharder.ignoreMsb] as [number, number] : null)),
      shardConns: this.hostStates.map((h) => Array.from(h.shardConns)),
    };
  }

  /** Handle threads holding a requester now (for tests and diagnostics). */
  get handleThreadCount(): number {
    return this.handleRequesters.size;
  }

  /** Requester indexes ever given to handle threads (released ones are reused first); for tests. */
  get handleRequesterHighWater(): number {
    return this.nextRequester - 1;
  }

  /**
   * The connection states handles read: the last array, or a new one (twice as large) when it is too small or
   * has retired indexes: those stay 0 for the handles made before their index was released, and a handle made
   * now must see the connection that reuses such an index.
   */
  private handleConnState(): Int32Array {
    const last = this.handleConnStates[this.handleConnStates.length - 1];
    if (last !== undefined && last.length >= this.connWorker.length && (this.retiredInHandle.get(last)?.size ?? 0) === 0) return last;
    const states = new Int32Array(new SharedArrayBuffer(4 * Math.max(64, 2 * this.connWorker.length)));
    for (let c = 0; c < this.connWorker.length; c++) states[c] = this.connUp[c] === true ? 1 : 0;
    this.handleConnStates.push(states);
    return states;
  }

  private openHandleChannel(): void {
    if (this.handleChannel !== null) return;
    const ch = new BroadcastChannel(this.handleChannelName) as UnrefChannel;
    // Handles never keep the owner's process alive; its own requests and connections decide.
    ch.unref();
    ch.onmessage = (e: MessageEvent) => this.onHandleMessage(e.data as HandleMessage);
    this.handleChannel = ch;
  }

  private postHandles(m: HandleMessage): void {
    this.handleChannel?.postMessage(m);
  }

  private onHandleMessage(m: HandleMessage): void {
    if (m.type === 'release') {
      const hr = this.handleRequesters.get(m.token);
      if (hr !== undefined) this.releaseRequester(m.token, hr);
      return;
    }
    if (m.type !== 'claim' || this.shuttingDown || this.handleRequesters.has(m.token)) return;
    if (m.workers.length !== this.workers.length) {
      this.postHandles({ type: 'refused', token: m.token, message: `the handle has rings for ${m.workers.length} shard workers, the client has ${this.workers.length}` });
      return;
    }
    let index = this.takeRequesterIndex();
    if (index < 0) {
      this.probeHandles();
      index = this.takeRequesterIndex();
    }
    if (index < 0) {
      this.postHandles({ type: 'refused', token: m.token, message: `this client already serves ${DROPPED_REQUESTER - 1} handle threads; shut down the clients of threads that no longer need theirs` });
      return;
    }
    const live = new Int32Array(m.live);
    this.handleRequesters.set(m.token, { index, responseBell: m.responseBell, probe: new LivenessProber(live, THREAD_CELL), waiter: new LivenessWaiter(live, OWNER_CELL), claimed: new Int32Array(m.claimed) });
    // A worker that died and has not been replaced yet: restartWorker gives this requester fresh rings.
    this.workers.forEach((w, i) => w.post({ type: 'add-requester', rings: { requester: index, requests: m.workers[i]!.requests, responses: m.workers[i]!.responses, responseBell: m.responseBell } }));
    this.postHandles({ type: 'claimed', token: m.token, gens: this.workerGens.slice() });
    if (this.probeTimer === null) {
      this.probeTimer = setInterval(() => this.probeHandles(), HANDLE_PROBE_MS);
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
    this.handleRequesters.delete(token);
    hr.waiter.stop();
    for (const w of this.workers) w.post({ type: 'remove-requester', requester: hr.index });
    this.freeRequesters.push(hr.index);
    if (this.handleRequesters.size === 0 && this.probeTimer !== null) {
      clearInterval(this.probeTimer);
      this.probeTimer = null;
    }
  }

  /** Releases the requesters of handle threads that ended without saying so (terminate(), as piscina does). */
  private probeHandles(): void {
    for (const [token, hr] of this.handleRequesters) {
      if (hr.probe.probe()) continue;
      Atomics.sub(hr.claimed, 0, 1);
      this.emit('log', 'info', `a thread using a handle of this client ended without shutting its client down; its requester ${hr.index} is released`);
      this.releaseRequester(token, hr);
    }
  }

  /** Handles stop at once: in-flight requests fail, later ones too, threads that claim later see the flag. */
  private closeHandles(): void {
    Atomics.store(new Int32Array(this.handleState), 0, 1);
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
    for (const hr of this.handleRequesters.values()) hr.waiter.stop();
    this.handleRequesters.clear();
    const ch = this.handleChannel;
    this.handleChannel = null;
    if (ch === null) return;
    const m: HandleMessage = { type: 'owner-shutdown' };
    ch.postMessage(m);
    ch.close();
  }

  /**
   * One object per open (or reconnecting) connection, i.e. per (host, shard, worker), read from the
   * workers' shared metrics buffer without a message; allocates only the returned objects.
   */
  getShardMetrics(): ShardMetrics[] {
    const out: ShardMetrics[] = [];
    const r = this.metricsReader;
    if (r === null) return out;
    for (let c = 0; c < this.connSpecs.length; c++) {
      const h = this.connHost[c] ?? -1;
      if (h < 0) continue;
      const m = r.read(c, this.hostStates[h]!.address);
      if (m !== null) out.push(m);
    }
    return out;
  }

  /** For tests: makes a worker thread throw an uncaught exception. */
  crashWorkerForTest(index: number): void {
    this.workers[index]?.post({ type: 'crash-for-test' });
  }

  // ---- shutdown --------------------------------------------------------------------------------

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.closeHandles();
    this.scheduler.stop();
    if (this.connecting !== null) await this.connecting.catch(() => undefined);
    const requester = this.requester;
    // In-flight requests finish first (bounded by the longest client timeout), then the workers close.
    const deadline = Date.now() + 15_000;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (this.lane !== null) await this.lane.close();
    this.connected = false;
    await Promise.all(
      this.workers.map((w) =>
        w.alive ? w.call((id) => ({ type: 'shutdown', id, graceMs: 5000 })).catch(() => undefined) : Promise.resolve(),
      ),
    );
    requester?.close(new DriverError('The client was shut down before the request completed'));
    await this.stopWorkers();
  }

  private async stopWorkers(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

function newHostState(t: TopologyHost, local: boolean, servername: string | null): HostState {
  return {
    servername,
    address: t.address,
    ip: t.ip,
    port: t.port,
    datacenter: t.datacenter,
    rack: t.rack,
    hostId: t.hostId,
    cassandraVersion: t.cassandraVersion,
    tokens: t.tokens,
    up: !local,
    conns: [],
    rr: 0,
    local,
    sharder: null,
    shardConns: new Int32Array(0),
    shardAwarePort: 0,
    index: -1,
    lane: null,
    laneSlot: -1,
  };
}

/** Records a host's sharding; `conn` is the connection that read it (it serves info.shard). */
function applySharding(hs: HostState, info: ShardingInfo, conn: number): void {
  hs.sharder = info.sharder;
  hs.shardAwarePort = info.shardAwarePort;
  hs.shardConns = new Int32Array(info.sharder.nrShards).fill(-1);
  hs.shardConns[info.shard] = conn;
}

function isAuthError(e: SerializedError | null): boolean {
  return e !== null && e.name === 'AuthenticationError';
}

/** Rebuilds a worker's error on this side with its class name and fields, so `instanceof` checks keep working. */
export function reviveError(e: SerializedError | null): Error {
  if (e === null) return new DriverError('unknown error');
  const err = makeTyped(e);
  const out = err as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(e.fields)) {
    if (k !== 'message' && k !== 'name' && k !== 'stack') out[k] = v;
    // A socket's own error (node's SystemError: errno, code, syscall, ...): `code` back in its place.
    if (k === 'errno' && e.code !== null) out['code'] = e.code;
  }
  if (e.code !== null && out['code'] === undefined && e.name !== 'ResponseError') out['code'] = e.code;
  return err;
}

function makeTyped(e: SerializedError): Error {
  switch (e.name) {
    case 'ResponseError':
      return new core.ResponseError(typeof e.code === 'number' ? e.code : 0, e.message);
    case 'AuthenticationError':
      return new core.AuthenticationError(e.message);
    case 'OperationTimedOutError':
      return new core.OperationTimedOutError(e.message);
    case 'NotSupportedError':
      return new core.NotSupportedError(e.message);
    case 'DriverInternalError':
    case 'CodecError':
      return new core.DriverInternalError(e.message);
    case 'Error':
      return new Error(e.message);
    default:
      return new DriverError(e.message);
  }
}
