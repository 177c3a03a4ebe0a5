import { describe, expect, it, vi } from 'vitest';
import { parseReplication, tokenToHiLo, type ReplicationStrategy } from '@shardcql/core';
import {
  RefreshScheduler,
  RoutingTable,
  parseKeyspaceRows,
  parseTopologyRows,
  refreshFor,
  schemaVersionsAgree,
  waitForAgreement,
  REFRESH_KEYSPACES,
  REFRESH_TOPOLOGY,
  type RoutingHost,
} from '../src/engine/topology';
import { ConnectionTable } from '../src/engine/routing/connection-table';
import { Router } from '../src/engine/routing/router';
import { EngineRequest } from '../src/engine/request';

const hl = new Int32Array(2);
function half(t: bigint): [number, number] {
  tokenToHiLo(t, hl);
  return [hl[0]!, hl[1]!];
}

describe('parseTopologyRows: bad rows are reported and skipped', () => {
  const local = {
    key: 'local',
    data_center: 'dc1',
    rack: 'r1',
    host_id: 'h0',
    release_version: '5.0.9',
    tokens: ['-100', '100'],
    partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    schema_version: 'v1',
  };

  it('reads local and peers, skipping a null address, keeping a host without tokens', () => {
    const peers = [
      { peer: '10.0.0.2', rpc_address: '10.0.0.2', data_center: 'dc1', rack: 'r2', tokens: new Set(['0']) },
      { peer: '10.0.0.3', rpc_address: null, data_center: 'dc1', rack: 'r1', tokens: ['50'] },
      { peer: '10.0.0.4', rpc_address: '10.0.0.4', data_center: 'dc1', rack: 'r1', tokens: [] },
      { peer: '10.0.0.5', rpc_address: '0.0.0.0', data_center: 'dc2', rack: 'r1', tokens: ['7', 'abc', '99999999999999999999'] },
      { peer: '10.0.0.2', rpc_address: '10.0.0.2', data_center: 'dc1', rack: 'r2', tokens: ['1'] },
      { peer: null, rpc_address: null },
    ];
    const t = parseTopologyRows(local, peers, false, { host: '127.0.0.1', port: 9042 }, 9042);
    expect(t.partitioner).toMatch(/Murmur3/);
    expect(t.hosts.map((h) => h.address)).toEqual(['127.0.0.1:9042', '10.0.0.2:9042', '10.0.0.4:9042', '10.0.0.5:9042']);
    expect(t.hosts[0]!.tokens).toEqual(['-100', '100']);
    expect(t.hosts[1]!.tokens).toEqual(['0']);
    expect(t.hosts[2]!.tokens).toEqual([]);
    expect(t.hosts[3]!.tokens).toEqual(['7']);
    const problems = t.problems.join('\n');
    expect(problems).toMatch(/10\.0\.0\.3.*no native address: skipped/);
    expect(problems).toMatch(/10\.0\.0\.4.*no tokens/);
    expect(problems).toMatch(/"abc" is not a signed 64-bit integer/);
    expect(problems).toMatch(/"99999999999999999999" is not a signed 64-bit integer/);
    expect(problems).toMatch(/duplicate address 10\.0\.0\.2:9042/);
    expect(problems).toMatch(/peer null\) has no native address/);
  });

  it('uses native_address and native_port from peers_v2; survives a missing local row', () => {
    const peers = [
      {
        peer: '10.0.0.2',
        native_address: { toString: () => '10.0.0.2' },
        native_port: 19042,
        data_center: 'dc1',
        rack: 'r1',
        tokens: ['5'],
      },
    ];
    const t = parseTopologyRows(undefined, peers, true, { host: '127.0.0.1', port: 9042 }, 9042);
    expect(t.hosts.map((h) => h.address)).toEqual(['127.0.0.1:9042', '10.0.0.2:19042']);
    expect(t.partitioner).toBeNull();
    expect(t.problems.join('\n')).toMatch(/system.local returned no row/);
  });
});

describe('parseKeyspaceRows', () => {
  it('parses the known classes and skips the rest with a message', () => {
    const r = parseKeyspaceRows([
      { keyspace_name: 'a', replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '3' } },
      {
        keyspace_name: 'b',
        replication: new Map([
          ['class', 'org.apache.cassandra.locator.NetworkTopologyStrategy'],
          ['dc1', '2'],
          ['dc2', '1'],
        ]),
      },
      { keyspace_name: 'system', replication: { class: 'org.apache.cassandra.locator.LocalStrategy' } },
      { keyspace_name: 'c', replication: { class: 'com.example.MagicStrategy' } },
      { keyspace_name: 'd', replication: { class: 'SimpleStrategy', replication_factor: 'three' } },
      { keyspace_name: 'e', replication: null },
      { keyspace_name: null, replication: {} },
    ]);
    expect([...r.strategies.keys()]).toEqual(['a', 'b', 'system']);
    expect(r.strategies.get('a')).toEqual({ kind: 'simple', replicationFactor: 3 });
    expect(r.problems).toHaveLength(4);
    expect(r.problems.join('\n')).toMatch(/keyspace c: Unknown replication class/);
  });
});

