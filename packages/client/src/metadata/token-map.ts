/**
 * A snapshot of the token ring built from the hosts' tokens (system.local / system.peers), answering
 * cassandra-driver's ring questions: replicas of a token, the ring's ranges, the ranges a host replicates.
 * Placement is core's (`computeReplicas`, Cassandra's algorithm, racks included). Rebuilt when the hosts
 * change; the replicas of each keyspace computed once per snapshot.
 */
import { TokenRing, computeReplicas, parseReplication, tokenToHiLo, type HostLocation, type TokenEntry } from '@shardcql/core';
import type { Host } from '../host';
import type { KeyspaceInfo } from './schema-parser';
import { Murmur3Token, TokenRange, murmur3Tokenizer, type Token } from './token';

export class TokenMap {
  readonly hosts: readonly Host[];
  readonly ring: TokenRing;
  /** Ring tokens in ascending order. */
  readonly tokens: readonly Murmur3Token[];
  /** ]token i-1, token i] for every i (]min, min] when the ring has one token). */
  readonly ranges: ReadonlySet<TokenRange>;
  private readonly rangeList: readonly TokenRange[];
  private readonly locations: readonly HostLocation[];
  /** Per replication (class + options as JSON): replicas of each range, primary first. */
  private readonly replicas = new Map<string, Host[][]>();
  private readonly hiLo = new Int32Array(2);

  constructor(hosts: readonly Host[]) {
    this.hosts = hosts;
    const entries: TokenEntry[] = [];
    for (let i = 0; i < hosts.length; i++) for (const t of hosts[i]!.tokens ?? []) entries.push([t, i]);
    this.ring = TokenRing.lenient(entries, () => undefined);
    this.locations = hosts.map((h) => ({ datacenter: h.datacenter ?? '', rack: h.rack ?? '' }));
    const tokens: Murmur3Token[] = [];
    for (let i = 0; i < this.ring.size; i++) tokens.push(murmur3Tokenizer.parse(this.ring.tokenAt(i)));
    this.tokens = tokens;
    const list: TokenRange[] = [];
    if (tokens.length === 1) {
      const min = murmur3Tokenizer.minToken();
      list.push(new TokenRange(min, min));
    } else {
      // Range i ends at token i (the range ring.rangeIndexOf maps to i), so replicas of range i are
      // the replicas of token i.
      for (let i = 0; i < tokens.length; i++) list.push(new TokenRange(tokens[(i + tokens.length - 1) % tokens.length]!, tokens[i]!));
    }
    this.rangeList = list;
    this.ranges = new Set(list);
  }

  /** A fingerprint of what the snapshot depends on: rebuild when it differs. */
  static keyOf(hosts: readonly Host[]): string {
    let key = '';
    for (const h of hosts) key += `${h.address}/${h.datacenter}/${h.rack}/${h.tokens?.length ?? 0}/${h.tokens?.[0] ?? ''};`;
    return key;
  }

  /** Index of the range holding `token`; -1 on an empty ring. */
  rangeIndexOf(token: Token): number {
    tokenToHiLo(BigInt(token.toString()), this.hiLo);
    return this.ring.rangeIndexOf(this.hiLo[0]!, this.hiLo[1]!);
  }

  /** Replicas of range `i` for the keyspace; [] for an unknown strategy or LocalStrategy. */
  replicasOf(ks: KeyspaceInfo, i: number): Host[] {
    const all = this.replicasByRange(ks);
    return all === null || i < 0 ? [] : (all[i] ?? []);
  }

  /** The ranges the host replicates for the keyspace (every range on a single-token ring). */
  rangesForHost(ks: KeyspaceInfo, host: Host): Set<TokenRange> {
    if (this.ring.size === 1) return new Set(this.rangeList);
    const out = new Set<TokenRange>();
    const all = this.replicasByRange(ks);
    if (all === null) return out;
    for (let i = 0; i < this.rangeList.length; i++) if (all[i]!.includes(host)) out.add(this.rangeList[i]!);
    return out;
  }

  private replicasByRange(ks: KeyspaceInfo): Host[][] | null {
    const key = JSON.stringify([ks.strategy, ks.strategyOptions]);
    let all = this.replicas.get(key);
    if (all !== undefined) return all;
    let strategy;
    try {
      strategy = parseReplication({ ...ks.strategyOptions, class: ks.strategy });
    } catch {
      return null;
    }
    all = [];
    for (let i = 0; i < this.ring.size; i++) all.push(computeReplicas(this.ring, i, strategy, this.locations).map((h) => this.hosts[h]!));
    this.replicas.set(key, all);
    return all;
  }
}
