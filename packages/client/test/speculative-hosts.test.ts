// Speculative executions go to distinct hosts (cassandra-driver: every execution takes the next host of the
// request's query plan): the plan itself (engine/query-plan.ts), SpeculativeRun with a scripted engine, and the
// ScyllaDB simulator (3 nodes x 4 shards, RF 3) with one node made slow on the client side (its answers are
// held back by the test's engine): each request's executions hit distinct hosts, info.speculativeExecutions
// matches the executions seen, and the simulator counts exactly those EXECUTEs, none misrouted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteWriter, ReplicaPlans, TokenRing, opcodes } from '@shardcql/core';
import { Client, types } from '@shardcql/client';
import { EngineAnswer, ShardedEngine, type EngineOptions } from '../src/engine';
import { FakeEngineBase, fakeHosts } from './helpers/fake-engine';
import { EngineRequest } from '../src/engine/request';
import { appendQueryPlan } from '../src/engine/query-plan';
import { SpeculativeRun } from '../src/speculative-send';
import { ClientMetrics } from '../src/metrics/client-metrics';
import { ConstantSpeculativeExecutionPolicy } from '../src/policies/speculative-execution';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { misroutedTotals, type MisroutedTotals } from './helpers/simulator';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A QUERY of 4 bytes with token 0, not an LWT. */
function tokenRequest(): EngineRequest {
  const req = new EngineRequest();
  req.setMessage(opcodes.query, 0, Buffer.alloc(4), 4, 1000);
  req.setToken(true, 0, 0);
  return req;
}

describe('query plan (engine/query-plan.ts)', () => {
  // 4 hosts, one token each: host i owns (token(i-1), token(i)]; RF 2: replicas of a range are its owner and the next.
  const ring = new TokenRing([
    ['-4000', 0],
    ['-1000', 1],
    ['2000', 2],
    ['5000', 3],
  ]);
  const locs = [0, 1, 2, 3].map(() => ({ datacenter: 'dc1', rack: 'r1' }));
  const plans = ReplicaPlans.build(ring, { kind: 'simple', replicationFactor: 2 }, locs, 'dc1');
  // Token 0 = (hi 0, lo 0) lies in (-1000, 2000]: owner host 2, then host 3.
  const all = new Uint8Array([1, 1, 1, 1]);

  it('lists the replicas first (rotated), then every other usable host once', () => {
    expect(appendQueryPlan([], plans, ring, null, 0, 0, true, all, 0, 0)).toEqual([2, 3, 0, 1]);
    expect(appendQueryPlan([], plans, ring, null, 0, 0, true, all, 1, 0)).toEqual([3, 2, 0, 1]);
    expect(appendQueryPlan([], plans, ring, null, 0, 0, true, all, 0, 3)).toEqual([2, 3, 0, 1]);
    expect(appendQueryPlan([], plans, ring, null, 0, 0, true, all, 0, 1)).toEqual([2, 3, 1, 0]);
  });

  it('leaves out hosts without an open connection, and remote hosts until the local ones are listed', () => {
    expect(appendQueryPlan([], plans, ring, null, 0, 0, true, new Uint8Array([1, 1, 0, 1]), 0, 0)).toEqual([3, 0, 1]);
    const isLocal = new Uint8Array([0, 1, 1, 1]);
    expect(appendQueryPlan([], plans, ring, isLocal, 0, 0, true, all, 0, 0)).toEqual([2, 3, 1, 0]);
    expect(appendQueryPlan([], plans, ring, null, 0, 0, true, new Uint8Array(4), 0, 0)).toEqual([]);
  });

  it('without a token: the usable local hosts from the rotation point; hosts already listed are skipped', () => {
    expect(appendQueryPlan([], plans, ring, null, 0, 0, false, all, 0, 2)).toEqual([2, 3, 0, 1]);
    expect(appendQueryPlan([3], plans, ring, null, 0, 0, false, all, 0, 2)).toEqual([3, 2, 0, 1]);
    expect(appendQueryPlan([], null, null, null, 0, 0, true, all, 0, 1)).toEqual([1, 2, 3, 0]);
    // Only a ring (no plans): the local owner first.
    expect(appendQueryPlan([], null, ring, null, 0, 0, true, all, 0, 0)).toEqual([2, 0, 1, 3]);
  });
});