// Six hosts, two DCs, two racks each; ring tokens 0,10,...,110 owned round robin.
function sixHosts(): RoutingHost[] {
  const hosts: RoutingHost[] = [];
  for (let h = 0; h < 6; h++) {
    hosts.push({ datacenter: h < 3 ? 'dc1' : 'dc2', rack: `r${h % 2}`, tokens: [String(h * 10), String(h * 10 + 60)] });
  }
  return hosts;
}

function usableAll(n: number): Uint8Array {
  return new Uint8Array(n).fill(1);
}

/**
 * The router (routing/router.ts) over routing table `t` and one connection per host (connection h of host h),
 * up where `u[h]` is 1: select() is the host it picks (-1: none), as RoutingTable.select was.
 */
class Picker {
  private readonly conns = new ConnectionTable();
  private readonly router: Router;
  private readonly req = new EngineRequest();
  constructor(private readonly t: RoutingTable) {
    const n = t.hostCount;
    this.conns.setHostCount(n);
    for (let h = 0; h < n; h++) this.conns.add(h, 0, h, { conn: h, host: `10.0.0.${h}`, port: 9042, localPort: null });
    this.router = new Router(this.conns);
    this.router.setHosts(Array.from({ length: n }, () => ({ sharder: null, hostId: null })));
    this.router.setTopology({ ring: t.ring, isLocal: t.isLocal, plans: t.keyspacePlans });
  }

  select(keyspace: string | null, hi: number, lo: number, hasToken: boolean, u: Uint8Array, lwt: boolean): number {
    for (let h = 0; h < this.t.hostCount; h++) if (this.conns.isUp(h) !== (u[h] === 1)) this.conns.setUp(h, u[h] === 1);
    const req = this.req;
    req.setToken(hasToken, hi, lo);
    req.keyspace = keyspace;
    req.lwt = lwt;
    const c = this.router.route(req);
    return c < 0 ? -1 : this.conns.hostOf(c);
  }
}

