/**
 * The sharded engine: worker threads own the connections; this thread only routes and settles.
 *
 * connect(): start the workers, open a first connection to a contact point (in worker 0), read the
 * topology through it (system.local, system.peers_v2 or system.peers), then give every worker one
 * connection per host of the local datacenter (connection c of host h lives in worker (h + c) % W),
 * and build the routing table: token -> host (TokenRing) -> that host's connections, round robin.
 */
import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import { availableParallelism } from 'node:os';
import {
  ByteWriter,
  Doorbell,
  DriverError,
  NoHostAvailableError,
  TokenRing,
  opcodes,
  encodeQuery,
  encodeRegister,
  decodeResult,
  decodeError,
  defaultCodecOptions,
  newQueryParameters,
  consistencies,
  type CqlEvent,
} from '@shardcql/core';
import type { ConnectResult, ConnectionSpec, FromWorker, WorkerConnectionOptions, SerializedError, RequesterRings } from '@shardcql/shard-worker';
import { ResponseFrame, type Engine, type EngineHost, type EngineOptions } from './engine';
import { RingRequester, createWorkerRings, type RequesterDescriptor, type WorkerRings } from './ring-requester';
import { WorkerHandle, type WorkerHandleEvents } from './worker-handle';

const CONTROL_TIMEOUT_MS = 12_000;

interface HostState extends EngineHost {
  port: number;
  ip: string;
  /** Engine-wide connection indexes of this host. */
  conns: number[];
  rr: number;
}

export class ShardedEngine extends EventEmitter implements Engine, WorkerHandleEvents {
  private workers: WorkerHandle[] = [];
  private requester: RingRequester | null = null;
  private descriptor: RequesterDescriptor | null = null;
  private workerBells: SharedArrayBuffer[] = [];
  private hostStates: HostState[] = [];
  private connWorker: number[] = [];
  private connHost: number[] = [];
  private connUp: boolean[] = [];
  private connSpecs: ConnectionSpec[] = [];
  private ring: TokenRing | null = null;
  private rrHost = 0;
  private connecting: Promise<void> | null = null;
  private shuttingDown = false;
  private version = 0;
  private keyspace: string | null;
  private readonly writer = new ByteWriter(4096);
  connected = false;

  constructor(private readonly options: EngineOptions) {
    super();
    this.keyspace = options.keyspace;
  }

  get protocolVersion(): number {
    return this.version;
  }

  get hosts(): readonly EngineHost[] {
    return this.hostStates;
  }

  get inFlight(): number {
    return this.requester === null ? 0 : this.requester.inFlight;
  }

