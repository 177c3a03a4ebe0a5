// policies.reconnection is followed (it used to be validated and ignored): by the direct lane's connections (on
// this thread, the policy itself) and by a shard worker's (a sample the engine draws, schedule.ts), against a port
// nothing listens on (one this test owned: a net.Server it closed). No server needed.
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Doorbell } from '@shardcql/core';
import { sampleSchedule, startShardWorker, type FromWorker } from '@shardcql/shard-worker';
import { policies } from '@shardcql/client';
import { extend, toEngineOptions } from '../src/client-options';
import { DirectLane, type LaneHost, type LaneSource } from '../src/engine/direct-lane';
import { EngineRequest } from '../src/engine/request';
import { closedPort, gaps, plainOptions } from '../../shard-worker/test/helpers/connections';

const { ConstantReconnectionPolicy, ExponentialReconnectionPolicy, ReconnectionPolicy } = policies.reconnection;

/** A user's own policy: cassandra-driver's ReconnectionPolicy with a newSchedule of its own. */
class ListPolicy extends ReconnectionPolicy {
  constructor(private readonly delays: number[]) {
    super();
  }
  override *newSchedule(): Iterator<number> {
    for (const d of this.delays) yield d;
  }
}

describe('the direct lane follows policies.reconnection', () => {
  let lane: DirectLane | null = null;
  afterEach(async () => {
    await lane?.close();
    lane = null;
  });

  /** Times of the lane's failed opens while a request could use it every 5 ms for `ms`. */
  async function laneAttempts(policy: InstanceType<typeof ReconnectionPolicy>, ms: number): Promise<number[]> {
    const port = await closedPort();
    const times: number[] = [];
    const source: LaneSource = {
      laneOptions: plainOptions,
      laneSlot: () => -1,
      laneLog: (_level, message) => {
        if (message.includes('not opened')) times.push(performance.now());
      },
      laneAuthenticator: () => null,
      reconnection: policy,
    };
    const l = new DirectLane(1, source, null);
    lane = l;
    const host: LaneHost = { address: `127.0.0.1:${port}`, ip: '127.0.0.1', port, servername: null, index: 0, lane: null, laneSlot: -1 };
    const req = new EngineRequest();
    req.setMessage(7, 0, new Uint8Array(4), 4, 1000);
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // Never sent (the connection is not open): each call may start an open, when one is due.
      expect(l.trySend(host, -1, req)).toBeNull();
      await new Promise((r) => setTimeout(r, 5));
    }
    return times;
  }

  it('ConstantReconnectionPolicy(200): a lane connection is tried every ~200 ms', async () => {
    const times = await laneAttempts(new ConstantReconnectionPolicy(200), 1100);
    expect(times.length).toBeGreaterThanOrEqual(4);
    expect(times.length).toBeLessThanOrEqual(6);
    for (const g of gaps(times)) {
      expect(g).toBeGreaterThanOrEqual(190);
      expect(g).toBeLessThan(450);
    }
  });

  it("a custom policy's delays, the last repeating", async () => {
    const times = await laneAttempts(new ListPolicy([100, 300]), 1100);
    const g = gaps(times);
    expect(g.length).toBeGreaterThanOrEqual(3);
    const want = [100, 300, 300];
    for (let i = 0; i < 3; i++) {
      expect(g[i]!).toBeGreaterThanOrEqual(want[i]! - 5);
      expect(g[i]!).toBeLessThan(want[i]! + 150);
    }
  });
});

describe('a worker connection follows the sample the engine draws from policies.reconnection', () => {
  let worker: Worker | null = null;
  afterEach(async () => {
    await worker?.terminate();
    worker = null;
  });

  it('samples: a constant policy is one delay; the default exponential one doubles with jitter up to its cap', () => {
    expect(sampleSchedule(new ConstantReconnectionPolicy(200))).toEqual([200]);
    const exp = sampleSchedule(new ExponentialReconnectionPolicy(1000, 10 * 60 * 1000));
    expect(exp.length).toBe(11);
    for (let i = 0; i < 10; i++) {
      expect(exp[i]!).toBeGreaterThanOrEqual(Math.floor(1000 * 2 ** i * 0.85));
      expect(exp[i]!).toBeLessThanOrEqual(Math.ceil(Math.min(1000 * 2 ** i * 1.15, 600_000)));
    }
    expect(exp[10]).toBe(600_000);
    expect(sampleSchedule(new ExponentialReconnectionPolicy(100, 1000, true))[0]).toBe(0);
  });

  it('ConstantReconnectionPolicy(200): a worker connection is tried every ~200 ms', async () => {
    const port = await closedPort();
    const w = startShardWorker({ workerIndex: 0, requestBell: Doorbell.createBuffer(), requesters: [] });
    worker = w;
    const times: number[] = [];
    const delays = sampleSchedule(new ConstantReconnectionPolicy(200));
    w.on('message', (m: FromWorker) => {
      if (m.type === 'started')
        w.postMessage({
          type: 'connect',
          id: 1,
          connections: [{ conn: 0, host: '127.0.0.1', port, localPort: null, reconnectDelays: delays }],
          options: plainOptions(),
        });
      else if (m.type === 'connected' || (m.type === 'log' && m.message.startsWith('reconnect to '))) times.push(performance.now());
    });
    await new Promise((r) => setTimeout(r, 1600));
    expect(times.length).toBeGreaterThanOrEqual(4);
    for (const g of gaps(times)) {
      expect(g).toBeGreaterThanOrEqual(150);
      expect(g).toBeLessThan(500);
    }
  });

  it("the client hands policies.reconnection to the engine (cassandra-driver's default when not given)", () => {
    const given = new ConstantReconnectionPolicy(200);
    const base = { contactPoints: ['127.0.0.1'], localDataCenter: 'dc1' };
    expect(toEngineOptions(extend({ ...base, policies: { reconnection: given } })).reconnection).toBe(given);
    const def = toEngineOptions(extend(base)).reconnection;
    expect(def).toBeInstanceOf(ExponentialReconnectionPolicy);
    expect((def as InstanceType<typeof ExponentialReconnectionPolicy>).baseDelay).toBe(1000);
    expect((def as InstanceType<typeof ExponentialReconnectionPolicy>).maxDelay).toBe(600_000);
  });
});
