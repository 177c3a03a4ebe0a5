import { ArgumentError } from '../errors';
import type { TokenRing } from './token-ring';

/** Where a host sits (system.local / system.peers `data_center`, `rack`). */
export interface HostLocation {
  readonly datacenter: string;
  readonly rack: string;
}

/** A keyspace's replication, from system_schema.keyspaces `replication`. */
export type ReplicationStrategy =
  | { readonly kind: 'simple'; readonly replicationFactor: number }
  | { readonly kind: 'network-topology'; readonly replicationFactors: ReadonlyMap<string, number> }
  /** System keyspaces: each node holds its own data; no token-aware placement. */
  | { readonly kind: 'local' }
  /** ScyllaDB's EverywhereStrategy: every node is a replica. */
  | { readonly kind: 'everywhere' };

/**
 * Reads the replication map of system_schema.keyspaces, e.g.
 * { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '3' } or
 * { class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: '3', dc2: '2' }.
 * A factor written "3/1" (transient replication) counts all 3 replicas. Throws ArgumentError on an
 * unknown class or a bad factor, so the caller can log and skip the keyspace.
 */
export function parseReplication(replication: Readonly<Record<string, string>>): ReplicationStrategy {
  const cls = replication.class ?? '';
  const simpleName = cls.slice(cls.lastIndexOf('.') + 1);
  switch (simpleName) {
    case 'SimpleStrategy':
      return { kind: 'simple', replicationFactor: parseFactor(replication.replication_factor, 'replication_factor') };
    case 'NetworkTopologyStrategy': {
      const factors = new Map<string, number>();
      for (const key of Object.keys(replication)) {
        if (key === 'class' || key === 'replication_factor') continue;
        factors.set(key, parseFactor(replication[key], key));
      }
      return { kind: 'network-topology', replicationFactors: factors };
    }
    case 'LocalStrategy':
      return { kind: 'local' };
    case 'EverywhereStrategy':
      return { kind: 'everywhere' };
    default:
      throw new ArgumentError(`Unknown replication class ${JSON.stringify(cls)}`);
  }
}

function parseFactor(value: string | undefined, name: string): number {
  const m = /^\s*(\d+)(?:\/\d+)?\s*$/.exec(value ?? '');
  if (m === null) throw new ArgumentError(`Bad replication factor ${name}=${JSON.stringify(value)}`);
  return Number(m[1]);
}

/**
 * The replicas of ring range `rangeIndex` (the range ending at ring token rangeIndex, which holds the tokens
 * t with rangeIndexOf(t) === rangeIndex), primary first, as host indices. Cassandra's placement
 * (AbstractReplicationStrategy.calculateNaturalReplicas), walking the ring from that token:
 * - SimpleStrategy: the first RF distinct hosts.
 * - NetworkTopologyStrategy, per datacenter: min(RF, hosts in the DC) replicas; a host on a rack not yet
 *   used is always taken; a host on an already used rack only while fewer than RF - (racks in the DC) such
 *   repeats were taken (so the remaining replicas can still go to distinct racks).
 * - LocalStrategy: none (no token-aware placement). EverywhereStrategy: every host, in ring order.
 */
export function computeReplicas(
  ring: TokenRing,
  rangeIndex: number,
  strategy: ReplicationStrategy,
  hosts: readonly HostLocation[],
): number[] {
  const n = ring.size;
  const out: number[] = [];
  if (n === 0 || rangeIndex < 0 || rangeIndex >= n) return out;
  const owners = ring.owners;
  switch (strategy.kind) {
    case 'local':
      return out;
    case 'simple':
    case 'everywhere': {
      const rf = strategy.kind === 'simple' ? strategy.replicationFactor : Infinity;
      for (let i = 0; i < n && out.length < rf; i++) {
        const h = owners[(rangeIndex + i) % n]!;
        if (!out.includes(h)) out.push(h);
      }
      return out;
    }
    case 'network-topology':
      return networkTopologyReplicas(ring, rangeIndex, strategy.replicationFactors, hosts);
  }
}

interface DcState {
  rfLeft: number;
  acceptableRackRepeats: number;
}

function networkTopologyReplicas(
  ring: TokenRing,
  rangeIndex: number,
  factors: ReadonlyMap<string, number>,
  hosts: readonly HostLocation[],
): number[] {
  const n = ring.size;
  const owners = ring.owners;
  // Nodes and racks per DC, among the hosts that own ring tokens (Cassandra's Topology).
  const dcHosts = new Map<string, Set<number>>();
  const dcRacks = new Map<string, Set<string>>();
  for (let i = 0; i < n; i++) {
    const loc = hosts[owners[i]!];
    if (loc === undefined) continue;
    let hs = dcHosts.get(loc.datacenter);
    if (hs === undefined) {
      hs = new Set();
      dcHosts.set(loc.datacenter, hs);
      dcRacks.set(loc.datacenter, new Set());
    }
    hs.add(owners[i]!);
    dcRacks.get(loc.datacenter)!.add(loc.rack);
  }
  const dcs = new Map<string, DcState>();
  for (const [dc, rf] of factors) {
    const nodeCount = dcHosts.get(dc)?.size ?? 0;
    if (rf <= 0 || nodeCount === 0) continue;
    dcs.set(dc, { rfLeft: Math.min(rf, nodeCount), acceptableRackRepeats: rf - dcRacks.get(dc)!.size });
  }
  let dcsToFill = dcs.size;
  const out: number[] = [];
  const seenRacks = new Set<string>(); // "dc\0rack"
  for (let i = 0; i < n && dcsToFill > 0; i++) {
    const h = owners[(rangeIndex + i) % n]!;
    const loc = hosts[h]!;
    if (loc === undefined) continue;
    const st = dcs.get(loc.datacenter);
    if (st === undefined || st.rfLeft <= 0 || out.includes(h)) continue;
    const rackKey = `${loc.datacenter}\u0000${loc.rack}`;
    if (!seenRacks.has(rackKey)) {
      seenRacks.add(rackKey);
    } else if (st.acceptableRackRepeats > 0) {
      st.acceptableRackRepeats--;
    } else {
      continue;
    }
    out.push(h);
    if (--st.rfLeft === 0) dcsToFill--;
  }
  return out;
}
