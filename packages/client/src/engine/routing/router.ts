/**
 * The router: where a request goes. One implementation for the thread that created the client (sharded-engine.ts)
 * and for handle threads (handle-engine.ts), over one routing snapshot: the connection table (shared memory,
 * live), the token ring, the replica plans of every keyspace, the hosts' ScyllaDB sharders and the tablets
 * learned from answers.
 *
 * route(req): the connection of the first try (one binary search, no allocation). With `req.hostIndex` >= 0,
 * a connection of that host (its tablet's shard, else its token's shard, else any open one). Otherwise:
 *   0. ScyllaDB tablets: a replica (host, shard) of the token's known tablet of req.keyspace.table (round robin
 *      among the replicas; the server's order for LWT);
 *   1. with a token: the range's local-DC replicas of req.keyspace (the session keyspace when null), round robin
 *      among them (ring order, primary first, for LWT), then its replicas in other datacenters; without replica
 *      plans, the ring owner of the token when it is local;
 *   2. the local-DC hosts, round robin; 3. any host with an open connection;
 * then, on the chosen host, the connection of the token's shard (ScyllaDB), else the next open one.
 *
 * queryPlan(req): the request's query plan (query-plan.ts), computed on first use into the request and kept
 * there: every speculative execution and every retry takes the next host of the same plan (req.planNext), as
 * cassandra-driver's plan iterator does; a topology change that renumbers hosts (epoch) makes it stale.
 *
 * Tablets stay per thread (each Router has its own TabletMap, fed by the answers of its own thread): publishing
 * a changing tablet table through shared memory would need a lock or a seqlock on the request path. A thread
 * learns the tablets of the keys it uses: one misrouted request per tablet per thread, as a new client pays.
 */
import { TabletMap, type ReplicaPlans, type Sharder, type TableTablets, type TokenRing } from '@shardcql/core';
import type { EngineRequest } from '../request';
import { appendQueryPlan } from '../query-plan';
import type { ConnectionTable } from './connection-table';

/** What the router needs of a host (the owner's HostState; a handle's own records). */
export interface RouterHost {
  /** ScyllaDB: the host's sharding (null: not sharded, or not known yet). */
  readonly sharder: Sharder | null;
  /** Tablets name their replicas by host id. */
  readonly hostId: string | null;
}

/** The routing table's part (topology/routing-table.ts): replaced as a whole when the table is rebuilt. */
export interface RoutingTopology {
  /** Token -> primary owner, over every datacenter; null without a Murmur3 ring. */
  ring: TokenRing | null;
  /** 1 for hosts of the local datacenter, per host of the table. */
  isLocal: Uint8Array;
  /** Replica plans by keyspace (keyspaces with the same replication share one). */
  plans: ReadonlyMap<string, ReplicaPlans>;
}

const NO_PLANS = new Map<string, ReplicaPlans>();
/** A keyspace no request names: the plan cache starts empty. */
const UNSET = '\u0000unset';

export class Router {
  /** Tablets learned from tablets-routing-v1 payloads, by (keyspace, table). */
  readonly tablets = new TabletMap();
  /** Hosts of the routing table (select's last resort loops over them). */
  private tableHosts = 0;
  private hosts: readonly RouterHost[] = [];
  private ring: TokenRing | null = null;
  private isLocal: Uint8Array = new Uint8Array(0);
  private localHosts: Int32Array = new Int32Array(0);
  private plans: ReadonlyMap<string, ReplicaPlans> = NO_PLANS;
  private defaultKeyspace: string | null = null;
  /** Per host: where the round robin over its connections is. */
  private hostRr: Int32Array = new Int32Array(0);
  private readonly hostIds = new Map<string, number>();
  private readonly hostIndexOf = (hostId: string): number => this.hostIds.get(hostId.toLowerCase()) ?? -1;
  private rrReplica = 0;
  private rrHost = 0;
  private tabletRr = 0;
  private planRr = 0;
  /** Some table has tablets: only then does routing look them up. */
  private tabletsKnown = false;
  /** The plans of the last keyspace asked for (strings compare by identity first: bind metadata reuses them). */
  private cachedKs: string | null = UNSET;
  private cachedPlans: ReplicaPlans | null = null;
  private cachedTabletKs: string | null = UNSET;
  private cachedTable: string | null = UNSET;
  private cachedTablets: TableTablets | null = null;
  /** Changes whenever host indexes change meaning (a host removed): a plan taken before is stale. */
  epoch = 0;
  /** Called (once per change of keyspace) when a request names a keyspace that has no plans. */
  onMissingPlans: ((keyspace: string) => void) | null = null;

