import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Doorbell, RingConsumer, RingProducer, createRingBuffer, ringMaxPayloadFor } from '@shardcql/core';
import { consume, produce, produceConcurrently, type TrafficStats } from './fixtures/ring-traffic';

const WORKER = resolve(__dirname, 'fixtures/ring-worker.ts');
const RECORDS = 2_000_000;
const RING_BYTES = 64 * 1024;
const BATCH = 64;

function startWorker(data: Record<string, unknown>): { worker: Worker; result: Promise<TrafficStats> } {
  const worker = new Worker(`require("tsx/cjs/api").register(); require(${JSON.stringify(WORKER)});`, {
    eval: true,
    execArgv: ['--conditions=source'],
    workerData: data,
  });
  const result = new Promise<TrafficStats>((res, rej) => {
    worker.once('message', (m: { ok: boolean; stats?: TrafficStats; error?: string }) => (m.ok ? res(m.stats!) : rej(new Error(m.error))));
    worker.once('error', rej);
    worker.once('exit', (code) => rej(new Error(`worker exited with ${code} before reporting`)));
  });
  return { worker, result };
}

function report(label: string, s: TrafficStats, otherWaits: number): void {
  const secs = s.ms / 1000;
  console.log(
    `${label}: ${s.records} records, ${(s.payloadBytes / 1e6).toFixed(1)} MB payload in ${s.ms.toFixed(0)} ms: ` +
      `${(s.records / secs / 1e6).toFixed(2)} M records/s, ${(s.payloadBytes / 1e6 / secs).toFixed(1)} MB/s; ` +
      `consumer sleeps ${s.waits}, producer waits ${otherWaits}`,
  );
}

describe('ring between two real threads (64 KiB ring, 2,000,000 variable-length records)', () => {
  it('main thread produces (waitForSpace), worker consumes (doorbell)', async () => {
    const ring = createRingBuffer(RING_BYTES);
    const bellSab = Doorbell.createBuffer();
    const { worker, result } = startWorker({ role: 'consume', ring, doorbell: bellSab, n: RECORDS, batch: BATCH });
    try {
      const produced = await produce(new RingProducer(ring, new Doorbell(bellSab)), RECORDS, BATCH);
      const consumed = await result;
      expect(consumed.firstError).toBeNull();
      expect(consumed.errors).toBe(0);
      expect(consumed.records).toBe(RECORDS);
      expect(consumed.payloadBytes).toBe(produced.payloadBytes);
      expect(produced.waits).toBeGreaterThan(0); // the ring really was full at times
      report('main -> worker', consumed, produced.waits);
    } finally {
      await worker.terminate();
    }
  }, 120_000);

  it('worker produces (waitForSpace), main thread consumes (doorbell with Atomics.waitAsync)', async () => {
    const ring = createRingBuffer(RING_BYTES);
    const bellSab = Doorbell.createBuffer();
    const consumer = new RingConsumer(ring);
    const bell = new Doorbell(bellSab);
    const { worker, result } = startWorker({ role: 'produce', ring, doorbell: bellSab, n: RECORDS, batch: BATCH });
    try {
      const consumed = await consume(consumer, bell, RECORDS, ringMaxPayloadFor(RING_BYTES));
      const produced = await result;
      expect(consumed.firstError).toBeNull();
      expect(consumed.errors).toBe(0);
      expect(consumed.records).toBe(RECORDS);
      expect(consumed.payloadBytes).toBe(produced.payloadBytes);
      expect(consumer.next()).toBe(false);
      report('worker -> main', consumed, produced.waits);
    } finally {
      await worker.terminate();
    }
  }, 120_000);

  it('8 concurrent async producers on the main thread share one producer (several inside waitForSpace at once)', async () => {
    const ring = createRingBuffer(RING_BYTES);
    const bellSab = Doorbell.createBuffer();
    const n = 500_000;
    const { worker, result } = startWorker({ role: 'consume', ring, doorbell: bellSab, n, batch: BATCH });
    try {
      const produced = await produceConcurrently(new RingProducer(ring, new Doorbell(bellSab)), n, BATCH, 8);
      const consumed = await result;
      expect(consumed.firstError).toBeNull();
      expect(consumed.errors).toBe(0);
      expect(consumed.records).toBe(n);
      expect(consumed.payloadBytes).toBe(produced.payloadBytes);
      expect(produced.waits).toBeGreaterThan(8);
      report('main (8 tasks) -> worker', consumed, produced.waits);
    } finally {
      await worker.terminate();
    }
  }, 120_000);

  it('ping-pong: 20,000 round trips, each needing a doorbell wake-up on both sides (no lost wake-up)', async () => {
    const requests = createRingBuffer(4096);
    const replies = createRingBuffer(4096);
    const workerBell = Doorbell.createBuffer();
    const mainBellSab = Doorbell.createBuffer();
    const n = 20_000;
    const { worker, result } = startWorker({
      role: 'echo',
      ring: requests,
      doorbell: workerBell,
      replies,
      replyDoorbell: mainBellSab,
      n,
      batch: 1,
    });
    try {
      const p = new RingProducer(requests, new Doorbell(workerBell));
      const c = new RingConsumer(replies);
      const bell = new Doorbell(mainBellSab);
      const t0 = performance.now();
      let sleeps = 0;
      let maxWait = 0;
      for (let i = 0; i < n; i++) {
        const len = i % 64;
        const off = p.reserve(1 + (i % 7), len);
        p.view.setUint32(off, i, true);
        p.publish();
        for (;;) {
          if (c.next()) break;
          bell.prepareToSleep();
          if (c.hasRecords()) {
            bell.cancelSleep();
            continue;
          }
          sleeps++;
          const w0 = performance.now();
          await bell.wait(5000); // a lost wake-up would show as a 5 s wait (or hang the worker side)
          maxWait = Math.max(maxWait, performance.now() - w0);
        }
        expect(c.kind).toBe(1 + (i % 7));
        expect(c.length).toBe(len);
        if (len >= 4) expect(c.view.getUint32(c.offset, true)).toBe(i);
        c.release();
      }
      const ms = performance.now() - t0;
      const echoed = await result;
      expect(echoed.records).toBe(n);
      expect(maxWait).toBeLessThan(4000);
      console.log(
        `ping-pong: ${n} round trips in ${ms.toFixed(0)} ms: ${((ms * 1000) / n).toFixed(1)} us per round trip; ` +
          `main sleeps ${sleeps} (longest ${maxWait.toFixed(1)} ms), worker sleeps ${echoed.waits}`,
      );
    } finally {
      await worker.terminate();
    }
  }, 120_000);
});