  get workerCount(): number {
    return this.workers.length;
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.shuttingDown) return Promise.reject(new DriverError('The client is shut down'));
    if (this.connecting === null) {
      this.connecting = this.doConnect().then(
        () => {
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

  private workerOptions(): WorkerConnectionOptions {
    const o = this.options;
    const startup: Record<string, string> = { CQL_VERSION: '3.0.0', DRIVER_NAME: 'shardcql', DRIVER_VERSION: '0.1.0' };
    if (o.applicationName !== null) startup['APPLICATION_NAME'] = o.applicationName;
    if (o.applicationVersion !== null) startup['APPLICATION_VERSION'] = o.applicationVersion;
    if (o.clientId !== null) startup['CLIENT_ID'] = o.clientId;
    return {
      maxProtocolVersion: this.version === 0 ? o.maxProtocolVersion : (this.version as 4 | 5),
      keyspace: this.keyspace,
      connectTimeoutMs: o.connectTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      coalescingThreshold: o.coalescingThreshold,
      compression: o.compression,
      credentials: o.credentials,
      tls: o.sslOptions,
      startupOptions: startup,
      reconnectDelayMs: 1000,
      maxReconnectDelayMs: 60_000,
    };
  }

  private startWorker(index: number, rings: WorkerRings): WorkerHandle {
    const d = this.descriptor!;
    const mine: RequesterRings = { requester: d.requester, requests: rings.requests, responses: rings.responses, responseBell: d.responseBell };
    return new WorkerHandle(index, rings.workerBell, [mine], this);
  }

  private async doConnect(): Promise<void> {
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
    this.workers = workerRings.map((r, i) => this.startWorker(i, r));
    await Promise.all(this.workers.map((w) => w.started));

    // 1. A first connection to a contact point, in worker 0: it negotiates the protocol version.
    const inner: Record<string, Error> = {};
    let first: { spec: ConnectionSpec; result: ConnectResult } | null = null;
    for (const cp of this.options.contactPoints) {
      let host: string;
      let port = this.options.port;
      const m = /^(.*):(\d+)$/.exec(cp);
      const name = m !== null && !cp.includes('::') ? m[1]! : cp;
      if (m !== null && !cp.includes('::')) port = Number(m[2]);
      try {
        host = (await lookup(name)).address;
      } catch (e) {
        inner[cp] = e as Error;
        continue;
      }
      const spec: ConnectionSpec = { conn: 0, host, port, localPort: null };
      const result = await this.openConnections(0, [spec]);
      const r = result[0]!;
      if (r.ok) {
        first = { spec, result: r };
        break;
      }
      inner[`${host}:${port}`] = reviveError(r.error);
      if (isAuthError(r.error)) throw inner[`${host}:${port}`];
    }
    if (first === null) {
      throw new NoHostAvailableError(inner, `All host(s) tried for query failed. First host tried, ${Object.keys(inner)[0] ?? 'none'}: ${Object.values(inner)[0]?.message ?? 'no contact point'}`);
    }
    this.version = first.result.protocolVersion;
    this.registerConn(0, 0, -1, first.spec);

    // 2. The topology, read through that connection.
    const local = await this.queryRows(0, "SELECT * FROM system.local WHERE key='local'");
    let peers: Array<Record<string, unknown>>;
    let peersV2 = true;
    try {
      peers = await this.queryRows(0, 'SELECT * FROM system.peers_v2');
    } catch {
      peersV2 = false;
      peers = await this.queryRows(0, 'SELECT * FROM system.peers');
    }
    const hosts: HostState[] = [];
    const l = local[0] ?? {};
    hosts.push(hostFrom(l, first.spec.host, first.spec.port));
    for (const p of peers) {
      const addr = String(p[peersV2 ? 'native_address' : 'rpc_address'] ?? p['peer'] ?? '');
      const port = peersV2 && typeof p['native_port'] === 'number' ? (p['native_port'] as number) : this.options.port;
      if (addr === '' || addr === 'null') continue;
      hosts.push(hostFrom(p, addr === '0.0.0.0' ? String(p['peer']) : addr, port));
    }
    const localDc = this.options.localDataCenter ?? hosts[0]!.datacenter;
    this.hostStates = hosts;
    this.connHost[0] = 0;
    hosts[0]!.conns.push(0);

    // 3. Connections: each worker one per local-DC host (the first one exists already).
    const perHost = Math.max(1, this.options.connectionsPerHost > 0 ? this.options.connectionsPerHost : n);
    const byWorker: ConnectionSpec[][] = this.workers.map(() => []);
    let next = 1;
    for (let h = 0; h < hosts.length; h++) {
      const hs = hosts[h]!;
      if (hs.datacenter !== localDc) continue;
      for (let c = h === 0 ? 1 : 0; c < perHost; c++) {
        const w = (h + c) % n;
        const spec: ConnectionSpec = { conn: next++, host: hs.ip, port: hs.port, localPort: null };
        this.registerConn(spec.conn, w, h, spec);
        byWorker[w]!.push(spec);
      }
    }
    const results = await Promise.all(byWorker.map((specs, w) => (specs.length > 0 ? this.openConnections(w, specs) : Promise.resolve([]))));
    for (const list of results) {
      for (const r of list) {
        this.connUp[r.conn] = r.ok;
        if (!r.ok) this.emit('log', 'warning', `connection ${r.conn} to ${this.addressOfConn(r.conn)} failed: ${r.error?.message}`);
      }
    }
    for (const hs of hosts) hs.up = hs.conns.some((c) => this.connUp[c]);
    this.requester.targetHost = Int32Array.from(this.connHost);

    // 4. The token ring (Murmur3 only; other partitioners route round robin).
    const partitioner = String(l['partitioner'] ?? '');
    if (partitioner.endsWith('Murmur3Partitioner')) {
      const pairs: Array<[string, number]> = [];
      hosts.forEach((h, i) => {
        if (h.datacenter === localDc) for (const t of h.tokens) pairs.push([t, i]);
      });
      if (pairs.length > 0) this.ring = new TokenRing(pairs);
    }

    // 5. Server events on the first connection.
    this.writer.reset();
    encodeRegister(this.writer, ['TOPOLOGY_CHANGE', 'STATUS_CHANGE', 'SCHEMA_CHANGE']);
    await this.workers[0]!.call((id) => ({ type: 'request-all', id, opcode: opcodes.register, body: this.writer.toBuffer(), conns: [0] }));
  }

  private registerConn(conn: number, worker: number, host: number, spec: ConnectionSpec): void {
    this.connWorker[conn] = worker;
    this.connHost[conn] = host;
    this.connUp[conn] = conn === 0;
    this.connSpecs[conn] = spec;
    if (host >= 0) this.hostStates[host]!.conns.push(conn);
  }

  private addressOfConn(conn: number): string {
    const s = this.connSpecs[conn];
    return s === undefined ? 'unknown host' : `${s.host}:${s.port}`;
  }

  private async openConnections(worker: number, specs: ConnectionSpec[]): Promise<ConnectResult[]> {
    const options = this.workerOptions();
    const m = await this.workers[worker]!.call<Extract<FromWorker, { type: 'connected' }>>((id) => ({ type: 'connect', id, connections: specs, options }));
    return m.results;
  }

  /** Runs a control query through connection `conn` (the ring path) and returns its rows as plain objects. */
  private async queryRows(conn: number, cql: string): Promise<Array<Record<string, unknown>>> {
    const p = newQueryParameters();
    p.consistency = consistencies.one;
    this.writer.reset();
    encodeQuery(this.writer, this.version, cql, p, defaultCodecOptions());
    const body = this.writer.toBuffer();
    const res = await this.requester!.send(this.connWorker[conn]!, conn, opcodes.query, 0, body, body.length, CONTROL_TIMEOUT_MS);
    if (res.opcode === opcodes.error) throw decodeError(res.body, 0, res.body.length, this.version);
    const r = decodeResult(res.body, 0, res.body.length, this.version, defaultCodecOptions(), null);
    if (r.kind !== 2) return [];
    return r.rows.map((row) => ({ ...(row as unknown as Record<string, unknown>) }));
  }

  // ---- the request path -----------------------------------------------------------------------

  send(opcode: number, flags: number, body: Uint8Array, bodyLength: number, timeoutMs: number, tokenHi: number, tokenLo: number, hasToken: boolean, hostIndex: number): Promise<ResponseFrame> {
    const requester = this.requester;
    if (requester === null || !this.connected) {
      return Promise.reject(new DriverError(this.shuttingDown ? 'The client is shut down' : 'The client is not connected'));
    }
    const hosts = this.hostStates;
    let h: number;
    if (hostIndex >= 0) h = hostIndex;
    else if (hasToken && this.ring !== null) h = this.ring.ownerIndexOf(tokenHi, tokenLo);
    else {
      h = this.rrHost;
      this.rrHost = (h + 1) % hosts.length;
    }
    // The chosen host first, then the others in order: the first host with an open connection wins.
    for (let k = 0; k < hosts.length; k++) {
      const hs = hosts[(h + k) % hosts.length]!;
      const conns = hs.conns;
      for (let j = 0; j < conns.length; j++) {
        const c = conns[(hs.rr + j) % conns.length]!;
        if (this.connUp[c]) {
          hs.rr = (hs.rr + j + 1) % conns.length;
          return requester.send(this.connWorker[c]!, c, opcode, flags, body, bodyLength, timeoutMs);
        }
      }
      if (hostIndex >= 0) break;
    }
    const inner: Record<string, Error> = {};
    for (const hs of hosts) inner[hs.address] = new DriverError('no open connection');
    return Promise.reject(new NoHostAvailableError(inner));
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
  }

  // ---- worker events ----------------------------------------------------------------------------

  onMessage(_worker: WorkerHandle, m: FromWorker): void {
    switch (m.type) {
      case 'connection-state': {
        this.connUp[m.conn] = m.up;
        const h = this.connHost[m.conn];
        if (h !== undefined && h >= 0) {
          const hs = this.hostStates[h]!;
          const up = hs.conns.some((c) => this.connUp[c]);
          if (up !== hs.up) {
            hs.up = up;
            this.emit(up ? 'hostUp' : 'hostDown', hs);
          }
        }
        return;
      }
      case 'event':
        this.emit('event', m.event as CqlEvent);
        return;
      case 'log':
        this.emit('log', m.level, m.message);
        return;
      default:
        return;
    }
  }

  onExit(worker: WorkerHandle, error: Error): void {
    if (this.shuttingDown) return;
    const err = new DriverError(`shard worker ${worker.index} stopped: ${error.message}`);
    const failed = this.requester?.failWorker(worker.index, err) ?? 0;
    this.emit('log', 'error', `${err.message}; ${failed} request(s) failed; restarting it`);
    for (let c = 0; c < this.connWorker.length; c++) if (this.connWorker[c] === worker.index) this.connUp[c] = false;
    void this.restartWorker(worker.index);
  }

  private async restartWorker(index: number): Promise<void> {
    if (this.shuttingDown || this.requester === null) return;
    const rings = createWorkerRings(this.workerBells[index]!);
    // A fresh doorbell too: the old one may be left in any state by the dead thread.
    rings.workerBell = Doorbell.createBuffer();
    this.workerBells[index] = rings.workerBell;
    this.requester.replaceWorker(index, rings);
    const w = this.startWorker(index, rings);
    this.workers[index] = w;
    try {
      await w.started;
      const specs = this.connSpecs.filter((_s, c) => this.connWorker[c] === index);
      const results = await this.openConnections(index, specs);
      for (const r of results) this.connUp[r.conn] = r.ok;
      this.emit('log', 'info', `shard worker ${index} restarted with ${results.filter((r) => r.ok).length}/${results.length} connection(s)`);
    } catch (e) {
      this.emit('log', 'error', `shard worker ${index} restart failed: ${(e as Error).message}`);
    }
  }

  /** For tests: makes a worker thread throw an uncaught exception. */
  crashWorkerForTest(index: number): void {
    this.workers[index]?.post({ type: 'crash-for-test' });
  }

  // ---- shutdown --------------------------------------------------------------------------------

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.connecting !== null) await this.connecting.catch(() => undefined);
    const requester = this.requester;
    // In-flight requests finish first (bounded by the longest client timeout), then the workers close.
    const deadline = Date.now() + 15_000;
    while (requester !== null && requester.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
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

function hostFrom(row: Record<string, unknown>, ip: string, port: number): HostState {
  const tokens = row['tokens'];
  const hostId = row['host_id'];
  return {
    address: `${ip}:${port}`,
    ip,
    port,
    datacenter: typeof row['data_center'] === 'string' ? (row['data_center'] as string) : null,
    rack: typeof row['rack'] === 'string' ? (row['rack'] as string) : null,
    hostId: hostId === null || hostId === undefined ? null : String(hostId),
    cassandraVersion: typeof row['release_version'] === 'string' ? (row['release_version'] as string) : null,
    tokens: Array.isArray(tokens) ? tokens.map(String) : tokens instanceof Set ? [...tokens].map(String) : [],
    up: true,
    conns: [],
    rr: 0,
  };
}

function isAuthError(e: SerializedError | null): boolean {
  return e !== null && e.name === 'AuthenticationError';
}

/** Rebuilds a worker's error on this side with its class name and fields, so `instanceof` checks keep working. */
export function reviveError(e: SerializedError | null): Error {
  if (e === null) return new DriverError('unknown error');
  const err = makeTyped(e);
  for (const [k, v] of Object.entries(e.fields)) {
    if (k !== 'message' && k !== 'name' && k !== 'stack') (err as unknown as Record<string, unknown>)[k] = v;
  }
  return err;
}

import * as core from '@shardcql/core';
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
    default:
      return new DriverError(e.message);
  }
}
