/**
 * The cluster as the engine sees it through its control connection: the first connection (it negotiates the
 * protocol version and becomes the control connection), the topology and replication refreshes (debounced,
 * topology/refresh.ts), REGISTER and the server events, control connection failover, and the schema agreement
 * check (the one every caller uses: the client after DDL, metadata.checkSchemaAgreement).
 */
import {
  ArgumentError,
  ByteWriter,
  DriverError,
  NoHostAvailableError,
  consistencies,
  decodeError,
  decodeResult,
  defaultCodecOptions,
  encodeQuery,
  encodeRegister,
  newQueryParameters,
  opcodes,
  type CqlEvent,
  type ReplicationStrategy,
} from '@shardcql/core';
import type { ConnectResult, ConnectionSpec } from '@shardcql/shard-worker';
import type { EngineState } from '../engine-state';
import { applySharding, newHostState, type HostState } from '../host-state';
import { isAuthError, reviveError } from '../revive-error';
import {
  KEYSPACES_QUERY,
  LOCAL_QUERY,
  LOCAL_SCHEMA_QUERY,
  PEERS_QUERY,
  PEERS_SCHEMA_QUERY,
  PEERS_V2_QUERY,
  PEERS_V2_SCHEMA_QUERY,
  REFRESH_KEYSPACES,
  REFRESH_TOPOLOGY,
  RefreshScheduler,
  parseKeyspaceRows,
  parseLwtMark,
  parseSharding,
  parseTopologyRows,
  refreshFor,
  schemaVersionsAgree,
  waitForAgreement,
  type ParsedTopology,
} from '../topology';
import { findContactPoints, type ContactPoints } from './contact-points';
import { HostMerge } from './host-merge';
import { EngineRequest } from '../request';

const CONTROL_TIMEOUT_MS = 12_000;
/** Events come in bursts (NEW_NODE then UP; one SCHEMA_CHANGE per DDL per node): one refresh per window. */
const REFRESH_WINDOW_MS = 1000;

type Rows = Array<Record<string, unknown>>;

export class Cluster {
  /** The control connection's index (-1 while there is none). */
  controlConn = -1;
  private electing = false;
  readonly scheduler: RefreshScheduler;
  localDc: string | null = null;
  murmur3 = false;
  peersV2: boolean | null = null;
  /** Connections each local host gets (not sharded). */
  perHost = 1;
  /** Keyspace replication, by keyspace name (system_schema.keyspaces). */
  strategies = new Map<string, ReplicationStrategy>();
  /** "ip:port" -> the host name of the contact point that resolved to it. */
  private readonly hostNames = new Map<string, string>();

  constructor(private readonly e: EngineState) {
    this.scheduler = new RefreshScheduler(
      REFRESH_WINDOW_MS,
      (what) => this.refresh(what),
      (err) => {
        if (!e.shuttingDown) e.log('warning', `topology refresh failed: ${err.message}`);
      },
    );
  }

  /** The control connection's host index (-1 while there is none). */
  get controlHostIndex(): number {
    return this.controlConn < 0 ? -1 : this.e.connTable.hostOf(this.controlConn);
  }

  /** Resolves and probes the contact points (contact-points.ts). */
  contactPoints(): Promise<ContactPoints> {
    return findContactPoints(this.e, this.hostNames);
  }

  /**
   * The first connection, in worker 0, to the contact point that passed (the next ones if it fails now): it
   * negotiates the protocol version and becomes the control connection (index 0), of a provisional host the
   * topology refresh fills in (it matches by address).
   */
  async openFirst(cps: ContactPoints): Promise<void> {
    const e = this.e;
    const first = await this.firstConnection(cps);
    e.version = first.result.protocolVersion;
    const spec = first.spec;
    e.hostStates = [
      newHostState(
        {
          address: `${spec.host}:${spec.port}`,
          ip: spec.host,
          port: spec.port,
          datacenter: null,
          rack: null,
          hostId: null,
          cassandraVersion: null,
          tokens: [],
          schemaVersion: null,
        },
        true,
        spec.servername ?? null,
      ),
    ];
    const hs = e.hostStates[0]!;
    hs.index = 0;
    e.connTable.setHostCount(1);
    e.connTable.add(0, 0, 0, spec);
    e.connTable.setUp(0, true);
    hs.up = true;
    this.controlConn = 0;
    const supported = first.result.supported;
    const sharding = parseSharding(supported);
    if (sharding !== null) {
      e.sharded = true;
      applySharding(e.connTable, 0, hs, sharding, 0);
    }
    e.lwtMark = parseLwtMark(supported);
    // ScyllaDB tablets: ask for tablets-routing-v1 payloads when the server offers them (protocol-extensions.md).
    e.tabletsRouting = supported?.['TABLETS_ROUTING_V1'] !== undefined;
  }

