/**
 * The routing table: the token ring, the local-datacenter marks and every keyspace's replica plans, computed
 * once per topology or keyspace change and then only read (the engine swaps the whole object). The router
 * (routing/router.ts) picks hosts by it.
 *
 * Per keyspace, a ReplicaPlans (core) gives every token range its replicas in ring order, local datacenter
 * first. Keyspaces with the same replication share one plan set.
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
  private readonly plans = new Map<string, ReplicaPlans>();

  private constructor(hostCount: number, ring: TokenRing | null, isLocal: Uint8Array) {
    this.hostCount = hostCount;
    this.ring = ring;
    this.isLocal = isLocal;
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
    for (let i = 0; i < n; i++) if (localDc === null || hosts[i]!.datacenter === localDc) isLocal[i] = 1;
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
    const table = new RoutingTable(n, ring, isLocal);
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
    return keyspace === null ? null : (this.plans.get(keyspace) ?? null);
  }

  /** Every keyspace's plans (keyspaces with equal replication share one object). */
  get keyspacePlans(): ReadonlyMap<string, ReplicaPlans> {
    return this.plans;
  }

  /** Number of distinct plan sets (keyspaces with equal replication share one). */
  get distinctPlans(): number {
    return new Set(this.plans.values()).size;
  }
}

function strategyKey(s: ReplicationStrategy): string {
  switch (s.kind) {
    case 'simple':
      return `simple:${s.replicationFactor}`;
    case 'network-topology':
      return `nts:${[...s.replicationFactors.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([d, f]) => `${d}=${f}`)
        .join(',')}`;
    default:
      return s.kind;
  }
}
