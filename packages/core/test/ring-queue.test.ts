import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Doorbell,
  DriverInternalError,
  RING_CONTROL_BYTES,
  RING_HEAD,
  RING_PRODUCER_WAITING,
  RING_TAIL,
  RingConsumer,
  RingProducer,
  createRingBuffer,
  ringRecordSize,
} from '@shardcql/core';

function ctrl(sab: SharedArrayBuffer): Int32Array {
  return new Int32Array(sab, 0, RING_CONTROL_BYTES >> 2);
}

describe('ring layout and creation', () => {
  it('accepts power-of-two capacities only', () => {
    expect(createRingBuffer(64).byteLength).toBe(RING_CONTROL_BYTES + 64);
    expect(() => createRingBuffer(100)).toThrow(ArgumentError);
    expect(() => createRingBuffer(32)).toThrow(ArgumentError);
    expect(() => new RingProducer(new SharedArrayBuffer(1024))).toThrow(ArgumentError);
  });

  it('sizes records to 8 bytes of header plus the payload rounded up to 8', () => {
    expect(ringRecordSize(0)).toBe(8);
    expect(ringRecordSize(1)).toBe(16);
    expect(ringRecordSize(8)).toBe(16);
    expect(ringRecordSize(9)).toBe(24);
  });
});