  constructor(private conns: ConnectionTable) {}

  /** The connection table to read from now on (a handle after its owner's table moved: the same object, attached). */
  setConnections(conns: ConnectionTable): void {
    this.conns = conns;
  }

  /** A new routing table (ring, local hosts, plans). */
  setTopology(t: RoutingTopology): void {
    const n = t.isLocal.length;
    this.tableHosts = n;
    this.ring = t.ring;
    this.isLocal = t.isLocal;
    const local: number[] = [];
    for (let h = 0; h < n; h++) if (t.isLocal[h] === 1) local.push(h);
    this.localHosts = Int32Array.from(local);
    this.plans = t.plans;
    this.cachedKs = UNSET;
  }

  /**
   * The host list (by index, as the connection table's hosts): read live (a host's sharder is read through
   * it); call again when the list is replaced. The tablets' replicas follow their host ids to the new indexes.
   */
  setHosts(hosts: readonly RouterHost[]): void {
    if (hosts === this.hosts) return;
    this.hosts = hosts;
    if (this.hostRr.length < hosts.length) {
      const rr = new Int32Array(hosts.length);
      rr.set(this.hostRr);
      this.hostRr = rr;
    }
    this.hostIds.clear();
    for (let h = 0; h < hosts.length; h++) {
      const id = hosts[h]!.hostId;
      if (id !== null) this.hostIds.set(id.toLowerCase(), h);
    }
    // A host that left maps to -1.
    this.tablets.remapHosts(this.hostIndexOf);
    this.cachedTabletKs = UNSET;
  }

  /** The keyspace of requests whose RoutingInfo names none (the session keyspace). */
  setDefaultKeyspace(keyspace: string | null): void {
    this.defaultKeyspace = keyspace;
    this.cachedKs = UNSET;
    this.cachedTabletKs = UNSET;
  }

  /** The replica plans requests of `keyspace` (null: the default keyspace) go by; null when it has none. */
  plansFor(keyspace: string | null): ReplicaPlans | null {
    if (keyspace === this.cachedKs) return this.cachedPlans;
    const ks = keyspace ?? this.defaultKeyspace;
    const p = ks === null ? null : (this.plans.get(ks) ?? null);
    this.cachedKs = keyspace;
    this.cachedPlans = p;
    if (p === null && ks !== null) this.onMissingPlans?.(ks);
    return p;
  }

  // ---- the first try ----------------------------------------------------------------------------------

  /** The connection of `req`'s first try (see the header); -1 when none is open. No allocation. */
  route(req: EngineRequest): number {
    const hasToken = req.hasToken;
    const hi = req.tokenHi;
    const lo = req.tokenLo;
    const tt = hasToken && this.tabletsKnown ? this.tabletsFor(req.keyspace, req.table) : null;
    if (req.hostIndex >= 0)
      return tt !== null ? this.tabletConnOfHost(tt, req.hostIndex, hi, lo) : this.connOfHostToken(req.hostIndex, hi, lo, hasToken);
    if (tt !== null) {
      const c = this.tabletConn(tt, hi, lo, req.lwt);
      if (c >= 0) return c;
    }
    const h = this.select(req);
    if (h >= 0) {
      const c = this.connOfHostToken(h, hi, lo, hasToken);
      if (c >= 0) return c;
    }
    // Only when the usable marks lag behind a connection change: any open connection.
    for (let k = 0; k < this.hosts.length; k++) {
      const c = this.connOfHost(k);
      if (c >= 0) return c;
    }
    return -1;
  }