describe('RoutingTable', () => {
  const strategies = new Map<string, ReplicationStrategy>([
    ['s3', parseReplication({ class: 'SimpleStrategy', replication_factor: '3' })],
    ['s3b', parseReplication({ class: 'SimpleStrategy', replication_factor: '3' })],
    ['nts', parseReplication({ class: 'NetworkTopologyStrategy', dc1: '2', dc2: '2' })],
    ['sys', { kind: 'local' }],
  ]);

  it('shares plans between keyspaces of equal replication', () => {
    const t = RoutingTable.build(sixHosts(), strategies, 'dc1', true, () => undefined);
    expect(t.plansFor('s3')).toBe(t.plansFor('s3b'));
    expect(t.plansFor('sys')).toBeNull();
    expect(t.plansFor('unknown')).toBeNull();
    expect(t.distinctPlans).toBe(2);
  });

  it('routes to the local replicas round robin, primary first when asked', () => {
    const t = new Picker(RoutingTable.build(sixHosts(), strategies, 'dc1', true, () => undefined));
    const plans = 'nts';
    // Token 15 is in range (10, 20], ring order from 20: hosts 2, 3, 4, 5, 0, 1. dc1 (RF 2, racks r0, r1):
    // 2 (r0), then 0 is skipped (r0 again, no rack repeats allowed), then 1 (r1).
    const [hi, lo] = half(15n);
    const u = usableAll(6);
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) seen.add(t.select(plans, hi, lo, true, u, false));
    expect([...seen].sort()).toEqual([1, 2]);
    for (let i = 0; i < 5; i++) expect(t.select(plans, hi, lo, true, u, true)).toBe(2);
  });

  it('skips a down replica, then remote replicas, then other local hosts', () => {
    const t = new Picker(RoutingTable.build(sixHosts(), strategies, 'dc1', true, () => undefined));
    const plans = 'nts';
    const [hi, lo] = half(15n);
    const u = usableAll(6);
    u[2] = 0;
    for (let i = 0; i < 4; i++) expect(t.select(plans, hi, lo, true, u, false)).toBe(1);
    u[1] = 0;
    // dc2 replicas of the range in ring order: 3, 4.
    expect(t.select(plans, hi, lo, true, u, true)).toBe(3);
    u[3] = 0;
    u[4] = 0;
    // No replica left: the local DC's remaining host.
    expect(t.select(plans, hi, lo, true, u, true)).toBe(0);
    u[0] = 0;
    expect(t.select(plans, hi, lo, true, u, true)).toBe(5);
    u[5] = 0;
    expect(t.select(plans, hi, lo, true, u, true)).toBe(-1);
  });

  it('without a plan uses the local ring owner, else round robin over local hosts', () => {
    const table = RoutingTable.build(sixHosts(), strategies, 'dc1', true, () => undefined);
    const t = new Picker(table);
    const u = usableAll(6);
    const [hi, lo] = half(15n);
    expect(t.select(null, hi, lo, true, u, false)).toBe(2);
    // Token 35 belongs to host 4 (dc2): not local, so round robin among dc1.
    const [h2, l2] = half(35n);
    const picks = new Set<number>();
    for (let i = 0; i < 6; i++) picks.add(t.select(null, h2, l2, true, u, false));
    expect([...picks].sort()).toEqual([0, 1, 2]);
    const nt = new Set<number>();
    expect(table.plansFor('s3')).not.toBeNull();
    for (let i = 0; i < 6; i++) nt.add(t.select('s3', 0, 0, false, u, false));
    expect([...nt].sort()).toEqual([0, 1, 2]);
  });

  it('logs and skips bad tokens; no ring without Murmur3', () => {
    const hosts = sixHosts();
    hosts[1] = { ...hosts[1]!, tokens: ['x', '10'] };
    const log = vi.fn();
    const t = RoutingTable.build(hosts, strategies, 'dc1', true, log);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/token x of host 1: invalid token/));
    expect(t.ring!.size).toBe(11); // 70 went with the bad entry's row
    const none = RoutingTable.build(hosts, strategies, 'dc1', false, log);
    expect(none.ring).toBeNull();
    expect(new Picker(none).select('s3', 0, 0, true, usableAll(6), false)).toBeGreaterThanOrEqual(0);
    const empty = RoutingTable.build([], strategies, null, true, log);
    expect(new Picker(empty).select(null, 0, 0, true, new Uint8Array(0), false)).toBe(-1);
  });

  it('picks a host for 1e6 token lookups without allocating', async () => {
    // A realistic table: 12 hosts x 256 vnodes, NTS over two DCs.
    const hosts: RoutingHost[] = [];
    let seed = 12345;
    const rnd = (): bigint => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const a = BigInt(seed);
      seed = (seed * 1103515245 + 12345) >>> 0;
      return BigInt.asIntN(64, (a << 32n) | BigInt(seed));
    };
    for (let h = 0; h < 12; h++) {
      const tokens: string[] = [];
      for (let i = 0; i < 256; i++) tokens.push(String(rnd()));
      hosts.push({ datacenter: h % 2 === 0 ? 'dc1' : 'dc2', rack: `r${h % 3}`, tokens });
    }
    const table = RoutingTable.build(
      hosts,
      new Map([['ks', parseReplication({ class: 'NetworkTopologyStrategy', dc1: '3', dc2: '3' })]]),
      'dc1',
      true,
      () => undefined,
    );
    expect(table.plansFor('ks')!.size).toBe(12 * 256);
    const t = new Picker(table);
    const plans = 'ks';
    const keysHi = new Int32Array(4096);
    const keysLo = new Int32Array(4096);
    for (let i = 0; i < 4096; i++) [keysHi[i], keysLo[i]] = half(rnd());
    const u = usableAll(12);
    u[0] = 0; // one local host down: lookups walk past it
    let sink = 0;
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) sink += t.select(plans, keysHi[i & 4095]!, keysLo[i & 4095]!, true, u, false);
    };
    run(200_000); // warm up (JIT)
    const { PerformanceObserver } = await import('node:perf_hooks');
    let gcs = 0;
    const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
    obs.observe({ entryTypes: ['gc'] });
    await new Promise((r) => setTimeout(r, 20));
    gcs = 0;
    const before = process.memoryUsage().heapUsed;
    const t0 = process.hrtime.bigint();
    run(1_000_000);
    const ns = Number(process.hrtime.bigint() - t0);
    const delta = process.memoryUsage().heapUsed - before;
    await new Promise((r) => setTimeout(r, 20));
    obs.disconnect();
    console.log(
      `routing: 1e6 lookups in ${(ns / 1e6).toFixed(1)} ms (${(ns / 1e6).toFixed(1)} ns/lookup), heapUsed delta ${delta} bytes, GCs during the loop ${gcs}`,
    );
    expect(sink).toBeGreaterThan(0);
    // One 16-byte object per lookup would be 16 MB and several scavenges.
    // Under 1 byte per lookup (JIT code and a busy test process move heapUsed by a few hundred KB).
    expect(delta).toBeLessThan(1024 * 1024);
    expect(gcs).toBeLessThanOrEqual(1);
  });
});

