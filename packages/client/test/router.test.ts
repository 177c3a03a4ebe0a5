// The router (engine/routing/router.ts): one lazy query plan per request, kept in the request, walked by its
// retries and speculative executions; and the client's retries (request/execution.ts nextHost) following it:
// the token's replicas, local datacenter first, as cassandra-driver's query plan does, not "the first untried
// host by index" (the bug this replaced).
import { describe, expect, it } from 'vitest';
import { ByteWriter, opcodes, parseReplication, tokenToHiLo } from '@shardcql/core';
import { Client } from '../src/client';
import { EngineAnswer, type EngineOptions } from '../src/engine/engine';
import { EngineRequest } from '../src/engine/request';
import { ConnectionTable } from '../src/engine/routing/connection-table';
import { Router } from '../src/engine/routing/router';
import { RoutingTable, type RoutingHost } from '../src/engine/topology';
import { FakeEngineBase, fakeHosts } from './helpers/fake-engine';

const hl = new Int32Array(2);
function half(t: bigint): [number, number] {
  tokenToHiLo(t, hl);
  return [hl[0]!, hl[1]!];
}

/** Six hosts, dc1 = 0..2, dc2 = 3..5, one token each (0, 10, ..., 50); RF 2 in each DC (NTS). */
function sixHostRouter(): { router: Router; conns: ConnectionTable } {
  const hosts: RoutingHost[] = [];
  for (let h = 0; h < 6; h++) hosts.push({ datacenter: h < 3 ? 'dc1' : 'dc2', rack: 'r1', tokens: [String(h * 10)] });
  const strategies = new Map([['ks', parseReplication({ class: 'NetworkTopologyStrategy', dc1: '2', dc2: '2' })]]);
  const table = RoutingTable.build(hosts, strategies, 'dc1', true, () => undefined);
  const conns = new ConnectionTable();
  conns.setHostCount(6);
  for (let h = 0; h < 6; h++) {
    conns.add(h, 0, h, { conn: h, host: `10.0.0.${h + 1}`, port: 9042, localPort: null });
    conns.setUp(h, true);
  }
  const router = new Router(conns);
  router.setHosts(hosts.map(() => ({ sharder: null, hostId: null })));
  router.setTopology({ ring: table.ring, isLocal: table.isLocal, plans: table.keyspacePlans });
  return { router, conns };
}

function tokenRequest(t: bigint, keyspace: string | null): EngineRequest {
  const req = new EngineRequest();
  const [hi, lo] = half(t);
  req.setToken(true, hi, lo);
  req.keyspace = keyspace;
  return req;
}

describe('Router: one query plan per request', () => {
  it('the first pick is a local replica; the plan lists the local replicas, then the remote ones, then the rest', () => {
    const { router, conns } = sixHostRouter();
    // Token 15 is in (10, 20]: ring order from 20 is hosts 2, 3, 4, 5, 0, 1; dc1 replicas 2, 0; dc2 3, 4.
    const req = tokenRequest(15n, 'ks');
    expect(req.plan).toBeNull();
    expect([0, 2]).toContain(conns.hostOf(router.route(req)));
    expect(req.plan).toBeNull(); // the first try computes no plan
    const plan = router.queryPlan(req);
    expect(plan.slice(0, 2).sort()).toEqual([0, 2]);
    expect(plan.slice(2, 4)).toEqual([3, 4]);
    expect([...plan].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Kept in the request: the same array for every later try, its cursor shared.
    expect(router.queryPlan(req)).toBe(plan);
  });

  it('LWT keeps ring order (primary first); a topology change that renumbers hosts makes the plan stale', () => {
    const { router } = sixHostRouter();
    const req = tokenRequest(15n, 'ks');
    req.lwt = true;
    const plan = router.queryPlan(req);
    expect(plan.slice(0, 4)).toEqual([2, 0, 3, 4]);
    req.planNext = 2;
    router.epoch++;
    const again = router.queryPlan(req);
    expect(again).not.toBe(plan);
    expect(req.planNext).toBe(0);
  });

  it('routes by the keyspace the request names; null is the session keyspace', () => {
    const { router, conns } = sixHostRouter();
    const missing: string[] = [];
    router.onMissingPlans = (ks) => missing.push(ks);
    // Token 35 is in (30, 40]: its dc1 replicas by plans are 0 and 1 (ring order 4, 5, 0, 1, ...).
    const byPlans = tokenRequest(35n, 'ks');
    for (let i = 0; i < 10; i++) expect([0, 1]).toContain(conns.hostOf(router.route(byPlans)));
    // No keyspace, no session keyspace: no plans; the ring owner (host 4) is remote, so any local host.
    const none = tokenRequest(35n, null);
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) seen.add(conns.hostOf(router.route(none)));
    expect([...seen].sort()).toEqual([0, 1, 2]);
    router.setDefaultKeyspace('ks');
    for (let i = 0; i < 10; i++) expect([0, 1]).toContain(conns.hostOf(router.route(none)));
    router.route(tokenRequest(35n, 'other'));
    expect(missing).toEqual(['other']);
  });
});

/** Four hosts; every request's plan is [2, 3, 0, 1] (its token's replicas 2 and 3 first); host 2 is unavailable. */
class ReplicaPlanEngine extends FakeEngineBase {
  sent: number[] = [];
  constructor(readonly options: EngineOptions) {
    super();
    this.hosts = fakeHosts(4);
  }
  override queryPlan(req: EngineRequest): number[] {
    if (req.plan === null) {
      req.plan = [2, 3, 0, 1];
      req.planNext = 0;
    }
    return req.plan;
  }
  async send(req: EngineRequest): Promise<EngineAnswer> {
    // The engine's own first pick is the plan's first host (the token's primary replica).
    const host = req.hostIndex >= 0 ? req.hostIndex : 2;
    this.sent.push(host);
    const w = new ByteWriter(64);
    if (host === 2) {
      w.i32(0x1000);
      w.string('Cannot achieve consistency');
      w.u16(1);
      w.i32(1);
      w.i32(0);
      return new EngineAnswer(opcodes.error, 0, w.toBuffer(), host);
    }
    w.i32(1);
    return new EngineAnswer(opcodes.result, 0, w.toBuffer(), host);
  }
}

describe("retries follow the request's query plan", () => {
  it('an Unavailable on the first replica retries on the next replica of the token, not the first untried host by index', async () => {
    let engine: ReplicaPlanEngine | null = null;
    const client = new Client(
      { contactPoints: ['10.0.0.1'], localDataCenter: 'dc1', isMetadataSyncEnabled: false },
      (o) => (engine = new ReplicaPlanEngine(o)),
    );
    await client.connect();
    const rs = await client.execute('SELECT v FROM ks.t WHERE k = ?', ['a'], { hints: ['text'], routingKey: Buffer.from('a') });
    // Before: the retry went to host 0 (the first host not tried, by index). Now: host 3, the other replica.
    expect(engine!.sent).toEqual([2, 3]);
    expect(rs.info.queriedHost).toBe('10.0.0.4:9042');
    expect(Object.keys(rs.info.triedHosts)).toEqual(['10.0.0.3:9042', '10.0.0.4:9042']);
    await client.shutdown();
  });
});
