// The sharded engine's topology handling without a server: host state from connection events, routing
// around down hosts, control connection failover, host add/remove. The engine's workers and queries are
// replaced by stubs on the instance (private members reached through a cast).
import { describe, expect, it, vi } from 'vitest';
import { parseReplication, tokenToHiLo } from '@shardcql/core';
import type { ConnectionSpec, ConnectResult, ToWorker } from '@shardcql/shard-worker';
import { ShardedEngine, type EngineHost, type EngineOptions } from '../src/engine';
import { RoutingTable, type TopologyHost } from '../src/engine/topology';
import { ConnIndexPool } from '../src/engine/conn-indexes';
import { ConnectionTable } from '../src/engine/routing/connection-table';
import { route, routeBy } from './helpers/route';

interface HostStateLike extends EngineHost {
  ip: string;
  port: number;
  rr: number;
  local: boolean;
  index: number;
}

interface Internals {
  hostStates: HostStateLike[];
  connTable: ConnectionTable;
  table: RoutingTable | null;
  activePlans: unknown;
  connected: boolean;
  connIndexes: ConnIndexPool;
  requester: { targetHost: Int32Array };
  cluster: {
    strategies: Map<string, unknown>;
    localDc: string | null;
    murmur3: boolean;
    perHost: number;
    controlConn: number;
    register: (conn: number) => Promise<void>;
    scheduler: { now: (what: number) => Promise<void>; request: (what: number) => void };
    mergeHosts: (fresh: TopologyHost[]) => Promise<void>;
  };
  workers: {
    list: Array<{ post: (m: ToWorker) => void }>;
    openConnections: (w: number, specs: ConnectionSpec[]) => Promise<ConnectResult[]>;
    onMessage: ShardedEngine['workers']['onMessage'];
  };
  rebuildTable: () => void;
  route: ShardedEngine['route'];
}

const options: EngineOptions = {
  contactPoints: ['127.0.0.1'],
  port: 9042,
  localDataCenter: 'dc1',
  keyspace: null,
  credentials: null,
  sslOptions: null,
  compression: 'none',
  workers: 2,
  connectionsPerHost: 2,
  maxProtocolVersion: 5,
  connectTimeoutMs: 1000,
  heartbeatIntervalMs: 30_000,
  coalescingThreshold: 65536,
  maxRequestsPerConnection: 32768,
  applicationName: null,
  applicationVersion: null,
  clientId: null,
};

function topo(n: number, dc: string, tokens: string[]): TopologyHost {
  const ip = `10.0.0.${n}`;
  return {
    address: `${ip}:9042`,
    ip,
    port: 9042,
    datacenter: dc,
    rack: 'r1',
    hostId: `h${n}`,
    cassandraVersion: '5.0.9',
    tokens,
    schemaVersion: null,
  };
}

/** Three local hosts (2 connections each: conns 2h, 2h+1) and one remote host; control on conn 0. */
function fakeEngine(): {
  engine: ShardedEngine;
  e: Internals;
  posts: Array<{ w: number; m: ToWorker }>;
  registered: number[];
  events: string[];
} {
  const engine = new ShardedEngine(options);
  const e = engine as unknown as Internals;
  const posts: Array<{ w: number; m: ToWorker }> = [];
  const registered: number[] = [];
  const events: string[] = [];
  e.workers.list = [0, 1].map((w) => ({ post: (m: ToWorker) => posts.push({ w, m }) }));
  e.requester = { targetHost: new Int32Array(0) };
  e.cluster.perHost = 2;
  e.cluster.localDc = 'dc1';
  e.cluster.murmur3 = true;
  e.cluster.register = async (c: number) => {
    registered.push(c);
  };
  e.cluster.scheduler.now = async () => undefined;
  e.workers.openConnections = async (_w, specs) =>
    specs.map((s) => ({ conn: s.conn, ok: true, protocolVersion: 5, supported: null, error: null }));
  const hosts = [
    topo(1, 'dc1', ['-6000000000000000000']),
    topo(2, 'dc1', ['0']),
    topo(3, 'dc1', ['6000000000000000000']),
    topo(4, 'dc2', ['100']),
  ];
  e.hostStates = hosts.map((t, h) => ({ ...t, up: true, rr: 0, local: h < 3, index: h }));
  e.connTable.setHostCount(4);
  for (let c = 0; c < 6; c++) {
    e.connTable.add(c, c % 2, c >> 1, { conn: c, host: hosts[c >> 1]!.ip, port: 9042, localPort: null });
    e.connTable.setUp(c, true);
  }
  for (let c = 0; c < 6; c++) e.connIndexes.acquire(); // the six above are taken
  expect(Array.from(e.connTable.usableMarks)).toEqual([1, 1, 1, 0]);
  e.cluster.strategies = new Map([['ks', parseReplication({ class: 'SimpleStrategy', replication_factor: '1' })]]);
  e.rebuildTable();
  e.cluster.controlConn = 0;
  e.connected = true;
  for (const name of ['hostUp', 'hostDown', 'hostAdd', 'hostRemove'])
    engine.on(name, (h: EngineHost) => events.push(`${name} ${h.address}`));
  return { engine, e, posts, registered, events };
}

