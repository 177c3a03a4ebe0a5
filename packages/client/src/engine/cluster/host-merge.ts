/**
 * Applies a fresh host list (the topology refresh, cluster.ts): known hosts are updated in place (same index),
 * new ones appended (and get connections when local), missing ones removed (connections closed, the list
 * compacted, host indexes of the hosts after them shift).
 */
import type { ConnectResult, ConnectionSpec } from '@shardcql/shard-worker';
import type { EngineState } from '../engine-state';
import { newHostState, type HostState } from '../host-state';
import type { TopologyHost } from '../topology';

interface Merged {
  kept: HostState[];
  removed: HostState[];
  added: HostState[];
}

export class HostMerge {
  constructor(
    private readonly e: EngineState,
    /** The local datacenter (null: every host is local). */
    private readonly localDc: string | null,
    /** "ip:port" -> the host name of the contact point that resolved to it. */
    private readonly hostNames: ReadonlyMap<string, string>,
    /** Connections each local host gets (not sharded). */
    private readonly perHost: number,
  ) {}

  async apply(fresh: readonly TopologyHost[]): Promise<void> {
    const e = this.e;
    const m = this.match(fresh);
    const kept = m.kept;
    // Never remove the control connection's own host (it just answered); a missing local row is parsed
    // with the control connection's address, so this only guards against surprises.
    // Old host index -> new one (-1: removed), for the connection table.
    const newIndex = e.hostStates.map((hs) => kept.indexOf(hs));
    e.hostStates = kept;
    // Host indexes of the hosts after a removed one shift: plans held across this (speculative runs) are stale.
    if (m.removed.length > 0) e.hostsEpoch++;
    const closeByWorker = this.detach(m.removed, newIndex);
    e.connTable.renumberHosts(newIndex, kept.length);
    for (let h = 0; h < kept.length; h++) kept[h]!.index = h;
    for (const [w, conns] of closeByWorker) {
      e.workers.closeConns(w, conns);
      for (const c of conns) e.releaseConnIndex(c);
    }
    e.syncTargets();
    for (const hs of m.removed) {
      e.log('info', `host ${hs.address} left the cluster`);
      if (e.connected) e.emit('hostRemove', hs);
    }
    const opened = await this.connectLocal(kept);
    if (opened > 0) this.announceKept(m);
    this.announceAdded(m.added);
  }

  /** Known hosts updated in place, new ones made, missing ones set aside; `kept` is the new list. */
  private match(fresh: readonly TopologyHost[]): Merged {
    const byAddress = new Map<string, TopologyHost>();
    for (const t of fresh) byAddress.set(t.address, t);
    const kept: HostState[] = [];
    const removed: HostState[] = [];
    for (const hs of this.e.hostStates) {
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
      if (local && !hs.local) this.e.log('info', `host ${hs.address} moved into the local datacenter`);
      hs.local = local;
      kept.push(hs);
    }
    const added: HostState[] = [];
    for (const t of byAddress.values()) {
      const hs = newHostState(t, this.localDc === null || t.datacenter === this.localDc, this.hostNames.get(t.address) ?? null);
      added.push(hs);
      kept.push(hs);
    }
    return { kept, removed, added };
  }

  /**
   * The removed hosts' connections leave the table (to be closed by their workers and returned) and their
   * lanes close. `newIndex`: old host index -> new one, -1 for the removed hosts.
   */
  private detach(removed: readonly HostState[], newIndex: readonly number[]): Map<number, number[]> {
    const e = this.e;
    const table = e.connTable;
    const closeByWorker = new Map<number, number[]>();
    for (let o = 0; o < newIndex.length; o++) {
      if (newIndex[o]! >= 0) continue;
      for (const c of table.connsOf(o)) {
        const w = table.workerOf(c);
        table.remove(c);
        let list = closeByWorker.get(w);
        if (list === undefined) closeByWorker.set(w, (list = []));
        list.push(c);
      }
    }
    for (const hs of removed) hs.up = false;
    for (const hs of removed) {
      e.lane?.dropHost(hs);
      if (hs.laneSlot >= 0) {
        table.remove(hs.laneSlot);
        e.releaseConnIndex(hs.laneSlot);
      }
    }
    return closeByWorker;
  }

