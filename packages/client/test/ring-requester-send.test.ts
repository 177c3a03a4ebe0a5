import { describe, expect, it } from 'vitest';
import { Doorbell, RingConsumer, RecordKind, REQUEST_HEADER_SIZE } from '@shardcql/core';
import { RingRequester, createWorkerRings } from '../src/engine/ring-requester';

/** A requester on one worker's rings, and a consumer reading what it sends (no worker thread). */
function setup(): { requester: RingRequester; consumer: RingConsumer } {
  const rings = createWorkerRings(Doorbell.createBuffer(), 1 << 16);
  const requester = new RingRequester({ requester: 0, responseBell: Doorbell.createBuffer(), workers: [rings] }, 64);
  return { requester, consumer: new RingConsumer(rings.requests) };
}

function readAll(consumer: RingConsumer): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (consumer.next()) {
    expect(consumer.kind).toBe(RecordKind.REQUEST);
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
    for (const [body, n] of sources) pending.push(requester.send(0, 1, 0x0a, 0, body, n, 1000).catch(() => undefined));
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