const hl = new Int32Array(2);
function tok(t: bigint): [number, number] {
  tokenToHiLo(t, hl);
  return [hl[0]!, hl[1]!];
}

const state = (conn: number, up: boolean) => ({ type: 'connection-state' as const, conn, up, error: null, shard: -1 });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('the sharded engine: host state and failover (no server)', () => {
  it('routes a token to its replica, and around it when its host goes down', () => {
    const { engine, e, events } = fakeEngine();
    routeBy(e, 'ks');
    const [hi, lo] = tok(-1n); // owned by 10.0.0.2 (token 0): connections 2 and 3
    expect([2, 3]).toContain(route(e, hi, lo, true, -1));
    engine.workers.onMessage(null as never, state(2, false));
    expect(events).toEqual([]);
    expect(route(e, hi, lo, true, -1)).toBe(3);
    engine.workers.onMessage(null as never, state(3, false));
    expect(events).toEqual(['hostDown 10.0.0.2:9042']);
    for (let i = 0; i < 10; i++) expect([0, 1, 4, 5]).toContain(route(e, hi, lo, true, -1));
    expect(route(e, hi, lo, true, 1)).toBe(-1); // pinned to the down host
    engine.workers.onMessage(null as never, state(3, true));
    expect(events).toEqual(['hostDown 10.0.0.2:9042', 'hostUp 10.0.0.2:9042']);
    expect(route(e, hi, lo, true, -1)).toBe(3);
  });

  it('moves the control connection to another host when its connection dies', async () => {
    const { engine, e, registered } = fakeEngine();
    const logs: string[] = [];
    engine.on('log', (_l: string, m: string) => logs.push(m));
    engine.workers.onMessage(null as never, state(0, false));
    await tick();
    expect(registered).toEqual([2]);
    expect(e.cluster.controlConn).toBe(2);
    expect(logs.join('\n')).toMatch(/control connection moved to 10\.0\.0\.2:9042/);
  });

  it('waits for any connection to open when none is left, then takes it', async () => {
    const { engine, e, registered, events } = fakeEngine();
    for (let c = 0; c < 6; c++) engine.workers.onMessage(null as never, state(c, false));
    await tick();
    expect(e.cluster.controlConn).toBe(-1);
    expect(events.filter((x) => x.startsWith('hostDown'))).toHaveLength(3);
    expect(route(e, 0, 0, false, -1)).toBe(-1);
    engine.workers.onMessage(null as never, state(5, true));
    await tick();
    expect(registered).toEqual([2, 5]); // 2 closed while its REGISTER was in flight: not kept
    expect(e.cluster.controlConn).toBe(5);
  });

  it('follows STATUS_CHANGE for remote hosts and asks for a reconnect for local ones', () => {
    const { engine, e, posts, events } = fakeEngine();
    const requested: number[] = [];
    e.cluster.scheduler.request = (w: number) => requested.push(w);
    engine.workers.onMessage(null as never, {
      type: 'event',
      conn: -1,
      event: { type: 'STATUS_CHANGE', change: 'DOWN', address: '10.0.0.4', port: 9042 },
    });
    expect(events).toEqual(['hostDown 10.0.0.4:9042']);
    engine.workers.onMessage(null as never, state(4, false));
    engine.workers.onMessage(null as never, state(5, false));
    engine.workers.onMessage(null as never, {
      type: 'event',
      conn: -1,
      event: { type: 'STATUS_CHANGE', change: 'UP', address: '10.0.0.3', port: 9042 },
    });
    expect(posts).toEqual([
      { w: 0, m: { type: 'reconnect-now', conns: [4] } },
      { w: 1, m: { type: 'reconnect-now', conns: [5] } },
    ]);
    expect(requested).toEqual([1, 1]);
  });

  it('adds and removes hosts: connections, events, compacted indexes, new plans', async () => {
    const { engine, e, posts, events } = fakeEngine();
    const before = e.hostStates.map((h) => h.address);
    // 10.0.0.2 leaves, 10.0.0.5 (dc1) and 10.0.0.6 (dc2) join.
    const fresh = [
      topo(1, 'dc1', ['-6000000000000000000']),
      topo(3, 'dc1', ['6000000000000000000']),
      topo(4, 'dc2', ['100']),
      topo(5, 'dc1', ['0']),
      topo(6, 'dc2', ['200']),
    ];
    await e.cluster.mergeHosts(fresh);
    e.rebuildTable();
    expect(before).toHaveLength(4);
    expect(engine.hosts.map((h) => h.address)).toEqual([
      '10.0.0.1:9042',
      '10.0.0.3:9042',
      '10.0.0.4:9042',
      '10.0.0.5:9042',
      '10.0.0.6:9042',
    ]);
    expect(events).toEqual([
      'hostRemove 10.0.0.2:9042',
      'hostAdd 10.0.0.5:9042',
      'hostUp 10.0.0.5:9042',
      'hostAdd 10.0.0.6:9042',
      'hostUp 10.0.0.6:9042',
    ]);
    expect(posts).toEqual([
      { w: 0, m: { type: 'close-connections', conns: [2] } },
      { w: 1, m: { type: 'close-connections', conns: [3] } },
    ]);
    expect(Array.from(e.connTable.host.subarray(0, 8))).toEqual([0, 0, -1, -1, 1, 1, 3, 3]);
    expect(Array.from(e.requester.targetHost.subarray(0, 8))).toEqual([0, 0, -1, -1, 1, 1, 3, 3]);
    expect(e.connTable.connsOf(4)).toEqual([]); // remote: no connections
    routeBy(e, 'ks');
    const [hi, lo] = tok(-1n); // now owned by 10.0.0.5 (index 3): connections 6, 7
    expect([6, 7]).toContain(route(e, hi, lo, true, -1));
  });

  it('engine.route() allocates nothing over 1e6 token-aware picks', async () => {
    const { e } = fakeEngine();
    routeBy(e, 'ks');
    const hi = new Int32Array(1024);
    const lo = new Int32Array(1024);
    for (let i = 0; i < 1024; i++) [hi[i], lo[i]] = tok(BigInt(i) * 18_014_398_509_481_951n - 9_000_000_000_000_000_000n);
    let sink = 0;
    for (let i = 0; i < 200_000; i++) sink += route(e, hi[i & 1023]!, lo[i & 1023]!, true, -1);
    const { PerformanceObserver } = await import('node:perf_hooks');
    let gcs = 0;
    const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
    obs.observe({ entryTypes: ['gc'] });
    await new Promise((r) => setTimeout(r, 20));
    gcs = 0;
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) sink += route(e, hi[i & 1023]!, lo[i & 1023]!, true, -1);
    const delta = process.memoryUsage().heapUsed - before;
    await new Promise((r) => setTimeout(r, 20));
    obs.disconnect();
    console.log(`engine.route: 1e6 picks, heapUsed delta ${delta} bytes, GCs ${gcs}`);
    expect(sink).toBeGreaterThan(0);
    // Under 1 byte per lookup (JIT code and a busy test process move heapUsed by a few hundred KB).
    expect(delta).toBeLessThan(1024 * 1024);
    expect(gcs).toBeLessThanOrEqual(1);
  });

  it('logs and survives a table built from bad topology data', () => {
    const { engine, e } = fakeEngine();
    const logs: string[] = [];
    engine.on('log', (_l: string, m: string) => logs.push(m));
    e.hostStates[1]!.tokens = ['not-a-token'];
    e.hostStates[2]!.tokens = [];
    e.cluster.strategies = new Map();
    e.rebuildTable();
    expect(logs.join('\n')).toMatch(/token not-a-token of host 1: invalid token: skipped/);
    routeBy(e, 'ks');
    const [hi, lo] = tok(-1n);
    expect(route(e, hi, lo, true, -1)).toBeGreaterThanOrEqual(0);
    const spy = vi.fn();
    engine.on('hostDown', spy);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('the sharded engine: connection indexes are given back and used again (no server)', () => {
  /** 10.0.0.3 (token 6e18) replaced by a new host, `rounds` times; the ring requester has `busy` in flight. */
  async function replaceHost3(rounds: number, busy: Set<number> = new Set()) {
    const f = fakeEngine();
    const { e } = f;
    // No quarantine here (its timing is conn-indexes.test.ts's): an index is usable once nothing targets it.
    e.connIndexes = new ConnIndexPool(0);
    for (let c = 0; c < 6; c++) e.connIndexes.acquire();
    (e.requester as unknown as { hasInFlightTo(c: number): boolean }).hasInFlightTo = (c) => busy.has(c);
    const order: string[] = [];
    f.posts.length = 0;
    e.workers.list = [0, 1].map((w) => ({
      post: (m: ToWorker) => {
        f.posts.push({ w, m });
        if (m.type === 'close-connections') order.push(...m.conns.map((c) => `close ${c}`));
      },
    }));
    e.workers.openConnections = async (_w, specs) => {
      order.push(...specs.map((s) => `open ${s.conn} ${s.host}`));
      return specs.map((s) => ({ conn: s.conn, ok: true, protocolVersion: 5, supported: null, error: null }));
    };
    routeBy(e, 'ks');
    const [hi, lo] = tok(5_000_000_000_000_000_000n); // owned by the host with token 6e18
    let ip = '10.0.0.3';
    for (let r = 0; r < rounds; r++) {
      ip = `10.1.${r >> 8}.${r & 255}`;
      const fresh = { ...topo(9, 'dc1', ['6000000000000000000']), address: `${ip}:9042`, ip, hostId: `r${r}` };
      await e.cluster.mergeHosts([topo(1, 'dc1', ['-6000000000000000000']), topo(2, 'dc1', ['0']), fresh, topo(4, 'dc2', ['100'])]);
      e.rebuildTable();
      // Routing: the token's connection is one of the new host's, and every table agrees on whose it is.
      const c = route(e, hi, lo, true, -1);
      expect(e.connTable.specOf(c)!.host).toBe(ip);
      for (let h = 0; h < e.hostStates.length; h++) {
        for (const k of e.connTable.connsOf(h)) {
          expect(e.connTable.hostOf(k)).toBe(h);
          expect(e.requester.targetHost[k]).toBe(h);
          expect(e.connTable.specOf(k)!.host).toBe(e.hostStates[h]!.ip);
        }
      }
    }
    return { ...f, order, ip };
  }

  it('1000 host replacements: the indexes stay bounded, requests still reach the right host', async () => {
    const { e, order } = await replaceHost3(1000);
    expect(e.connIndexes.highWater).toBeLessThanOrEqual(8);
    expect(Math.max(...e.hostStates.flatMap((_h, i) => e.connTable.connsOf(i)))).toBeLessThan(8);
    // A worker is told to close an index before the index is opened for another host.
    const firstClose = order.indexOf('close 4');
    expect(firstClose).toBeGreaterThanOrEqual(0);
    expect(order.findIndex((x) => x.startsWith('open 4 '))).toBeGreaterThan(firstClose);
  });

  it('an index a request in flight still targets is not used again', async () => {
    const { e } = await replaceHost3(20, new Set([4]));
    expect(e.hostStates.flatMap((_h, i) => e.connTable.connsOf(i))).not.toContain(4);
    expect(e.connIndexes.highWater).toBeLessThanOrEqual(9);
  });

  it("a handle made before an index was given back sees the index's new connection as the new host's, not its old one", async () => {
    const f = fakeEngine();
    const { engine, e } = f;
    e.connIndexes = new ConnIndexPool(0);
    for (let c = 0; c < 6; c++) e.connIndexes.acquire();
    (e.requester as unknown as { hasInFlightTo(c: number): boolean }).hasInFlightTo = () => false;
    // A handle's view of the table, made now: host 10.0.0.3 (index 2) has connections 4 and 5, both up.
    const handle = new ConnectionTable(e.connTable.share());
    expect(handle.connsOf(2)).toEqual([4, 5]);
    expect(e.hostStates[2]!.ip).toBe('10.0.0.3');
    const fresh = { ...topo(9, 'dc1', ['6000000000000000000']), address: '10.9.9.9:9042', ip: '10.9.9.9', hostId: 'new' };
    await e.cluster.mergeHosts([topo(1, 'dc1', ['-6000000000000000000']), topo(2, 'dc1', ['0']), fresh, topo(4, 'dc2', ['100'])]);
    const h = e.hostStates.findIndex((x) => x.ip === '10.9.9.9');
    expect(e.connTable.connsOf(h)).toEqual([4, 5]); // the new host holds the indexes now
    // The handle reads the owner's table itself: the indexes are the new host's there too, never 10.0.0.3's.
    expect(e.hostStates.some((x) => x.ip === '10.0.0.3')).toBe(false);
    expect(handle.connsOf(h)).toEqual([4, 5]);
    expect([handle.hostOf(4), handle.hostOf(5)]).toEqual([h, h]);
    engine.workers.onMessage(null as never, state(4, false));
    expect(handle.isUp(4)).toBe(false);
    engine.workers.onMessage(null as never, state(4, true));
    engine.workers.onMessage(null as never, state(2, false));
    expect([0, 1, 2, 3, 4, 5].map((c) => handle.isUp(c))).toEqual([true, true, false, true, true, true]);
  });
});
