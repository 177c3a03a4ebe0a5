import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  ReplicaPlans,
  TokenRing,
  computeReplicas,
  murmur3TokenHiLo,
  parseReplication,
  type HostLocation,
  type ReplicationStrategy,
} from '@shardcql/core';

const A = 0, B = 1, C = 2, D = 3; // prettier-ignore

/** One token per host, in the given ring order: tokens 100, 200, ... */
function ringOf(order: number[]): TokenRing {
  return new TokenRing(order.map((h, i) => [String((i + 1) * 100), h] as const));
}
const nts = (f: Record<string, number>): ReplicationStrategy => ({
  kind: 'network-topology',
  replicationFactors: new Map(Object.entries(f)),
});
const loc = (datacenter: string, rack: string): HostLocation => ({ datacenter, rack });

describe('parseReplication', () => {
  it('reads system_schema.keyspaces replication maps', () => {
    expect(parseReplication({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '3' })).toEqual({
      kind: 'simple',
      replicationFactor: 3,
    });
    const s = parseReplication({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: '3', dc2: '2/1' });
    expect(s.kind).toBe('network-topology');
    expect(s.kind === 'network-topology' && [...s.replicationFactors]).toEqual([
      ['dc1', 3],
      ['dc2', 2],
    ]);
    expect(parseReplication({ class: 'org.apache.cassandra.locator.LocalStrategy' })).toEqual({ kind: 'local' });
    expect(parseReplication({ class: 'EverywhereStrategy' })).toEqual({ kind: 'everywhere' });
  });

  it('rejects unknown classes and bad factors with ArgumentError', () => {
    expect(() => parseReplication({ class: 'com.example.Mine' })).toThrow(ArgumentError);
    expect(() => parseReplication({ class: 'SimpleStrategy', replication_factor: 'x' })).toThrow(ArgumentError);
    expect(() => parseReplication({ class: 'SimpleStrategy' })).toThrow(ArgumentError);
  });
});