describe('control connection helpers', () => {
  it('maps events to refreshes', () => {
    expect(refreshFor({ type: 'TOPOLOGY_CHANGE', change: 'NEW_NODE', address: '1.2.3.4', port: 9042 })).toBe(REFRESH_TOPOLOGY);
    expect(refreshFor({ type: 'STATUS_CHANGE', change: 'DOWN', address: '1.2.3.4', port: 9042 })).toBe(REFRESH_TOPOLOGY);
    expect(refreshFor({ type: 'SCHEMA_CHANGE', change: 'UPDATED', target: 'KEYSPACE', keyspace: 'k', name: null, argTypes: null })).toBe(
      REFRESH_KEYSPACES,
    );
    expect(refreshFor({ type: 'SCHEMA_CHANGE', change: 'CREATED', target: 'TABLE', keyspace: 'k', name: 't', argTypes: null })).toBe(0);
  });

  it('debounces a burst of requests into one refresh and never overlaps refreshes', async () => {
    vi.useFakeTimers();
    try {
      const runs: number[] = [];
      let release: () => void = () => undefined;
      const s = new RefreshScheduler(
        1000,
        (what) => {
          runs.push(what);
          return new Promise<void>((r) => (release = r));
        },
        () => undefined,
      );
      s.request(REFRESH_TOPOLOGY);
      s.request(REFRESH_KEYSPACES);
      s.request(REFRESH_TOPOLOGY);
      await vi.advanceTimersByTimeAsync(999);
      expect(runs).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(runs).toEqual([REFRESH_TOPOLOGY | REFRESH_KEYSPACES]);
      // Asked for while one runs: runs right after it, once.
      s.request(REFRESH_KEYSPACES);
      s.request(REFRESH_KEYSPACES);
      await vi.advanceTimersByTimeAsync(5000);
      expect(runs).toHaveLength(1);
      release();
      await vi.advanceTimersByTimeAsync(0);
      expect(runs).toEqual([3, REFRESH_KEYSPACES]);
      release();
      await vi.advanceTimersByTimeAsync(0);
      const n = s.now(REFRESH_TOPOLOGY);
      await vi.advanceTimersByTimeAsync(0);
      expect(runs).toEqual([3, REFRESH_KEYSPACES, REFRESH_TOPOLOGY]);
      release();
      await n;
      expect(s.runs).toBe(3);
      s.stop();
      s.request(REFRESH_TOPOLOGY);
      await vi.advanceTimersByTimeAsync(5000);
      expect(s.runs).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('checks schema agreement over up hosts only', () => {
    const up = (ip: string): boolean => ip !== '10.0.0.9';
    const local = { schema_version: 'a' };
    expect(schemaVersionsAgree(local, [{ peer: '10.0.0.2', rpc_address: '10.0.0.2', schema_version: 'a' }], false, up)).toBe(true);
    expect(schemaVersionsAgree(local, [{ peer: '10.0.0.2', rpc_address: '10.0.0.2', schema_version: 'b' }], false, up)).toBe(false);
    expect(schemaVersionsAgree(local, [{ peer: '10.0.0.9', rpc_address: '10.0.0.9', schema_version: 'b' }], false, up)).toBe(true);
    expect(schemaVersionsAgree(local, [{ peer: '10.0.0.2', native_address: '10.0.0.2', schema_version: null }], true, up)).toBe(true);
  });

  it('waits for schema agreement: checks again until a round agrees, a round ends it, or the wait is over', async () => {
    const rounds = (answers: (boolean | null)[]): { round: () => Promise<boolean | null>; asked: () => number } => {
      let asked = 0;
      return { round: async () => answers[Math.min(asked++, answers.length - 1)]!, asked: () => asked };
    };
    const agrees = rounds([false, false, true]);
    expect(await waitForAgreement(agrees.round, 10_000)).toBe(true);
    expect(agrees.asked()).toBe(3);
    const ended = rounds([false, null, true]);
    expect(await waitForAgreement(ended.round, 10_000)).toBe(false);
    expect(ended.asked()).toBe(2);
    const never = rounds([false]);
    const started = Date.now();
    expect(await waitForAgreement(never.round, 300)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(never.asked()).toBeGreaterThanOrEqual(2);
  });
});
