/**
 * ScyllaDB shard awareness: one connection per shard of every local host (connectShards), a connection that
 * reconnected onto another shard re-placed (placeShard), connections in no slot closed once every slot is
 * filled, and an emptied slot refilled with backoff (scheduleShardRefill).
 */
import { ReconnectionSchedule, type ConnectResult, type ConnectionSpec } from '@shardcql/shard-worker';
import type { EngineState } from '../engine-state';
import { applySharding, type HostState } from '../host-state';
import { LocalPortPicker, isLocalPortTaken, parseSharding } from '../topology';

/** Local-port candidates tried per shard on the shard-aware port before falling back to the plain port. */
const SHARD_PORT_ATTEMPTS = 8;

/** One connectShards run on one host: how many connections it opened, whether the shard-aware port still serves. */
interface ShardRun {
  hs: HostState;
  nrShards: number;
  opened: number;
  awareUsable: boolean;
  quiet: boolean;
}

export class ShardPlacer {
  portPicker = new LocalPortPicker();
  /** Hosts with a shard slot refill pending (scheduleShardRefill). */
  readonly refills = new Set<HostState>();

  constructor(private readonly e: EngineState) {}

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
  async connectShards(hs: HostState, quiet = false): Promise<number> {
    let opened = 0;
    if (hs.sharder === null) {
      const r = await this.openHostConn(hs, this.hostIndexOf(hs) % this.e.workers.count, hs.port, null);
      if (r === null) return 0;
      opened++;
      if (!r.ok) return opened; // down: the worker retries this slot; sharding is learned next refresh
      const info = parseSharding(r.supported);
      if (info === null) {
        this.e.log('info', `host ${hs.address} announces no sharding: one connection`);
        return opened;
      }
      applySharding(this.e.connTable, this.e.hostStates.indexOf(hs), hs, info, r.conn);
    }
    const n = hs.sharder!.nrShards;
    const run: ShardRun = { hs, nrShards: n, opened, awareUsable: hs.shardAwarePort > 0, quiet };
    if (run.awareUsable)
      await Promise.all(Array.from({ length: n }, (_v, s) => (this.slot(hs, s) < 0 ? this.viaAwarePort(run, s) : Promise.resolve())));
    await this.viaPlainPort(run);
    const have = this.slots(hs).reduce((a, c) => a + (c >= 0 ? 1 : 0), 0);
    if (have < n && !quiet) this.e.log('warning', `host ${hs.address}: ${have}/${n} shards connected`);
    return run.opened;
  }

  /** Shard s through the shard-aware port, from local ports that map to it; the first hard failure ends the port's use. */
  private async viaAwarePort(run: ShardRun, s: number): Promise<void> {
    const hs = run.hs;
    for (let attempt = 0; attempt < SHARD_PORT_ATTEMPTS && run.awareUsable && this.slot(hs, s) < 0; attempt++) {
      const local = this.portPicker.next(s, run.nrShards);
      if (local < 0) return;
      const r = await this.openHostConn(hs, this.shardWorker(hs, s), hs.shardAwarePort, local);
      if (r === null) return;
      run.opened++;
      if (!r.ok) {
        this.dropConns([r.conn]);
        if (isLocalPortTaken(r.error)) continue;
        // Refused or timed out: the port is absent or filtered; the plain port takes over.
        if (!run.quiet)
          this.e.log(
            'warning',
            `shard-aware port ${hs.ip}:${hs.shardAwarePort} unusable (${r.error?.message ?? 'unknown error'}); falling back to port ${hs.port}`,
          );
        run.awareUsable = false;
        return;
      }
      this.placeShardConn(hs, r);
    }
  }

  /** Plain port: connections land round robin over the shards; up to 2n tries for the missing ones. */
  private async viaPlainPort(run: ShardRun): Promise<void> {
    const hs = run.hs;
    for (let attempt = 0; attempt < 2 * run.nrShards; attempt++) {
      const missing = this.e.connTable.missingShard(this.e.hostStates.indexOf(hs));
      if (missing < 0) break;
      const r = await this.openHostConn(hs, this.shardWorker(hs, missing), hs.port, null);
      if (r === null) break;
      run.opened++;
      if (!r.ok) {
        this.dropConns([r.conn]);
        break;
      }
      this.placeShardConn(hs, r);
    }
  }

  /** Keeps a new connection as the connection of the shard it landed on, or closes it when that shard has one. */
  private placeShardConn(hs: HostState, r: ConnectResult): void {
    const info = parseSharding(r.supported);
    const s = info === null ? -1 : info.shard;
    const h = this.e.hostStates.indexOf(hs);
    const table = this.e.connTable;
    if (s >= 0 && s < table.shardCountOf(h) && table.shardConnOf(h, s) < 0) {
      table.setShardConn(h, s, r.conn);
      return;
    }
    this.dropConns([r.conn]);
  }

  /** The connection in shard slot s of host hs (-1: none, or hs left). */
  private slot(hs: HostState, s: number): number {
    return this.e.connTable.shardConnOf(this.e.hostStates.indexOf(hs), s);
  }

  /** The shard slots of host hs (empty when it left). */
  private slots(hs: HostState): number[] {
    return this.e.connTable.shardConnsOf(this.e.hostStates.indexOf(hs));
  }

  /** Some shard slot of host hs is empty. */
  private missing(hs: HostState): boolean {
    return this.e.connTable.missingShard(this.e.hostStates.indexOf(hs)) >= 0;
  }

  private shardWorker(hs: HostState, shard: number): number {
    return (this.hostIndexOf(hs) + shard) % this.e.workers.count;
  }