describe('computeReplicas', () => {
  it('SimpleStrategy walks the ring taking distinct hosts (vnodes repeat hosts)', () => {
    const ring = ringOf([A, A, B, A, C]);
    const simple = (rf: number): ReplicationStrategy => ({ kind: 'simple', replicationFactor: rf });
    expect(computeReplicas(ring, 0, simple(2), [])).toEqual([A, B]);
    expect(computeReplicas(ring, 3, simple(3), [])).toEqual([A, C, B]);
    expect(computeReplicas(ring, 4, simple(5), [])).toEqual([C, A, B]);
    expect(computeReplicas(ring, 0, { kind: 'local' }, [])).toEqual([]);
    expect(computeReplicas(ring, 2, { kind: 'everywhere' }, [])).toEqual([B, A, C]);
  });

  it('NetworkTopologyStrategy prefers distinct racks, then allows RF - racks repeats', () => {
    const hosts = [loc('dc1', 'r1'), loc('dc1', 'r1'), loc('dc1', 'r2'), loc('dc1', 'r1')];
    const ring3 = ringOf([A, B, C]);
    // RF 2, racks 2: no repeats allowed.
    expect(computeReplicas(ring3, 0, nts({ dc1: 2 }), hosts)).toEqual([A, C]);
    expect(computeReplicas(ring3, 1, nts({ dc1: 2 }), hosts)).toEqual([B, C]);
    expect(computeReplicas(ring3, 2, nts({ dc1: 2 }), hosts)).toEqual([C, A]);
    // RF 3, racks 2: one repeat allowed.
    expect(computeReplicas(ring3, 0, nts({ dc1: 3 }), hosts)).toEqual([A, B, C]);
    // Ring A B D C, RF 3: A (r1), B (r1, the one repeat allowed), D (r1, a second repeat: skipped), C (r2).
    const ring4 = ringOf([A, B, D, C]);
    expect(computeReplicas(ring4, 0, nts({ dc1: 3 }), hosts)).toEqual([A, B, C]);
    // RF larger than the DC: every host once.
    expect(computeReplicas(ring3, 0, nts({ dc1: 5 }), hosts)).toEqual([A, B, C]);
  });

  it('NetworkTopologyStrategy fills each datacenter on its own; unknown DCs and RF 0 are ignored', () => {
    const hosts = [loc('dc1', 'r1'), loc('dc2', 'r1'), loc('dc1', 'r2'), loc('dc2', 'r1')];
    const ring = ringOf([A, B, C, D]);
    expect(computeReplicas(ring, 0, nts({ dc1: 1, dc2: 2 }), hosts)).toEqual([A, B, D]);
    expect(computeReplicas(ring, 1, nts({ dc1: 2, dc2: 1 }), hosts)).toEqual([B, C, A]);
    expect(computeReplicas(ring, 0, nts({ dc2: 1, dc3: 3, dc1: 0 }), hosts)).toEqual([B]);
  });

  it('NetworkTopologyStrategy invariants on random topologies', () => {
    const topo = fc.record({
      hosts: fc.array(fc.record({ dc: fc.integer({ min: 0, max: 2 }), rack: fc.integer({ min: 0, max: 3 }) }), {
        minLength: 1,
        maxLength: 12,
      }),
      vnodes: fc.integer({ min: 1, max: 4 }),
      rf: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(topo, ({ hosts, vnodes, rf, seed }) => {
        const locs = hosts.map((h) => loc(`dc${h.dc}`, `r${h.rack}`));
        const entries: [string, number][] = [];
        let x = seed | 0 || 1;
        for (let h = 0; h < hosts.length; h++) {
          for (let v = 0; v < vnodes; v++) {
            x = (Math.imul(x, 1103515245) + 12345) | 0;
            entries.push([String(BigInt(x) * 4294967296n + BigInt(h * 16 + v)), h]);
          }
        }
        const ring = new TokenRing(entries);
        const strategy = nts({ dc0: rf[0], dc1: rf[1], dc2: rf[2] });
        for (let r = 0; r < ring.size; r++) {
          const reps = computeReplicas(ring, r, strategy, locs);
          if (new Set(reps).size !== reps.length) return false;
          for (let dc = 0; dc < 3; dc++) {
            const inDc = locs.map((l, i) => [l, i] as const).filter(([l]) => l.datacenter === `dc${dc}`);
            const got = reps.filter((h) => locs[h].datacenter === `dc${dc}`);
            if (got.length !== Math.min(rf[dc], inDc.length)) return false;
            const racks = new Set(inDc.map(([l]) => l.rack)).size;
            const gotRacks = new Set(got.map((h) => locs[h].rack)).size;
            // As many distinct racks as possible.
            if (gotRacks !== Math.min(got.length, racks)) return false;
          }
          // Ring order: the primary is the owner of the range if its DC has replicas.
          const owner = ring.owners[r];
          if (rf[hosts[owner].dc] > 0 && reps[0] !== owner) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('ReplicaPlans', () => {
  const hosts = [loc('dc1', 'r1'), loc('dc2', 'r1'), loc('dc1', 'r2'), loc('dc2', 'r2'), loc('dc1', 'r1'), loc('dc2', 'r1')];
  const entries: [string, number][] = [];
  for (let h = 0; h < hosts.length; h++)
    for (let v = 0; v < 8; v++) entries.push([String(BigInt(Math.imul(h * 8 + v + 1, 0x9e3779b1)) * 1000003n), h]);
  const ring = new TokenRing(entries);
  const strategy = nts({ dc1: 2, dc2: 2 });

  it('gives every token the replicas of its range, local DC first, and survives a SharedArrayBuffer round trip', () => {
    const plans = ReplicaPlans.build(ring, strategy, hosts, 'dc2');
    const shared = ReplicaPlans.fromSharedBuffer(plans.toSharedBuffer());
    const hl = new Int32Array(2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (key) => {
        murmur3TokenHiLo(key, 0, key.length, hl);
        const r = ring.rangeIndexOf(hl[0], hl[1]);
        const expected = computeReplicas(ring, r, strategy, hosts);
        const local = expected.filter((h) => hosts[h].datacenter === 'dc2');
        const ordered = [...local, ...expected.filter((h) => hosts[h].datacenter !== 'dc2')];
        for (const p of [plans, shared]) {
          const pr = p.rangeIndexOf(hl[0], hl[1]);
          if (pr !== r) return false;
          const got = Array.from(p.replicas.subarray(p.offsets[pr], p.offsets[pr + 1]));
          if (JSON.stringify(got) !== JSON.stringify(ordered) || p.localCounts[pr] !== local.length) return false;
          if (p.firstReplicaOf(hl[0], hl[1]) !== ordered[0]) return false;
        }
        return true;
      }),
      { numRuns: 5000 },
    );
  });

  it('without a local DC keeps ring order (primary first)', () => {
    const plans = ReplicaPlans.build(ring, strategy, hosts);
    for (let r = 0; r < ring.size; r++) {
      expect(Array.from(plans.replicas.subarray(plans.offsets[r], plans.offsets[r + 1]))).toEqual(
        computeReplicas(ring, r, strategy, hosts),
      );
    }
  });

  it('handles an empty ring and rejects foreign buffers', () => {
    const empty = ReplicaPlans.build(new TokenRing([]), strategy, hosts);
    expect(empty.rangeIndexOf(0, 0)).toBe(-1);
    expect(empty.firstReplicaOf(0, 0)).toBe(-1);
    expect(ReplicaPlans.fromSharedBuffer(empty.toSharedBuffer()).size).toBe(0);
    expect(() => ReplicaPlans.fromSharedBuffer(new SharedArrayBuffer(64))).toThrow(ArgumentError);
  });
});