  /** The host (steps 1 to 3 of the header); -1 when none is usable. */
  private select(req: EngineRequest): number {
    const conns = this.conns;
    if (req.hasToken) {
      const plans = this.plansFor(req.keyspace);
      if (plans !== null && plans.size > 0) {
        const r = plans.rangeIndexOf(req.tokenHi, req.tokenLo);
        const replicas = plans.replicas;
        const off = plans.offsets[r]!;
        const end = plans.offsets[r + 1]!;
        const local = plans.localCounts[r]!;
        if (local > 0) {
          let start = 0;
          if (!req.lwt) {
            start = this.rrReplica % local;
            this.rrReplica = (this.rrReplica + 1) & 0x3fffffff;
          }
          for (let k = 0; k < local; k++) {
            const h = replicas[off + ((start + k) % local)]!;
            if (conns.isUsable(h)) return h;
          }
        }
        for (let i = off + local; i < end; i++) {
          const h = replicas[i]!;
          if (conns.isUsable(h)) return h;
        }
      } else if (this.ring !== null) {
        const h = this.ring.ownerIndexOf(req.tokenHi, req.tokenLo);
        if (h >= 0 && conns.isUsable(h) && this.isLocal[h] === 1) return h;
      }
    }
    const lh = this.localHosts;
    const m = lh.length;
    if (m > 0) {
      const start = this.rrHost % m;
      this.rrHost = (this.rrHost + 1) & 0x3fffffff;
      for (let k = 0; k < m; k++) {
        const h = lh[(start + k) % m]!;
        if (conns.isUsable(h)) return h;
      }
    }
    for (let h = 0; h < this.tableHosts; h++) if (conns.isUsable(h)) return h;
    return -1;
  }

  // ---- connections of a host -------------------------------------------------------------------------

  /** ScyllaDB: the connection of the token's shard on host h when open; otherwise connOfHost. */
  connOfHostToken(h: number, hi: number, lo: number, hasToken: boolean): number {
    if (hasToken && h >= 0 && h < this.hosts.length) {
      const sharder = this.hosts[h]!.sharder;
      if (sharder !== null && sharder !== undefined) {
        const c = this.conns.shardConnOf(h, sharder.shardOf(hi, lo));
        if (c >= 0 && this.conns.isUp(c)) return c;
      }
    }
    return this.connOfHost(h);
  }

  /** An open connection of host h, round robin over its connections; -1 when none. */
  connOfHost(h: number): number {
    if (h < 0 || h >= this.hosts.length) return -1;
    const conns = this.conns;
    const n = conns.connCountOf(h);
    const rr = this.hostRr[h]!;
    for (let j = 0; j < n; j++) {
      const k = (rr + j) % n;
      const c = conns.connOf(h, k);
      if (conns.isUp(c)) {
        this.hostRr[h] = (k + 1) % n;
        return c;
      }
    }
    return -1;
  }

  // ---- ScyllaDB tablets (scylladb docs/dev/protocol-extensions.md, "Tablets routing v1") ---------------

  /** The known tablets of keyspace.table (null keyspace: the default one); null when none. */
  private tabletsFor(keyspace: string | null, table: string | null): TableTablets | null {
    if (keyspace === this.cachedTabletKs && table === this.cachedTable) return this.cachedTablets;
    const ks = keyspace ?? this.defaultKeyspace;
    this.cachedTabletKs = keyspace;
    this.cachedTable = table;
    this.cachedTablets = ks === null || table === null ? null : this.tablets.table(ks, table);
    return this.cachedTablets;
  }

