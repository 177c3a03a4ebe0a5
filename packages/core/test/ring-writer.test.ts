import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  DriverInternalError,
  RING_PART_FIRST,
  RING_PART_MORE,
  RingConsumer,
  RingProducer,
  RingWriter,
  createRingBuffer,
} from '@shardcql/core';

/** A message whose every byte depends on its seed and position, so a misplaced part shows. */
function message(seed: number, length: number): Uint8Array {
  const m = new Uint8Array(length);
  for (let i = 0; i < length; i++) m[i] = (seed * 31 + i * 7 + (i >>> 8)) & 0xff;
  return m;
}

/** Drains `c` until `count` messages came, releasing as it goes (the producer waits for that room). */
async function collect(c: RingConsumer, count: number): Promise<Array<{ kind: number; bytes: Uint8Array }>> {
  const out: Array<{ kind: number; bytes: Uint8Array }> = [];
  for (let spins = 0; out.length < count; spins++) {
    if (spins > 100_000) throw new Error(`only ${out.length} of ${count} messages came`);
    while (c.next()) out.push({ kind: c.kind, bytes: c.data.slice(c.offset, c.offset + c.length) });
    c.release();
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

describe('RingWriter: messages of any size, in order', () => {
  it('writes a small message in place through reserve(), as a RingProducer does', () => {
    const sab = createRingBuffer(1024);
    const w = new RingWriter(sab, null, () => {});
    const c = new RingConsumer(sab);
    const off = w.reserve(3, 5);
    expect(off).toBeGreaterThanOrEqual(0);
    w.producer.u8.set([1, 2, 3, 4, 5], off);
    w.publish();
    expect(c.next()).toBe(true);
    expect(c.data).toBe(c.u8);
    expect([c.kind, ...c.data.subarray(c.offset, c.offset + c.length)]).toEqual([3, 1, 2, 3, 4, 5]);
  });

  it('refuses reserve() for a message larger than a record, and sends it in parts the consumer gathers', async () => {
    const sab = createRingBuffer(4096); // records of at most 2040 bytes, parts of 1024
    const w = new RingWriter(sab, null, () => {});
    const c = new RingConsumer(sab);
    const big = message(1, 100_000); // ~100 parts, the ring holds 4
    expect(w.reserve(9, big.length)).toBe(-1);
    w.enqueue(9, big);
    const got = await collect(c, 1);
    expect(got[0]!.kind).toBe(9);
    expect(Buffer.from(got[0]!.bytes).equals(Buffer.from(big))).toBe(true);
    expect(w.waiting).toBe(0);
  });

  it('keeps the order of small and large messages, and refuses reserve() while anything waits', async () => {
    const sab = createRingBuffer(4096);
    const w = new RingWriter(sab, null, () => {});
    const c = new RingConsumer(sab);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 60; i++) {
      const m = message(i, i % 7 === 3 ? 5000 + i * 100 : 1 + i * 13);
      sent.push(m);
      const off = w.reserve(1 + (i % 3), m.length);
      if (off >= 0) w.producer.u8.set(m, off);
      else w.enqueue(1 + (i % 3), m);
      if (i === 0) expect(off).toBeGreaterThanOrEqual(0);
    }
    // Message 3 (5,300 bytes) had to wait, so every one after it waited too, even the small ones.
    expect(w.waiting).toBe(57);
    expect(w.reserve(1, 1)).toBe(-1);
    w.publish();
    const got = await collect(c, sent.length);
    got.forEach((g, i) => {
      expect(g.kind).toBe(1 + (i % 3));
      expect(Buffer.from(g.bytes).equals(Buffer.from(sent[i]!))).toBe(true);
    });
    expect(w.reserve(1, 1)).toBeGreaterThanOrEqual(0);
  });

  it('drops what waits on close() and accepts nothing after it', async () => {
    const sab = createRingBuffer(1024);
    const w = new RingWriter(sab, null, () => {});
    w.enqueue(1, message(1, 10_000));
    w.close();
    w.enqueue(1, message(2, 10));
    expect(w.waiting).toBe(0);
  });

  it('carries a 20 MB message and 2,000 small ones between two real threads', async () => {
    const sab = createRingBuffer(1 << 16);
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       require("tsx/cjs/api").register();
       const { RingConsumer } = require('@shardcql/core');
       const c = new RingConsumer(workerData.sab);
       const crc = require('node:zlib').crc32;
       const sums = [];
       (function loop() {
         while (c.next()) sums.push([c.kind, c.length, crc(c.data.subarray(c.offset, c.offset + c.length))]);
         c.release();
         if (sums.length < workerData.count) setImmediate(loop); else parentPort.postMessage(sums);
       })();`,
      { eval: true, execArgv: ['--conditions=source'], workerData: { sab, count: 2001 } },
    );
    const w = new RingWriter(sab, null, () => {});
    const expected: Array<[number, number, number]> = [];
    const { crc32 } = await import('node:zlib');
    for (let i = 0; i < 2001; i++) {
      const m = message(i, i === 1000 ? 20_000_000 : 1 + (i % 500));
      expected.push([2, m.length, crc32(m)]);
      const off = w.reserve(2, m.length);
      if (off >= 0) w.producer.u8.set(m, off);
      else w.enqueue(2, m);
      if (i % 64 === 0) w.publish();
    }
    w.publish();
    const sums = await new Promise<Array<[number, number, number]>>((res, rej) => {
      worker.once('message', res);
      worker.once('error', rej);
    });
    await worker.terminate();
    expect(sums).toEqual(expected);
  }, 60_000);
});

describe('RingConsumer: parts out of sequence are a corrupt ring, never a wrong message', () => {
  function writePart(p: RingProducer, kind: number, part: number, bytes: number[]): void {
    const off = p.reservePart(kind, part, bytes.length);
    p.u8.set(bytes, off);
    p.publish();
  }

  it('rejects a MORE part with no FIRST before it', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    writePart(p, 1, RING_PART_MORE, [1, 2, 3]);
    expect(() => c.next()).toThrow(DriverInternalError);
  });

  it('rejects a whole record in the middle of a split message, and a part of another kind', () => {
    for (const [kind, part] of [
      [1, 0],
      [2, RING_PART_MORE],
    ] as const) {
      const sab = createRingBuffer(1024);
      const p = new RingProducer(sab);
      const c = new RingConsumer(sab);
      writePart(p, 1, RING_PART_FIRST, [20, 0, 0, 0, 9, 9]);
      expect(c.next()).toBe(false); // 2 of 20 bytes so far
      writePart(p, kind, part, [1]);
      expect(() => c.next()).toThrow(DriverInternalError);
    }
  });

  it('rejects parts longer than the announced length, and a FIRST part announcing no more than it holds', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    writePart(p, 1, RING_PART_FIRST, [4, 0, 0, 0, 1, 2]);
    writePart(p, 1, RING_PART_MORE, [3, 4, 5]);
    expect(() => c.next()).toThrow(DriverInternalError);

    const sab2 = createRingBuffer(1024);
    const p2 = new RingProducer(sab2);
    const c2 = new RingConsumer(sab2);
    writePart(p2, 1, RING_PART_FIRST, [2, 0, 0, 0, 1, 2]);
    expect(() => c2.next()).toThrow(DriverInternalError);
  });
});

describe('RingWriter.close', () => {
  it('ends its wait for room at once, so a writer whose consumer is gone holds nothing', async () => {
    const sab = createRingBuffer(1024);
    const w = new RingWriter(sab, null, () => {});
    w.enqueue(1, message(1, 10_000)); // parts; nobody consumes, so the writer waits for room
    await new Promise((r) => setImmediate(r));
    const waiting = (w as unknown as { writing: boolean }).writing;
    expect(waiting).toBe(true);
    w.close();
    await new Promise((r) => setImmediate(r));
    expect((w as unknown as { writing: boolean }).writing).toBe(false);
    await expect(w.producer.waitForSpace()).resolves.toBeUndefined();
  });
});