  /**
   * Every local host gets perHost connections (new hosts, the contact point's host which has only the
   * control connection so far, a host that moved into the local DC); ScyllaDB hosts one per shard.
   * Returns the number of connections opened.
   */
  private async connectLocal(kept: readonly HostState[]): Promise<number> {
    const e = this.e;
    const byWorker: ConnectionSpec[][] = e.workers.list.map(() => []);
    let opened = 0;
    const shardHosts: HostState[] = [];
    for (let h = 0; h < kept.length; h++) {
      const hs = kept[h]!;
      if (!hs.local) continue;
      if (e.sharded) {
        // ScyllaDB: one connection per shard (connectShards), instead of perHost plain ones.
        if (hs.sharder === null || e.connTable.missingShard(h) >= 0) shardHosts.push(hs);
        continue;
      }
      opened += this.planConns(hs, h, byWorker);
    }
    if (opened > 0) e.syncTargets();
    await this.openPlanned(byWorker);
    if (shardHosts.length > 0) {
      const counts = await Promise.all(
        shardHosts.map((hs) =>
          e.shards.connectShards(hs).catch((err: Error) => {
            e.log('warning', `shard connections to ${hs.address} failed: ${err.message}`);
            return 0;
          }),
        ),
      );
      for (const n of counts) opened += n;
      e.syncTargets();
    }
    return opened;
  }

  /** New connection specs for host hs (index h) up to perHost, connection c in worker (h + c) % W. */
  private planConns(hs: HostState, h: number, byWorker: ConnectionSpec[][]): number {
    const e = this.e;
    let opened = 0;
    for (let c = e.connTable.connCountOf(h); c < this.perHost; c++) {
      opened++;
      const w = (h + c) % e.workers.count;
      const spec: ConnectionSpec = { conn: e.takeConnIndex(), host: hs.ip, port: hs.port, localPort: null, servername: hs.servername };
      e.connTable.add(spec.conn, w, h, spec);
      byWorker[w]!.push(spec);
    }
    return opened;
  }

  private async openPlanned(byWorker: ConnectionSpec[][]): Promise<void> {
    const e = this.e;
    const results = await Promise.all(
      byWorker.map((specs, w) =>
        specs.length > 0 ? e.workers.openConnections(w, specs).catch(() => [] as ConnectResult[]) : Promise.resolve([] as ConnectResult[]),
      ),
    );
    for (const list of results) {
      for (const r of list) {
        if (!r.ok) e.log('warning', `connection ${r.conn} to ${e.addressOfConn(r.conn)} failed: ${r.error?.message}`);
        e.connTable.setUp(r.conn, r.ok);
      }
    }
  }

  /** hostUp / hostDown for local hosts that were known, when their new connections changed their state. */
  private announceKept(m: Merged): void {
    const e = this.e;
    for (const hs of m.kept) {
      if (!hs.local || m.added.includes(hs)) continue;
      const open = e.connTable.hasOpenConn(hs.index);
      if (open !== hs.up) {
        hs.up = open;
        if (e.connected) e.emit(open ? 'hostUp' : 'hostDown', hs);
      }
    }
  }

  /** hostAdd (then hostUp) for new hosts still in the list. */
  private announceAdded(added: readonly HostState[]): void {
    const e = this.e;
    for (const hs of added) {
      const h = e.hostStates.indexOf(hs);
      if (h < 0) continue;
      const open = e.connTable.hasOpenConn(h);
      e.connTable.refreshUsable(h);
      // Remote hosts have no connections: their state follows STATUS_CHANGE events.
      hs.up = hs.local ? open : true;
      if (e.connected) {
        e.log('info', `host ${hs.address} joined (${hs.datacenter ?? 'no dc'}/${hs.rack ?? 'no rack'})`);
        e.emit('hostAdd', hs);
        if (hs.up) e.emit('hostUp', hs);
      }
    }
  }
}
