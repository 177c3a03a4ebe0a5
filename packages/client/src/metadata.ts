/**
 * Minimal schema metadata (cassandra-driver `lib/metadata/index.js`): the keyspaces from system_schema,
 * refreshed on schema-change events. Token-ring queries (getReplicas) are answered from host tokens later.
 */
import { murmur3Token, type Row } from '@shardcql/core';
import type { Host } from './host';

export interface KeyspaceInfo {
  name: string;
  durableWrites: boolean;
  strategy: string;
  strategyOptions: Record<string, string>;
  virtual: boolean;
}

interface MetadataSource {
  querySystem(cql: string, hostIndex?: number): Promise<Row[]>;
  clearPrepared(): void;
  hosts: { values(): Host[] };
}

export class Metadata {
  keyspaces: Record<string, KeyspaceInfo> = {};

  constructor(private readonly client: MetadataSource) {}

  async refreshKeyspaces(): Promise<void> {
    const rows = await this.client.querySystem('SELECT keyspace_name, durable_writes, replication FROM system_schema.keyspaces');
    const keyspaces: Record<string, KeyspaceInfo> = {};
    for (const row of rows) {
      const r = row as unknown as { keyspace_name: string; durable_writes: boolean; replication: Record<string, string> | Map<string, string> };
      const replication = r.replication instanceof Map ? Object.fromEntries(r.replication) : { ...r.replication };
      const strategy = replication['class'] ?? '';
      delete replication['class'];
      keyspaces[r.keyspace_name] = {
        name: r.keyspace_name,
        durableWrites: r.durable_writes,
        strategy,
        strategyOptions: replication,
        virtual: false,
      };
    }
    this.keyspaces = keyspaces;
  }

  refreshKeyspace(name: string, callback?: (err: Error | null) => void): Promise<void> | void {
    const p = this.refreshKeyspaces();
    if (!callback) return p;
    p.then(() => callback(null), callback);
  }

  /** @internal Keyspace created, altered or dropped: reload the keyspace list. */
  async onSchemaChange(event: { type: string; target?: string; keyspace?: string }): Promise<void> {
    if (event.target === 'KEYSPACE') await this.refreshKeyspaces();
  }

  /**
   * The replicas of a routing key (cassandra-driver `Metadata.getReplicas(keyspace, token: Buffer)`): Murmur3
   * token, then a clockwise walk of the ring built from the hosts' tokens. SimpleStrategy takes the next RF
   * distinct hosts; NetworkTopologyStrategy the next RF distinct hosts of each data center (racks are not
   * considered). Unknown keyspace or strategy: [].
   */
  getReplicas(keyspace: string, token: Buffer | Uint8Array): Host[] {
    const ks = this.keyspaces[keyspace];
    if (ks === undefined) return [];
    const ring: Array<{ token: bigint; host: Host }> = [];
    for (const host of this.client.hosts.values()) for (const t of host.tokens) ring.push({ token: BigInt(t), host });
    if (ring.length === 0) return [];
    ring.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    const t = murmur3Token(token);
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ring[mid]!.token < t) lo = mid + 1;
      else hi = mid;
    }
    const start = lo % ring.length;
    const strategy = ks.strategy.slice(ks.strategy.lastIndexOf('.') + 1);
    const wanted = new Map<string | null, number>();
    if (strategy === 'SimpleStrategy') {
      wanted.set(null, parseInt(ks.strategyOptions['replication_factor'] ?? '1', 10));
    } else if (strategy === 'NetworkTopologyStrategy') {
      for (const [dc, rf] of Object.entries(ks.strategyOptions)) wanted.set(dc, parseInt(rf, 10));
    } else {
      return [];
    }
    const replicas: Host[] = [];
    const seen = new Set<Host>();
    const found = new Map<string | null, number>();
    for (let i = 0; i < ring.length; i++) {
      const host = ring[(start + i) % ring.length]!.host;
      if (seen.has(host)) continue;
      const key = strategy === 'SimpleStrategy' ? null : host.datacenter;
      const need = wanted.get(key) ?? 0;
      const have = found.get(key) ?? 0;
      if (have >= need) continue;
      seen.add(host);
      found.set(key, have + 1);
      replicas.push(host);
    }
    return replicas;
  }

  clearPrepared(): void {
    this.client.clearPrepared();
  }

  isDbaas(): boolean {
    return false;
  }
}