  /**
   * A RESULT carried `tablets-routing-v1`: remember the tablet (it replaces every known tablet it overlaps).
   * Replica host ids become host indexes here, so routing compares no strings. Throws on a bad payload.
   */
  noteTablet(keyspace: string, table: string, payloadValue: Buffer): void {
    this.tablets.addPayload(keyspace, table, payloadValue, this.hostIndexOf);
    this.tabletsChanged();
  }

  /** Call after changing `tablets` directly (a table or keyspace dropped). */
  tabletsChanged(): void {
    this.tabletsKnown = this.tablets.tableCount > 0;
    this.cachedTabletKs = UNSET;
    this.cachedTablets = null;
  }

  /**
   * The connection of a replica (host, shard) of the token's tablet; -1 when no tablet holds the token or
   * none of its replicas is open. LWTs take the replicas in the server's order; other requests round robin.
   */
  private tabletConn(tt: TableTablets, hi: number, lo: number, primaryFirst: boolean): number {
    const i = tt.indexOf(hi, lo);
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
      if (h < 0 || !this.conns.isUsable(h)) continue;
      const c = this.conns.shardConnOf(h, shards[r]!);
      if (c >= 0 && this.conns.isUp(c)) return c;
      const any = this.connOfHost(h);
      if (any >= 0) return any;
    }
    return -1;
  }

  /** Pinned to host h, for a token of a known tablet: h's shard of that tablet when h is a replica; else connOfHostToken. */
  private tabletConnOfHost(tt: TableTablets, h: number, hi: number, lo: number): number {
    const i = tt.indexOf(hi, lo);
    if (i >= 0) {
      const hosts = tt.hosts[i]!;
      for (let r = 0; r < hosts.length; r++) {
        if (hosts[r] !== h) continue;
        const c = this.conns.shardConnOf(h, tt.shards[i]![r]!);
        if (c >= 0 && this.conns.isUp(c)) return c;
        break;
      }
    }
    return this.connOfHostToken(h, hi, lo, true);
  }

  // ---- the query plan -------------------------------------------------------------------------------

  /**
   * `req`'s query plan as host indexes (query-plan.ts): its tablet's replicas when known, then its token's
   * replica plan, then the other usable hosts. Computed on the first call and kept in the request (a new
   * small array: only retries and speculative executions ask); computed again when the epoch changed.
   */
  queryPlan(req: EngineRequest): number[] {
    if (req.plan !== null && req.planEpoch === this.epoch) return req.plan;
    const out: number[] = [];
    this.planRr = (this.planRr + 1) & 0x3fffffff;
    const start = req.lwt ? 0 : this.planRr;
    const hasToken = req.hasToken;
    const tt = hasToken && this.tabletsKnown ? this.tabletsFor(req.keyspace, req.table) : null;
    if (tt !== null) this.appendTabletHosts(out, tt, req.tokenHi, req.tokenLo, start);
    appendQueryPlan(
      out,
      hasToken ? this.plansFor(req.keyspace) : null,
      this.ring,
      this.isLocal,
      req.tokenHi,
      req.tokenLo,
      hasToken,
      this.conns.usableMarks,
      start,
      this.planRr,
    );
    req.plan = out;
    req.planNext = 0;
    req.planEpoch = this.epoch;
    return out;
  }

  /** The usable replica hosts of the token's tablet, from replica `start` (round robin). */
  private appendTabletHosts(out: number[], tt: TableTablets, hi: number, lo: number, start: number): void {
    const i = tt.indexOf(hi, lo);
    if (i < 0) return;
    const hosts = tt.hosts[i]!;
    const n = hosts.length;
    for (let k = 0; k < n; k++) {
      const h = hosts[(start + k) % n]!;
      if (h >= 0 && this.conns.isUsable(h) && !out.includes(h)) out.push(h);
    }
  }
}
