import { describe, expect, it } from 'vitest';
import {
  Doorbell,
  FailureKind,
  failureWasNotSent,
  OperationTimedOutError,
  RingConsumer,
  RingProducer,
  RING_KIND_REQUEST,
  RING_KIND_RESPONSE,
  REQUEST_HEADER_SIZE,
  RESPONSE_HEADER_SIZE,
  writeResponseHeader,
} from '@shardcql/core';
import { RingRequester, createWorkerRings, failureError } from '../src/engine/ring-requester';
import { EngineRequest } from '../src/engine/request';

/** A request of `body[0, bodyLength)` (engine/request.ts). */
function message(opcode: number, flags: number, body: Uint8Array, bodyLength: number, timeoutMs: number): EngineRequest {
  const req = new EngineRequest();
  req.setMessage(opcode, flags, body, bodyLength, timeoutMs);
  return req;
}

/** A requester on one worker's rings, and a consumer reading what it sends (no worker thread). */
function setup(): { requester: RingRequester; consumer: RingConsumer } {
  const rings = createWorkerRings(Doorbell.createBuffer(), 1 << 16);
  const requester = new RingRequester({ requester: 0, responseBell: Doorbell.createBuffer(), workers: [rings] }, 64);
  return { requester, consumer: new RingConsumer(rings.requests) };
}

function readAll(consumer: RingConsumer): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (consumer.next()) {
    expect(consumer.kind).toBe(RING_KIND_REQUEST);
    out.push(consumer.u8.slice(consumer.offset, consumer.offset + consumer.length));
  }
  consumer.release();
  return out;
}

describe('RingRequester.send', () => {
  it('copies bodies of every size (4-byte steps, tails, large ones) and prefixes of a bigger buffer', async () => {
    const { requester, consumer } = setup();
    const pending: Promise<unknown>[] = [];
    const big = Buffer.alloc(2048);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
    // The same buffer each time (as the client's writer), then views at an odd offset, then fresh arrays.
    const lengths = [0, 1, 3, 4, 5, 63, 64, 67, 511, 512, 513, 1500];
    const sources: Array<[Uint8Array, number]> = [];
    for (const n of lengths) sources.push([big, n]);
    const odd = new Uint8Array(big.buffer, big.byteOffset + 5, 700);
    for (const n of [0, 2, 9, 70, 700]) sources.push([odd, n]);
    for (const n of [6, 600]) sources.push([big.subarray(0, n), n]);
    for (const [body, n] of sources) pending.push(requester.send(0, 1, message(0x0a, 0, body, n, 1000)).catch(() => undefined));
    // Published at the end of the synchronous burst (a microtask), not by send itself.
    expect(readAll(consumer)).toHaveLength(0);
    await Promise.resolve();
    const records = readAll(consumer);
    expect(records).toHaveLength(sources.length);
    for (let k = 0; k < sources.length; k++) {
      const [body, n] = sources[k]!;
      const rec = records[k]!;
      expect(rec.length).toBe(REQUEST_HEADER_SIZE + n);
      expect(rec[6]).toBe(0x0a);
      expect(Buffer.from(rec.subarray(REQUEST_HEADER_SIZE)).equals(Buffer.from(body.subarray(0, n)))).toBe(true);
    }
    requester.close(new Error('done'));
    await Promise.all(pending);
  });
});

describe('RingRequester: every request settles, even when its worker never answers', () => {
  /** Writes a RESPONSE record (VOID result) for `requestId` into the requester's response ring. */
  function answer(rings: ReturnType<typeof createWorkerRings>, requestId: number): void {
    const p = new RingProducer(rings.responses);
    const off = p.reserve(RING_KIND_RESPONSE, RESPONSE_HEADER_SIZE + 4);
    writeResponseHeader(p.u8, off, requestId, 0x08, 0);
    p.u8.set([0, 0, 0, 1], off + RESPONSE_HEADER_SIZE);
    p.publish();
  }

  it('fails a request with OperationTimedOutError about a second after its timeout, by its own clock', async () => {
    const { requester } = setup();
    const t0 = Date.now();
    const err = await requester.send(0, 1, message(0x0a, 0, new Uint8Array(4), 4, 300)).then(
      () => null,
      (e: unknown) => e,
    );
    const ms = Date.now() - t0;
    expect(err).toBeInstanceOf(OperationTimedOutError);
    expect((err as Error).message).toContain('did not reply before timeout 300 ms');
    expect(ms).toBeGreaterThanOrEqual(1300);
    expect(ms).toBeLessThan(5000);
    expect(requester.inFlight).toBe(0);
    requester.close(new Error('done'));
  });

  it('keeps the id of a request it failed by itself until the late answer comes, so that answer settles nothing else', async () => {
    const rings = createWorkerRings(Doorbell.createBuffer(), 1 << 16);
    const requester = new RingRequester({ requester: 0, responseBell: Doorbell.createBuffer(), workers: [rings] }, 2);
    const consumer = new RingConsumer(rings.requests);
    await expect(requester.send(0, 1, message(0x0a, 0, new Uint8Array(4), 4, 100))).rejects.toBeInstanceOf(OperationTimedOutError);
    const [first] = readAll(consumer);
    const firstId = first![0]!;
    // Capacity 2, one id orphaned: the next request takes the other id, a third finds none free.
    const second = requester.send(0, 1, message(0x0a, 0, new Uint8Array(4), 4, 0));
    await expect(requester.send(0, 1, message(0x0a, 0, new Uint8Array(4), 4, 0))).rejects.toThrow(/busy|in use|requests/i);
    await Promise.resolve();
    const [rec] = readAll(consumer);
    expect(rec![0]).not.toBe(firstId);
    let settled = false;
    void second.then(() => (settled = true));
    answer(rings, firstId); // the late answer of the timed-out request
    requester.drain();
    await Promise.resolve();
    expect(settled).toBe(false);
    answer(rings, rec![0]!);
    requester.drain();
    await expect(second).resolves.toBeDefined();
    // The orphaned id is free again: both ids can be taken.
    const more = [0, 1].map(() => requester.send(0, 1, message(0x0a, 0, new Uint8Array(4), 4, 0)));
    await Promise.resolve();
    expect(
      readAll(consumer)
        .map((r) => r[0])
        .sort(),
    ).toEqual([0, 1]);
    requester.close(new Error('done'));
    for (const p of more) await expect(p).rejects.toThrow('done');
  }, 20_000);
});

describe('failureError: not-sent marks agree with core.failureWasNotSent', () => {
  it('marks exactly the failures whose request never reached a socket', () => {
    for (const kind of Object.values(FailureKind)) {
      const e = failureError(kind, 'm', '127.0.0.1:9042', 100) as Error & { wasNotSent?: boolean };
      expect(e.wasNotSent === true, `kind ${kind}`).toBe(failureWasNotSent(kind));
      expect(Object.keys(e)).not.toContain('wasNotSent');
    }
  });
});