/** Hosts answer after scripted delays; sends are recorded with their pinned host; queryPlan is scripted too. */
class PlanEngine extends FakeEngineBase {
  override connected = true;
  sent: number[] = [];
  override hostsEpoch = 0;
  constructor(
    private readonly delays: number[],
    private readonly plan: number[],
  ) {
    super();
    this.hosts = fakeHosts(delays.length, null);
  }
  override async connect(): Promise<void> {}
  override queryPlan(): number[] {
    return this.plan.slice();
  }
  send(req: EngineRequest): Promise<EngineAnswer> {
    const hostIndex = req.hostIndex;
    this.sent.push(hostIndex);
    this.emit('sent', hostIndex);
    const h = hostIndex < 0 ? 0 : hostIndex;
    const w = new ByteWriter(8);
    w.i32(1);
    return new Promise((r) => setTimeout(() => r(new EngineAnswer(opcodes.result, 0, w.toBuffer(), h)), this.delays[h]));
  }
}

describe('SpeculativeRun pins each execution to the next host of the plan', () => {
  it('never repeats a host, and starts no execution once the plan is used up', async () => {
    // Answers far later than the 10 ms steps, so a stalled event loop still fires the timers first.
    const engine = new PlanEngine([1500, 1500, 1500, 1500], [2, 0, 3]);
    let counted = 0;
    const metrics = new (class extends ClientMetrics {
      override onSpeculativeExecution(): void {
        counted++;
      }
    })();
    const run = new SpeculativeRun(new ConstantSpeculativeExecutionPolicy(10, 5).newPlan(), metrics);
    const frame = await run.send(engine, tokenRequest());
    expect(engine.sent).toEqual([2, 0, 3]);
    expect(run.executions).toBe(2);
    // The third speculative execution found no host left; cassandra-driver counts it all the same.
    expect(counted).toBe(3);
    expect(frame.hostIndex).toBe(2);
  });

  it('takes the first answer, from whichever host of the plan gives it', async () => {
    const engine = new PlanEngine([5, 1500, 1500], [1, 2, 0]);
    const run = new SpeculativeRun(new ConstantSpeculativeExecutionPolicy(20, 2).newPlan(), new ClientMetrics());
    const frame = await run.send(engine, tokenRequest());
    expect(engine.sent).toEqual([1, 2, 0]);
    expect(frame.hostIndex).toBe(0);
    expect(run.executions).toBe(2);
  });
});

describe('SpeculativeRun without a usable plan', () => {
  it('an empty plan (host marks lagging) still speculates, unpinned, as before plans existed', async () => {
    const engine = new PlanEngine([1500, 1500, 1500], []);
    const run = new SpeculativeRun(new ConstantSpeculativeExecutionPolicy(10, 2).newPlan(), new ClientMetrics());
    await run.send(engine, tokenRequest());
    expect(engine.sent).toEqual([-1, -1, -1]);
    expect(run.executions).toBe(2);
  });

  it('a plan made stale by a topology change (host indexes renumbered) is dropped: later executions go unpinned', async () => {
    const engine = new PlanEngine([1500, 1500, 1500, 1500], [3, 2, 1]);
    // The host list changes right after the first execution is sent: "2" and "1" may now be other hosts.
    engine.once('sent', () => engine.hostsEpoch++);
    const run = new SpeculativeRun(new ConstantSpeculativeExecutionPolicy(10, 2).newPlan(), new ClientMetrics());
    await run.send(engine, tokenRequest());
    expect(engine.sent).toEqual([3, -1, -1]);
  });
});

/** The real engine, with the answers of some hosts held back `slowMs` (slow nodes, seen from the client). */
class SlowHostEngine extends ShardedEngine {
  readonly slowHosts = new Set<number>();
  slowMs = 0;
  /** Per request body (hex; distinct keys make distinct bodies): the hosts its executions were pinned to. */
  readonly byBody = new Map<string, number[]>();
  constructor(o: EngineOptions) {
    super(o);
  }
  override send(req: EngineRequest): Promise<EngineAnswer> {
    const { opcode, body, bodyLength, hostIndex } = req;
    if (opcode === opcodes.execute) {
      const key = Buffer.from(body.subarray(0, bodyLength)).toString('hex');
      let list = this.byBody.get(key);
      if (list === undefined) this.byBody.set(key, (list = []));
      list.push(hostIndex);
    }
    const p = super.send(req);
    if (this.slowHosts.size === 0) return p;
    return p.then(async (f) => {
      if (this.slowHosts.has(f.hostIndex)) await sleep(this.slowMs);
      return f;
    });
  }
}

const KS = 'routing_spec';
const INSERT = `INSERT INTO ${KS}.t (pk, v1, v2) VALUES (?, ?, ?)`;

