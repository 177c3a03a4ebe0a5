/**
 * The routing table: everything the request path needs to pick a host, computed once per topology or
 * keyspace change and then only read (the engine swaps the whole object).
 *
 * Per keyspace, a ReplicaPlans (core) gives every token range its replicas in ring order, local datacenter
 * first. Keyspaces with the same replication share one plan set. Selection order for a request with a token:
 *   1. the range's local-DC replicas, round robin among them (cassandra-driver's TokenAwarePolicy also
 *      spreads over equal replicas; `primaryFirst` keeps ring order, for LWT);
 *   2. the range's replicas in other datacenters (they only count when they have open connections: the
 *      engine connects to the local datacenter only);
 *   3. the local-DC hosts, round robin; 4. any host with an open connection.
 * Without a plan (no keyspace, LocalStrategy, unknown replication class), step 1 is the ring owner of the
 * token when it is in the local datacenter. One binary search, no allocation.
 */
import { ReplicaPlans, TokenRing, type HostLocation, type ReplicationStrategy, type TokenEntry } from '@shardcql/core';

/** What the table needs of a host. */
export interface RoutingHost {
  readonly datacenter: string | null;
  readonly rack: string | null;
  readonly tokens: readonly string[];
}

export class RoutingTable {
  readonly hostCount: number;
  /** Token -> primary owner, over every datacenter; null without a Murmur3 ring. */
  readonly ring: TokenRing | null;
  /** 1 for hosts in the local datacenter. */
  readonly isLocal: Uint8Array;
  private readonly localHosts: Int32Array;
  private readonly plans = new Map<string, ReplicaPlans>();
  private rrReplica = 0;
  private rrHost = 0;

  private constructor(hostCount: number, ring: TokenRing | null, isLocal: Uint8Array, localHosts: Int32Array) {
    this.hostCount = hostCount;
    this.ring = ring;
    this.isLocal = isLocal;
    this.localHosts = localHosts;
  }

  /**
   * Builds the ring and the plans of every keyspace in `strategies`. `murmur3`: the cluster's partitioner
   * is Murmur3 (the only one whose tokens the facade computes); otherwise there is no ring. Bad tokens are
   * reported through `log` and skipped.
   */
  static build(
    hosts: readonly RoutingHost[],
    strategies: ReadonlyMap<string, ReplicationStrategy>,
    localDc: string | null,
    murmur3: boolean,
    log: (message: string) => void,
  ): RoutingTable {
    const n = hosts.length;
    const isLocal = new Uint8Array(n);
    const local: number[] = [];
    for (let i = 0; i < n; i++) {
      if (localDc === null || hosts[i]!.datacenter === localDc) {
        isLocal[i] = 1;
        local.push(i);
      }
    }
    let ring: TokenRing | null = null;
    if (murmur3) {
      const entries: TokenEntry[] = [];
      for (let i = 0; i < n; i++) for (const t of hosts[i]!.tokens) entries.push([t, i]);
      try {
        const r = TokenRing.lenient(entries, (e, reason) => log(`token ${String(e[0])} of host ${e[1]}: ${reason}: skipped`));
        if (r.size > 0) ring = r;
      } catch (e) {
        log(`token ring not built: ${(e as Error).message}`);
      }
    }
    const table = new RoutingTable(n, ring, isLocal, Int32Array.from(local));
    if (ring === null) return table;
    const locations: HostLocation[] = hosts.map((h) => ({ datacenter: h.datacenter ?? '', rack: h.rack ?? '' }));
    const shared = new Map<string, ReplicaPlans>();
    for (const [ks, strategy] of strategies) {
      if (strategy.kind === 'local') continue;
      const key = strategyKey(strategy);
      let p = shared.get(key);
      if (p === undefined) {
        try {
          p = ReplicaPlans.build(ring, strategy, locations, localDc);
        } catch (e) {
          log(`keyspace ${ks}: replica plans not built: ${(e as Error).message}`);
          continue;
        }
        shared.set(key, p);
      }
      table.plans.set(ks, p);
    }
    return table;
  }

  /** The plans of a keyspace; null when it has none (unknown, LocalStrategy, no ring). */
  plansFor(keyspace: string | null): ReplicaPlans | null {
    return keyspace === null ? null : this.plans.get(keyspace) ?? null;
  }

  /** Number of distinct plan sets (keyspaces with equal replication share one). */
  get distinctPlans(): number {
    return new Set(this.plans.values()).size;
  }

  /**
   * The host to send to: see the order in the module comment. `usable[h]` is 1 when host h has an open
   * connection. Returns -1 when no host is usable.
   */
  select(plans: ReplicaPlans | null, hi: number, lo: number, hasToken: boolean, usable: ArrayLike<number>, primaryFirst: boolean): number {
    if (hasToken) {
      if (plans !== null && plans.size > 0) {
        const r = plans.rangeIndexOf(hi, lo);
        const offsets = plans.offsets;
        const replicas = plans.replicas;
        const off = offsets[r]!;
        const end = offsets[r + 1]!;
        const local = plans.localCounts[r]!;
        if (local > 0) {
          let start = 0;
          if (!primaryFirst) {
            start = this.rrReplica % local;
            this.rrReplica = (this.rrReplica + 1) & 0x3fffffff;
          }
          for (let k = 0; k < local; k++) {
            const h = replicas[off + ((start + k) % local)]!;
            if (usable[h] === 1) return h;
          }
        }
        for (let i = off + local; i < end; i++) {
          const h = replicas[i]!;
          if (usable[h] === 1) return h;
        }
      } else if (this.ring !== null) {
        const h = this.ring.ownerIndexOf(hi, lo);
        if (h >= 0 && usable[h] === 1 && this.isLocal[h] === 1) return h;
      }
    }
    const lh = this.localHosts;
    const m = lh.length;
    if (m > 0) {
      const start = this.rrHost % m;
      this.rrHost = (this.rrHost + 1) & 0x3fffffff;
      for (let k = 0; k < m; k++) {
        const h = lh[(start + k) % m]!;
        if (usable[h] === 1) return h;
      }
    }
    for (let h = 0; h < this.hostCount; h++) if (usable[h] === 1) return h;
    return -1;
  }
}

function strategyKey(s: ReplicationStrategy): string {
  switch (s.kind) {
    case 'simple':
      return `simple:${s.replicationFactor}`;
    case 'network-topology':
      return `nts:${[...s.replicationFactors.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([d, f]) => `${d}=${f}`).join(',')}`;
    default:
      return s.kind;
  }
}
