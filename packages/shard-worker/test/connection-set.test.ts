// The connection set (src/connection-set/): reconnection delays as the engine draws them from a policy
// (sampleSchedule), followed by a set's slot and by a real shard worker thread, against a port nothing listens on
// (one this test owned: a net.Server it closed). No server needed.
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Doorbell } from '@shardcql/core';
import {
  ConnectionSet,
  ReconnectionSchedule,
  SampledSchedules,
  sampleSchedule,
  startShardWorker,
  type ConnectionListener,
  type ConnectionSlot,
  type FromWorker,
  type ReconnectionSchedules,
} from '../src';
import { closedPort, gaps, plainOptions } from './helpers/connections';

const QUIET: ConnectionListener = {
  onResponse: () => undefined,
  onFailure: () => undefined,
  onEvent: () => undefined,
  onClose: () => undefined,
};

/** A custom policy (cassandra-driver's shape: newSchedule() gives an iterator of delays) and how often it was asked. */
class ListPolicy implements ReconnectionSchedules {
  schedules = 0;
  constructor(private readonly delays: number[]) {}
  *newSchedule(): Iterator<number> {
    this.schedules++;
    for (const d of this.delays) yield d;
  }
}

describe('reconnection schedules', () => {
  it('samples a schedule: its delays in order, trailing repeats cut, the last one repeating after', () => {
    expect(sampleSchedule(new ListPolicy([100, 200, 400, 400, 400]))).toEqual([100, 200, 400]);
    const constant: ReconnectionSchedules = {
      *newSchedule() {
        for (;;) yield 200;
      },
    };
    expect(sampleSchedule(constant)).toEqual([200]);
    const it = new SampledSchedules([100, 200, 400]).newSchedule();
    expect([1, 2, 3, 4, 5].map(() => it.next().value)).toEqual([100, 200, 400, 400, 400]);
  });

  it('stops at what is not a delay; a schedule with none, or no policy, gives cassandra-driver default delays', () => {
    expect(sampleSchedule(new ListPolicy([50, -1, 70]))).toEqual([50]);
    const def = sampleSchedule(null);
    expect(def[0]).toBe(1000);
    expect(def[1]).toBe(2000);
    expect(def[def.length - 1]).toBe(600_000);
    expect(sampleSchedule(new ListPolicy([]))).toEqual(def);
    const throws: ReconnectionSchedules = {
      newSchedule: () => {
        throw new Error('no');
      },
    };
    expect(sampleSchedule(throws)).toEqual(def);
  });

  it('a slot schedule draws a new schedule per episode (restart) and repeats its last delay past the end', () => {
    const p = new ListPolicy([10, 20]);
    const s = new ReconnectionSchedule(p);
    expect([s.next(), s.next(), s.next()]).toEqual([10, 20, 20]);
    s.restart();
    expect(s.next()).toBe(10);
    expect(p.schedules).toBe(2);
  });
});