describe('speculative executions on the simulator, 3 nodes x 4 shards, RF 3', () => {
  let stub: StubProcess;
  const clients: Client[] = [];

  async function newClient(policy: ConstantSpeculativeExecutionPolicy): Promise<{ client: Client; engine: SlowHostEngine }> {
    let engine: SlowHostEngine | null = null;
    const client = new Client(
      {
        contactPoints: ['127.0.0.61'],
        localDataCenter: 'datacenter1',
        protocolOptions: { port: stub.port },
        shardcql: { workers: 2 },
        policies: { speculativeExecution: policy },
      },
      (o) => (engine = new SlowHostEngine(o)),
    );
    clients.push(client);
    await client.connect();
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`);
    await client.execute(`CREATE TABLE IF NOT EXISTS ${KS}.t (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)`);
    // Prepared once, before the counting starts.
    await client.execute(INSERT, [types.Long.ZERO, types.Long.ZERO, types.Long.ZERO], { prepare: true, isIdempotent: true });
    return { client, engine: engine! };
  }

  beforeAll(async () => {
    stub = await startStub({
      host: '127.0.0.61',
      port: 0,
      shards: 4,
      extraArgs: ['-nodes', '3', '-tokens', '8', '-shard-aware-port', '-1'],
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.shutdown();
    await stub?.stop();
  });

  /** n requests with distinct keys, `concurrency` at a time; each one's info.speculativeExecutions. */
  async function runRequests(client: Client, n: number, concurrency: number, firstPk: number): Promise<number[]> {
    const out: number[] = [];
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < n) {
        const pk = types.Long.fromNumber(firstPk + next++);
        const rs = await client.execute(INSERT, [pk, pk, pk], { prepare: true, isIdempotent: true });
        out.push(rs.info.speculativeExecutions);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    return out;
  }

  /** The simulator's totals once it has counted `executes` EXECUTEs (polled, up to 20 s), then 200 ms more for any extra to show. */
  async function executedAtLeast(client: Client, executes: number): Promise<MisroutedTotals> {
    for (const end = Date.now() + 20_000; (await misroutedTotals(client)).executes < executes && Date.now() < end;) await sleep(50);
    await sleep(200);
    return misroutedTotals(client);
  }

  /** Each request's executions (recorded per body) are on distinct hosts and match its speculativeExecutions. */
  function checkExecutions(engine: SlowHostEngine, specs: number[], maxPerRequest: number): number {
    const lists = [...engine.byBody.values()];
    expect(lists.length).toBe(specs.length);
    for (const hosts of lists) {
      expect(new Set(hosts).size).toBe(hosts.length);
      expect(hosts.every((h) => h >= 0 && h < 3)).toBe(true);
      expect(hosts.length).toBeLessThanOrEqual(maxPerRequest);
    }
    // The multiset of executions per request is the multiset of 1 + speculativeExecutions.
    expect(lists.map((l) => l.length).sort()).toEqual(specs.map((s) => s + 1).sort());
    return lists.reduce((a, l) => a + l.length, 0);
  }

  it("with one slow node, each request's executions hit distinct hosts, and the counts agree with the simulator", async () => {
    const { client, engine } = await newClient(new ConstantSpeculativeExecutionPolicy(40, 2));
    expect(client.getState().getConnectedHosts().length).toBe(3);
    engine.slowHosts.add(1);
    engine.slowMs = 400;
    engine.byBody.clear();
    const before = await misroutedTotals(client);
    const n = 300;
    const specs = await runRequests(client, n, 24, 1_000_000);
    const executions = checkExecutions(engine, specs, 3);
    const speculative = specs.reduce((a, s) => a + s, 0);
    expect(executions).toBe(n + speculative);
    // About a third of the requests start on the slow node and need a speculative execution.
    expect(speculative).toBeGreaterThanOrEqual(n / 10);
    // The slow node's executions reach the simulator late (held 400 ms here) but reach it: wait until it has
    // counted as many as were sent (on a busy machine that can take longer than the hold), then no more than that.
    const after = await executedAtLeast(client, before.executes + executions);
    expect(after.executes - before.executes).toBe(executions);
    expect(after.wrongNode - before.wrongNode).toBe(0);
    expect(after.wrongShard - before.wrongShard).toBe(0);
  }, 60_000);

  it('with every node slow, a request gets one execution per host and no more (the plan runs out at 3)', async () => {
    const { client, engine } = await newClient(new ConstantSpeculativeExecutionPolicy(15, 5));
    for (let h = 0; h < 3; h++) engine.slowHosts.add(h);
    engine.slowMs = 1000;
    engine.byBody.clear();
    const before = await misroutedTotals(client);
    const specs = await runRequests(client, 12, 4, 2_000_000);
    const executions = checkExecutions(engine, specs, 3);
    // 15 ms apart against answers held 1 s: every request used the whole plan, and nothing beyond it.
    expect(specs.every((s) => s === 2)).toBe(true);
    engine.slowHosts.clear();
    const after = await executedAtLeast(client, before.executes + executions);
    expect(after.executes - before.executes).toBe(executions);
    expect(after.wrongNode - before.wrongNode).toBe(0);
  }, 60_000);
});
