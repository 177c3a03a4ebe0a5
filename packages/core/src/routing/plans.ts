import { ArgumentError } from '../errors';
import { computeReplicas, type HostLocation, type ReplicationStrategy } from './replicas';
import { searchRing, type TokenRing } from './token-ring';

// SharedArrayBuffer form (all Int32, so any thread can map it without copying):
//   [0] MAGIC  [1] size (ranges)  [2] replica count
//   hi[size] | lo[size] | offsets[size + 1] | localCounts[size] | replicas[replica count]
const MAGIC = 0x504c414e; // "PLAN"
const HEADER_INTS = 3;

/**
 * Replica lists for every token range, computed once per topology or keyspace change, so routing a request
 * is one binary search and two array reads, with no allocation:
 *
 *   const r = plans.rangeIndexOf(hi, lo);                 // hi/lo from murmur3TokenHiLo
 *   for (let i = plans.offsets[r]; i < plans.offsets[r + 1]; i++) host = plans.replicas[i];
 *
 * Each list is in ring order (primary replica first, which LWT routing needs); with a local datacenter, its
 * replicas come first (still in ring order) and localCounts[r] says how many there are. The shard of a
 * replica depends on the token, not the range: Sharder.shardOf(hi, lo) with that host's sharding.
 * toSharedBuffer()/fromSharedBuffer() publish a plan set to other threads; swap the whole object to update.
 */
export class ReplicaPlans {
  readonly size: number;
  readonly hi: Int32Array;
  readonly lo: Int32Array;
  readonly offsets: Int32Array;
  readonly localCounts: Int32Array;
  readonly replicas: Int32Array;

  private constructor(hi: Int32Array, lo: Int32Array, offsets: Int32Array, localCounts: Int32Array, replicas: Int32Array) {
    this.size = hi.length;
    this.hi = hi;
    this.lo = lo;
    this.offsets = offsets;
    this.localCounts = localCounts;
    this.replicas = replicas;
  }

  /** Computes every range's replicas. `hosts[i]` is the location of host index i (as in the ring). */
  static build(
    ring: TokenRing,
    strategy: ReplicationStrategy,
    hosts: readonly HostLocation[],
    localDatacenter: string | null = null,
  ): ReplicaPlans {
    const n = ring.size;
    const offsets = new Int32Array(n + 1);
    const localCounts = new Int32Array(n);
    const all: number[] = [];
    for (let r = 0; r < n; r++) {
      const list = computeReplicas(ring, r, strategy, hosts);
      offsets[r] = all.length;
      if (localDatacenter === null) {
        for (const h of list) all.push(h);
        localCounts[r] = list.length;
      } else {
        let local = 0;
        for (const h of list) {
          if (hosts[h]?.datacenter === localDatacenter) {
            all.push(h);
            local++;
          }
        }
        for (const h of list) {
          if (hosts[h]?.datacenter !== localDatacenter) all.push(h);
        }
        localCounts[r] = local;
      }
    }
    offsets[n] = all.length;
    return new ReplicaPlans(ring.hi.slice(), ring.lo.slice(), offsets, localCounts, Int32Array.from(all));
  }

  /** The range holding token (hi, lo); -1 when the ring is empty. */
  rangeIndexOf(hi: number, lo: number): number {
    return searchRing(this.hi, this.lo, this.size, hi, lo);
  }

  /** Primary replica of token (hi, lo) (in the local DC first when one was given); -1 when none. */
  firstReplicaOf(hi: number, lo: number): number {
    const r = this.rangeIndexOf(hi, lo);
    if (r < 0 || this.offsets[r] === this.offsets[r + 1]) return -1;
    return this.replicas[this.offsets[r]!]!;
  }

  /** One SharedArrayBuffer holding the whole plan set (see the layout above). */
  toSharedBuffer(): SharedArrayBuffer {
    const n = this.size;
    const count = this.replicas.length;
    const sab = new SharedArrayBuffer(4 * (HEADER_INTS + n * 4 + 1 + count));
    const i32 = new Int32Array(sab);
    i32[0] = MAGIC;
    i32[1] = n;
    i32[2] = count;
    let p = HEADER_INTS;
    i32.set(this.hi, p);
    i32.set(this.lo, (p += n));
    i32.set(this.offsets, (p += n));
    i32.set(this.localCounts, (p += n + 1));
    i32.set(this.replicas, p + n);
    return sab;
  }

  /** Maps a buffer from toSharedBuffer() (views, no copy). Throws ArgumentError on anything else. */
  static fromSharedBuffer(sab: SharedArrayBuffer): ReplicaPlans {
    const head = new Int32Array(sab, 0, Math.min(HEADER_INTS, sab.byteLength >> 2));
    const n = head[1]!;
    const count = head[2]!;
    if (head.length < HEADER_INTS || head[0] !== MAGIC || sab.byteLength !== 4 * (HEADER_INTS + n * 4 + 1 + count)) {
      throw new ArgumentError('Not a ReplicaPlans buffer');
    }
    let p = HEADER_INTS * 4;
    const hi = new Int32Array(sab, p, n);
    const lo = new Int32Array(sab, (p += 4 * n), n);
    const offsets = new Int32Array(sab, (p += 4 * n), n + 1);
    const localCounts = new Int32Array(sab, (p += 4 * (n + 1)), n);
    const replicas = new Int32Array(sab, p + 4 * n, count);
    return new ReplicaPlans(hi, lo, offsets, localCounts, replicas);
  }
}