describe('a connection set reconnecting to a closed port', () => {
  let set: ConnectionSet | null = null;
  afterEach(async () => {
    await set?.closeAll();
    set = null;
  });

  /** Times of the failed attempts of one timer-driven slot (the first one is the initial open). */
  async function attempts(policy: ReconnectionSchedules, ms: number): Promise<{ times: number[]; slot: ConnectionSlot }> {
    const port = await closedPort();
    const times: number[] = [];
    const s = new ConnectionSet({
      worker: 0,
      listener: QUIET,
      timers: true,
      unref: false,
      events: { reconnected: () => undefined, reconnectFailed: () => times.push(performance.now()) },
    });
    set = s;
    s.options = plainOptions();
    const slot = s.add({ conn: 0, host: '127.0.0.1', port, localPort: null }, policy);
    await expect(s.open(slot)).rejects.toThrow();
    times.push(performance.now());
    await new Promise((r) => setTimeout(r, ms));
    return { times: times.sort((a, b) => a - b), slot };
  }

  it('retries every ~200 ms with a constant schedule', async () => {
    const { times } = await attempts(new SampledSchedules([200]), 1100);
    // 1 + 5 attempts in 1.1 s; timers fire late, never early.
    expect(times.length).toBeGreaterThanOrEqual(4);
    expect(times.length).toBeLessThanOrEqual(6);
    for (const g of gaps(times)) {
      expect(g).toBeGreaterThanOrEqual(190);
      expect(g).toBeLessThan(450);
    }
  });

  it("follows a custom policy's delays, repeating the last", async () => {
    const { times } = await attempts(new ListPolicy([50, 150, 300]), 1000);
    const g = gaps(times);
    expect(g.length).toBeGreaterThanOrEqual(4);
    const want = [50, 150, 300, 300];
    for (let i = 0; i < 4; i++) {
      expect(g[i]!).toBeGreaterThanOrEqual(want[i]! - 10);
      expect(g[i]!).toBeLessThan(want[i]! + 150);
    }
  });

  it('reconnectNow tries at once and starts the schedule over', async () => {
    const policy = new ListPolicy([60_000]);
    const { times, slot } = await attempts(policy, 50);
    expect(times.length).toBe(1);
    const before = policy.schedules;
    set!.reconnectNow(slot);
    await new Promise((r) => setTimeout(r, 200));
    expect(policy.schedules).toBe(before + 1);
    expect(slot.timer).not.toBeNull();
    expect(slot.retryAt - performance.now()).toBeGreaterThan(50_000);
  });

  it('a slot without timers (the lane) is due again only after the delay', async () => {
    const port = await closedPort();
    const s = new ConnectionSet({ worker: -1, listener: QUIET, timers: false, unref: true, events: null });
    set = s;
    s.options = plainOptions();
    const slot = s.add({ conn: -1, host: '127.0.0.1', port, localPort: null }, new SampledSchedules([200]));
    await expect(s.open(slot)).rejects.toThrow();
    expect(slot.timer).toBeNull();
    const failedAt = performance.now();
    expect(s.due(slot, failedAt)).toBe(false);
    expect(s.due(slot, failedAt + 250)).toBe(true);
  });
});

describe('a shard worker reconnecting to a closed port', () => {
  let worker: Worker | null = null;
  afterEach(async () => {
    await worker?.terminate();
    worker = null;
  });

  /** Times of the worker's 'reconnect ... failed' logs after one 'connect' of one connection with these delays. */
  async function workerAttempts(delays: number[], ms: number): Promise<number[]> {
    const port = await closedPort();
    const w = startShardWorker({ workerIndex: 0, requestBell: Doorbell.createBuffer(), requesters: [] });
    worker = w;
    const times: number[] = [];
    let connected: (() => void) | null = null;
    const done = new Promise<void>((r) => (connected = r));
    w.on('message', (m: FromWorker) => {
      if (m.type === 'started')
        w.postMessage({
          type: 'connect',
          id: 1,
          connections: [{ conn: 0, host: '127.0.0.1', port, localPort: null, reconnectDelays: delays }],
          options: plainOptions(),
        });
      else if (m.type === 'connected') {
        expect(m.results[0]!.ok).toBe(false);
        times.push(performance.now());
        connected!();
      } else if (m.type === 'log' && m.message.startsWith('reconnect to ')) times.push(performance.now());
    });
    await done;
    await new Promise((r) => setTimeout(r, ms));
    return times;
  }

  it('retries every ~200 ms with the sample of a constant policy', async () => {
    const constant: ReconnectionSchedules = {
      *newSchedule() {
        for (;;) yield 200;
      },
    };
    const times = await workerAttempts(sampleSchedule(constant), 1100);
    expect(times.length).toBeGreaterThanOrEqual(4);
    expect(times.length).toBeLessThanOrEqual(7);
    for (const g of gaps(times)) {
      expect(g).toBeGreaterThanOrEqual(150);
      expect(g).toBeLessThan(500);
    }
  });

  it("follows a custom policy's sampled delays", async () => {
    const times = await workerAttempts(sampleSchedule(new ListPolicy([100, 300, 500])), 1500);
    const g = gaps(times);
    expect(g.length).toBeGreaterThanOrEqual(3);
    const want = [100, 300, 500];
    for (let i = 0; i < 3; i++) {
      expect(g[i]!).toBeGreaterThanOrEqual(want[i]! - 60);
      expect(g[i]!).toBeLessThan(want[i]! + 200);
    }
  });
});