  private hostIndexOf(hs: HostState): number {
    return Math.max(0, this.e.hostStates.indexOf(hs));
  }

  /** Opens one connection of host hs in `worker`; null when the host left meanwhile. */
  private async openHostConn(hs: HostState, worker: number, port: number, localPort: number | null): Promise<ConnectResult | null> {
    const e = this.e;
    const h = e.hostStates.indexOf(hs);
    if (h < 0 || e.shuttingDown) return null;
    const spec: ConnectionSpec = { conn: e.takeConnIndex(), host: hs.ip, port, localPort, servername: hs.servername };
    e.connTable.add(spec.conn, worker, h, spec);
    const results = await e.workers.openConnections(worker, [spec]).catch(() => [] as ConnectResult[]);
    const r = results[0] ?? {
      conn: spec.conn,
      ok: false,
      protocolVersion: 0,
      supported: null,
      error: { name: 'DriverError', message: 'worker did not answer', code: null, fields: {} },
    };
    // Dropped meanwhile (its host left): the connection's cells are no one's any more.
    if (e.connTable.hostOf(r.conn) >= 0) e.connTable.setUp(r.conn, r.ok);
    return r;
  }

  /** Closes connections the engine does not keep (extra shard connections, failed port attempts). */
  private dropConns(conns: number[]): void {
    const e = this.e;
    for (const c of conns) {
      const w = e.connTable.workerOf(c);
      e.connTable.remove(c);
      e.workers.closeConns(w, [c]);
      e.releaseConnIndex(c);
    }
  }

  /**
   * ScyllaDB: a reconnected connection serves the shard the server says, which on the plain port (no
   * shard-aware port, or the source port was taken) need not be the one it served before. Its old shard slot
   * is freed and it takes the new one if that is free; otherwise it stays an extra connection of the host.
   */
  placeShard(conn: number, shard: number): void {
    const table = this.e.connTable;
    const h = table.hostOf(conn);
    if (h < 0) return;
    table.setReportedShard(conn, shard);
    const hs = this.e.hostStates[h]!;
    const n = table.shardCountOf(h);
    if (hs.sharder === null || shard >= n || table.shardConnOf(h, shard) === conn) return;
    let freed = -1;
    for (let s = 0; s < n; s++) {
      if (table.shardConnOf(h, s) === conn) {
        table.setShardConn(h, s, -1);
        freed = s;
      }
    }
    const holder = table.shardConnOf(h, shard);
    if (holder === -1 || !table.isUp(holder)) table.setShardConn(h, shard, conn);
    else
      this.e.log('info', `connection ${conn} to ${hs.address} reconnected on shard ${shard}, which has a connection: kept as an extra one`);
    if (freed >= 0 && !this.adoptExtraConn(hs, freed)) this.scheduleShardRefill(hs);
    else this.dropExtraConns(hs);
  }

  /**
   * Once every shard slot of hs has a connection, connections in no slot (reconnected onto a shard that had
   * one) are closed: without this each such reconnection, followed by the refill of the slot it left, would
   * leave the host one connection more, for good. The control connection is left alone (it moves on its own).
   */
  private dropExtraConns(hs: HostState): void {
    const h = this.e.hostStates.indexOf(hs);
    if (hs.sharder === null || h < 0 || this.missing(hs)) return;
    const sc = this.slots(hs);
    const control = this.e.cluster.controlConn;
    const extra = this.e.connTable.connsOf(h).filter((c) => sc.indexOf(c) < 0 && c !== control);
    if (extra.length === 0) return;
    // Handles read the same table: dropConns takes them off it at once.
    this.dropConns(extra);
  }

  /** An open extra connection of hs (in no shard slot) serving `shard` takes the empty slot; false when none. */
  private adoptExtraConn(hs: HostState, shard: number): boolean {
    const table = this.e.connTable;
    const h = this.e.hostStates.indexOf(hs);
    if (h < 0) return false;
    for (const c of table.connsOf(h)) {
      if (table.reportedShard(c) === shard && table.isUp(c) && table.shardSlotOf(h, c) < 0) {
        table.setShardConn(h, shard, c);
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
    if (this.e.shuttingDown || this.refills.has(hs)) return;
    this.refills.add(hs);
    const missing: number[] = [];
    this.slots(hs).forEach((c, s) => c < 0 && missing.push(s));
    this.e.log(
      'info',
      `host ${hs.address}: shard(s) ${missing.join(', ')} lost their connection (it reconnected on another shard); opening a replacement`,
    );
    const schedule = new ReconnectionSchedule(this.e.reconnection);
    setTimeout(() => void this.refillShards(hs, schedule), schedule.next()).unref();
  }

  private async refillShards(hs: HostState, schedule: ReconnectionSchedule): Promise<void> {
    const e = this.e;
    const live = !e.shuttingDown && e.connected && hs.up && hs.sharder !== null && e.hostStates.indexOf(hs) >= 0;
    if (live) {
      const sc = this.slots(hs);
      for (let s = 0; s < sc.length; s++) if (this.slot(hs, s) < 0) this.adoptExtraConn(hs, s);
      if (this.missing(hs)) {
        try {
          await this.connectShards(hs, true);
        } catch {
          // A failed attempt is retried below.
        }
      }
    }
    // A host that went down re-places its shards as its connections come back (placeShard).
    if (!live || !this.missing(hs) || e.shuttingDown || !hs.up) {
      this.refills.delete(hs);
      if (live) this.dropExtraConns(hs);
      return;
    }
    setTimeout(() => void this.refillShards(hs, schedule), schedule.next()).unref();
  }
}