  private async firstConnection(cps: ContactPoints): Promise<{ spec: ConnectionSpec; result: ConnectResult }> {
    const e = this.e;
    const inner = cps.inner;
    // The first connection (the control connection) gets index 0 (what follows relies on it); a new connect
    // after a failed one starts over, with new workers.
    const firstConn = e.resetConnIndexes();
    for (let i = cps.start; i < cps.targets.length; i++) {
      const { host, port, servername } = cps.targets[i]!;
      const spec: ConnectionSpec = { conn: firstConn, host, port, localPort: null, servername };
      const r = (await e.workers.openConnections(0, [spec]))[0]!;
      if (r.ok) return { spec, result: r };
      const err = (inner[`${host}:${port}`] = reviveError(r.error));
      // Worker 0 keeps a failed connection's slot and retries it: the next contact point gets index 0 afresh,
      // or the worker would go on reconnecting to this one under the index of the one that answers.
      e.workers.closeConns(0, [firstConn]);
      if (isAuthError(r.error)) throw err;
      // The session keyspace refused (USE): the server's error itself, as cassandra-driver (client.js _connect).
      if (e.keyspace !== null && r.error?.name === 'ResponseError' && (r.error.code === 0x2200 || r.error.code === 0x2000)) throw err;
    }
    throw new NoHostAvailableError(inner);
  }

  /** REGISTER on connection `conn` (section 4.1.8): events then arrive on it. */
  async register(conn: number): Promise<void> {
    const e = this.e;
    const w = new ByteWriter(128);
    encodeRegister(w, ['TOPOLOGY_CHANGE', 'STATUS_CHANGE', 'SCHEMA_CHANGE']);
    const body = w.toBuffer();
    const answers = await e.workers.requestAll(e.workers.list[e.connTable.workerOf(conn)]!, opcodes.register, body, [conn]);
    const a = answers[0];
    if (a === undefined || a.error !== null) throw reviveError(a?.error ?? null);
    if (a.opcode === opcodes.error && a.body !== null) {
      const b = Buffer.from(a.body);
      throw decodeError(b, 0, b.length, e.version);
    }
  }

  // ---- topology -------------------------------------------------------------------------------

  /** One refresh (REFRESH_* mask) through the control connection, then a new routing table. */
  async refresh(what: number): Promise<void> {
    const conn = this.controlConn;
    if (conn < 0) throw new DriverError('no control connection');
    if ((what & REFRESH_TOPOLOGY) !== 0) await this.refreshTopology(conn);
    if ((what & REFRESH_KEYSPACES) !== 0) {
      try {
        const parsed = parseKeyspaceRows(await this.queryRows(conn, KEYSPACES_QUERY));
        for (const p of parsed.problems) this.e.log('warning', p);
        this.strategies = parsed.strategies;
      } catch (err) {
        // Without replication data, requests still go to the token's owner; never fail a refresh for it.
        this.e.log('warning', `keyspace replication not read: ${(err as Error).message}`);
      }
    }
    this.e.rebuildTable();
  }

  private async refreshTopology(conn: number): Promise<void> {
    const local = await this.queryRows(conn, LOCAL_QUERY);
    let peers: Rows;
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
    const spec = this.e.connTable.specOf(conn)!;
    const parsed = parseTopologyRows(local[0], peers, this.peersV2, spec, this.e.options.port);
    for (const p of parsed.problems) this.e.log('warning', p);
    if (this.localDc === null) this.chooseLocalDc(parsed, `${spec.host}:${spec.port}`);
    this.murmur3 = (parsed.partitioner ?? '').endsWith('Murmur3Partitioner');
    await this.mergeHosts(parsed.hosts);
  }

  /** The first topology read: the local datacenter (the option's, else the first host's). */
  private chooseLocalDc(parsed: ParsedTopology, address: string): void {
    const o = this.e.options;
    const required = o.requiredDataCenter ?? null;
    if (required !== null && !this.e.connected && !parsed.hosts.some((h) => h.datacenter === required)) {
      // What the contact-point probe reports (contact-probe.ts), when there was none (a custom AuthProvider).
      const dcs = [...new Set(parsed.hosts.map((h) => h.datacenter))].join(', ');
      throw new NoHostAvailableError({
        [address]: new ArgumentError(`localDataCenter was configured as '${required}', but only found hosts in data centers: [${dcs}]`),
      });
    }
    this.localDc = o.localDataCenter ?? parsed.hosts[0]!.datacenter;
    if (o.localDataCenter !== null && !parsed.hosts.some((h) => h.datacenter === this.localDc)) {
      this.e.log('warning', `localDataCenter ${this.localDc} matches no host's data_center`);
    }
  }

  /** Applies a fresh host list (host-merge.ts). */
  mergeHosts(fresh: Parameters<HostMerge['apply']>[0]): Promise<void> {
    return new HostMerge(this.e, this.localDc, this.hostNames, this.perHost).apply(fresh);
  }

  // ---- events and the control connection ------------------------------------------------------