describe('RingProducer / RingConsumer on one thread', () => {
  it('is empty at first and after draining', () => {
    const sab = createRingBuffer(256);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    expect(c.next()).toBe(false);
    const off = p.reserve(7, 3);
    p.u8.set([1, 2, 3], off);
    expect(c.next()).toBe(false); // not published yet
    p.publish();
    expect(c.hasRecords()).toBe(true);
    expect(c.next()).toBe(true);
    expect([c.kind, c.length, ...c.u8.subarray(c.offset, c.offset + c.length)]).toEqual([7, 3, 1, 2, 3]);
    expect(c.next()).toBe(false);
    c.release();
    expect(c.hasRecords()).toBe(false);
    expect(p.usedBytes).toBe(0);
  });

  it('publishes a batch with one store of TAIL and releases with one store of HEAD', () => {
    const sab = createRingBuffer(256);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    p.reserve(1, 0);
    p.reserve(2, 5);
    p.reserve(3, 16);
    expect(Atomics.load(ctrl(sab), RING_TAIL)).toBe(0);
    p.publish();
    expect(Atomics.load(ctrl(sab), RING_TAIL)).toBe(8 + 16 + 24);
    const kinds: number[] = [];
    while (c.next()) kinds.push(c.kind);
    expect(kinds).toEqual([1, 2, 3]);
    expect(Atomics.load(ctrl(sab), RING_HEAD)).toBe(0);
    c.release();
    expect(Atomics.load(ctrl(sab), RING_HEAD)).toBe(48);
  });

  it('reports full with -1 and accepts again after release', () => {
    const sab = createRingBuffer(64);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    expect(p.maxPayload).toBe(24);
    expect(p.reserve(1, 24)).toBe(8); // 32 bytes
    expect(p.reserve(1, 24)).toBe(40); // 64: full
    expect(p.reserve(1, 0)).toBe(-1);
    p.publish();
    expect(c.next()).toBe(true);
    expect(p.reserve(1, 0)).toBe(-1); // consumed but not released
    c.release();
    expect(p.reserve(1, 0)).toBe(8); // wraps exactly at the end: no pad
  });

  it('writes a PAD instead of straddling the end, and the consumer skips it', () => {
    const sab = createRingBuffer(64);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    p.reserve(1, 16); // 24 bytes at 0
    p.reserve(2, 8); // 16 bytes at 24 -> tail 40
    p.publish();
    while (c.next());
    c.release();
    // 24 bytes before the end; a 32-byte record goes to 0 after a 24-byte PAD.
    const off = p.reserve(3, 24);
    expect(off).toBe(8);
    p.u8.fill(0xab, off, off + 24);
    p.publish();
    expect(Atomics.load(ctrl(sab), RING_TAIL)).toBe(40 + 24 + 32);
    expect(c.next()).toBe(true);
    expect([c.kind, c.offset, c.length]).toEqual([3, 8, 24]);
    expect(c.u8.subarray(c.offset, c.offset + 24).every((b) => b === 0xab)).toBe(true);
    expect(c.next()).toBe(false);
  });

  it('fails when the PAD plus the record do not fit, even if the record alone would', () => {
    const sab = createRingBuffer(64);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    p.reserve(1, 16); // 0..24
    p.reserve(1, 16); // 24..48
    p.publish();
    expect(c.next()).toBe(true);
    c.release(); // 40 bytes free: 0..24 and the 16 at the end
    expect(p.reserve(1, 24)).toBe(-1); // a 32-byte record would fit in 40, but needs 16 (pad) + 32
    expect(p.reserve(1, 8)).toBe(56); // fits exactly before the end
  });

  it('accepts maxPayload wherever the positions stand, rejects more with RangeError', () => {
    const sab = createRingBuffer(256);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    expect(p.maxPayload).toBe(120);
    for (let shift = 0; shift < 256; shift += 8) {
      // Move the positions by `shift` bytes, empty the ring, then the largest record must fit.
      if (shift > 0) {
        p.reserve(9, 0);
        p.publish();
        while (c.next());
        c.release();
      }
      const off = p.reserve(1, p.maxPayload);
      expect(off, `after ${shift}`).toBeGreaterThanOrEqual(0);
      p.publish();
      expect(c.next()).toBe(true);
      expect(c.length).toBe(120);
      c.release();
    }
    expect(() => p.reserve(1, 121)).toThrow(RangeError);
    expect(() => p.reserve(1, -1)).toThrow(RangeError);
    expect(() => p.reserve(0, 1)).toThrow(RangeError); // kind 0 is the PAD
    expect(() => p.reserve(0x10000, 1)).toThrow(RangeError);
  });

  it('keeps going when the u32 positions wrap around 2^32', () => {
    const sab = createRingBuffer(128);
    // Start both sides just below 2^32 (as int32: -64).
    Atomics.store(ctrl(sab), RING_TAIL, -64);
    Atomics.store(ctrl(sab), RING_HEAD, -64);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    for (let i = 0; i < 100; i++) {
      const off = p.reserve(1 + (i % 3), i % 50);
      expect(off).toBeGreaterThanOrEqual(0);
      p.u8.fill(i, off, off + (i % 50));
      p.publish();
      expect(c.next()).toBe(true);
      expect([c.kind, c.length]).toEqual([1 + (i % 3), i % 50]);
      expect(c.u8.subarray(c.offset, c.offset + c.length).every((b) => b === i)).toBe(true);
      c.release();
    }
    expect(Atomics.load(ctrl(sab), RING_TAIL)).toBeGreaterThan(0);
  });

  it('throws DriverInternalError on a corrupt record header', () => {
    const sab = createRingBuffer(64);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    const off = p.reserve(1, 0);
    new Int32Array(sab, RING_CONTROL_BYTES, 16)[(off - 8) >> 2] = 1000;
    p.publish();
    expect(() => c.next()).toThrow(DriverInternalError);
  });

  it('waitForSpace resolves at once when nothing failed, and after a release when something did', async () => {
    const sab = createRingBuffer(64);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    await p.waitForSpace();
    p.reserve(1, 24);
    p.reserve(1, 24);
    expect(p.reserve(1, 24)).toBe(-1);
    let resolved = false;
    const w = p.waitForSpace().then(() => (resolved = true));
    expect(Atomics.load(ctrl(sab), RING_TAIL)).toBe(64); // waitForSpace published first
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    expect(Atomics.load(ctrl(sab), RING_PRODUCER_WAITING)).toBe(1);
    expect(c.next()).toBe(true);
    c.release(); // frees 32 bytes: enough
    await w;
    expect(Atomics.load(ctrl(sab), RING_PRODUCER_WAITING)).toBe(0);
    expect(p.reserve(1, 24)).toBeGreaterThanOrEqual(0);
  });

  it('counts concurrent waitForSpace callers in WAITING and wakes them all', async () => {
    const sab = createRingBuffer(64);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    p.reserve(1, 24);
    p.reserve(1, 24);
    expect(p.reserve(1, 24)).toBe(-1);
    let done = 0;
    const waits = [p.waitForSpace(), p.waitForSpace(), p.waitForSpace()].map((w) => w.then(() => done++));
    // A count, not a flag: WAITING stays > 0 until the last waiter is satisfied (see waitLoop).
    expect(Atomics.load(ctrl(sab), RING_PRODUCER_WAITING)).toBe(3);
    c.next();
    c.release();
    await Promise.all(waits);
    expect(done).toBe(3);
    expect(Atomics.load(ctrl(sab), RING_PRODUCER_WAITING)).toBe(0);
  });

  it('publish rings the doorbell given to the producer', async () => {
    const sab = createRingBuffer(64);
    const bell = new Doorbell(Doorbell.createBuffer());
    const p = new RingProducer(sab, bell);
    bell.prepareToSleep();
    expect(bell.sleeping).toBe(true);
    p.reserve(1, 1);
    p.publish();
    expect(bell.sleeping).toBe(false);
    await bell.wait(); // already rung: resolves at once
  });
});

describe('Doorbell', () => {
  it('wait resolves at once when not prepared to sleep, or when rung before waiting', async () => {
    const bell = new Doorbell(Doorbell.createBuffer());
    await bell.wait();
    bell.prepareToSleep();
    bell.ring();
    await bell.wait();
    expect(bell.sleeping).toBe(false);
  });

  it('ring wakes a pending wait; cancelSleep makes ring a no-op', async () => {
    const bell = new Doorbell(Doorbell.createBuffer());
    bell.prepareToSleep();
    let woke = false;
    const w = bell.wait().then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(woke).toBe(false);
    bell.ring();
    await w;
    expect(woke).toBe(true);
    bell.prepareToSleep();
    bell.cancelSleep();
    expect(bell.sleeping).toBe(false);
  });

  it('wait honours its timeout and leaves the doorbell awake', async () => {
    const bell = new Doorbell(Doorbell.createBuffer());
    bell.prepareToSleep();
    const t0 = Date.now();
    await bell.wait(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(bell.sleeping).toBe(false);
  });

  it('rejects a buffer that is too small', () => {
    expect(() => new Doorbell(new SharedArrayBuffer(4))).toThrow(ArgumentError);
  });
});