  onServerEvent(event: CqlEvent): void {
    if (event.type === 'STATUS_CHANGE') {
      for (const hs of this.e.hostStates) {
        if (hs.ip !== event.address) continue;
        if (!hs.local) {
          // No connections to watch: the server's word is all there is.
          const up = event.change === 'UP';
          if (hs.up !== up) {
            hs.up = up;
            this.e.emit(up ? 'hostUp' : 'hostDown', hs);
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
    const e = this.e;
    const byWorker = new Map<number, number[]>();
    for (const c of e.connTable.connsOf(e.hostStates.indexOf(hs))) {
      if (e.connTable.isUp(c)) continue;
      const w = e.connTable.workerOf(c);
      let list = byWorker.get(w);
      if (list === undefined) byWorker.set(w, (list = []));
      list.push(c);
    }
    for (const [w, conns] of byWorker) e.workers.post(w, { type: 'reconnect-now', conns });
  }

  /** Connection `conn` of host `h` opened or closed (after connect): control failover. */
  onConnState(conn: number, up: boolean, h: number): void {
    if (!up && conn === this.controlConn) {
      this.controlConn = -1;
      this.e.log('warning', `control connection to ${this.e.addressOfConn(conn)} lost; electing another`);
      void this.electControl(h);
    } else if (up && this.controlConn < 0) {
      void this.electControl(-1);
    }
  }

  /** Picks a new control connection among the open ones (another host first), registers, refreshes. */
  private async electControl(failedHost: number): Promise<void> {
    const e = this.e;
    if (this.electing || e.shuttingDown) return;
    this.electing = true;
    try {
      while (this.controlConn < 0 && !e.shuttingDown) {
        const c = this.pickControlCandidate(failedHost);
        if (c < 0) return; // the next connection that opens calls us again
        try {
          await this.register(c);
        } catch (err) {
          e.log('warning', `control connection candidate ${e.addressOfConn(c)} failed: ${(err as Error).message}`);
          failedHost = e.connTable.setUp(c, false);
          continue;
        }
        // It may have closed while REGISTER was in flight (its 'down' found no control to fail over).
        if (!e.connTable.isUp(c)) continue;
        this.controlConn = c;
        e.log('info', `control connection moved to ${e.addressOfConn(c)}`);
        // Events were missed while there was no control connection: read everything again.
        await this.scheduler.now(REFRESH_TOPOLOGY | REFRESH_KEYSPACES);
      }
    } finally {
      this.electing = false;
    }
  }

  private pickControlCandidate(avoidHost: number): number {
    const e = this.e;
    let fallback = -1;
    const table = e.connTable;
    for (let h = 0; h < e.hostStates.length; h++) {
      for (let j = 0; j < table.connCountOf(h); j++) {
        const c = table.connOf(h, j);
        if (!table.isUp(c)) continue;
        if (h !== avoidHost) return c;
        if (fallback < 0) fallback = c;
      }
    }
    return fallback;
  }

  /** Runs a control query through connection `conn` (the ring path) and returns its rows as plain objects. */
  private async queryRows(conn: number, cql: string): Promise<Rows> {
    const e = this.e;
    const p = newQueryParameters();
    p.consistency = consistencies.one;
    const w = new ByteWriter(256);
    encodeQuery(w, e.version, cql, p, defaultCodecOptions());
    const body = w.toBuffer();
    const res = await e.requester!.send(
      e.connTable.workerOf(conn),
      conn,
      EngineRequest.of(opcodes.query, body, body.length, CONTROL_TIMEOUT_MS),
    );
    if (res.opcode === opcodes.error) throw decodeError(res.body, 0, res.body.length, e.version);
    const r = decodeResult(res.body, 0, res.body.length, e.version, defaultCodecOptions(), null);
    if (r.kind !== 2) return [];
    return r.rows.map((row) => ({ ...(row as unknown as Record<string, unknown>) }));
  }

  // ---- schema agreement -----------------------------------------------------------------------

  /**
   * One check through the control connection: every up host reports the same schema_version (system.local
   * and system.peers). false when they do not, when there is no control connection, or when the check fails.
   */
  async checkSchemaAgreement(): Promise<boolean> {
    const conn = this.controlConn;
    if (conn < 0 || !this.e.connected) return false;
    const hosts = this.e.hostStates;
    const isUp = (ip: string): boolean => {
      for (const hs of hosts) if (hs.ip === ip) return hs.up;
      return false;
    };
    try {
      const local = await this.queryRows(conn, LOCAL_SCHEMA_QUERY);
      const peers = await this.queryRows(conn, this.peersV2 === true ? PEERS_V2_SCHEMA_QUERY : PEERS_SCHEMA_QUERY);
      return schemaVersionsAgree(local[0], peers, this.peersV2 === true, isUp);
    } catch (err) {
      this.e.log('verbose', `schema agreement check failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** checkSchemaAgreement every 200 ms until it holds (true) or `maxWaitMs` passes (false). Never rejects. */
  waitForSchemaAgreement(maxWaitMs: number): Promise<boolean> {
    return waitForAgreement(() => this.checkSchemaAgreement(), maxWaitMs);
  }
}
