import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_CONTROL_BYTES, RING_HEAD, RING_TAIL, RingConsumer, RingProducer, createRingBuffer } from '@shardcql/core';

type Op = { t: 'reserve'; kind: number; len: number } | { t: 'publish' } | { t: 'next'; n: number } | { t: 'release' };

interface ModelRecord {
  id: number;
  kind: number;
  len: number;
  end: number; // position just past the record (relative to the start position)
}

const opArb = (maxPayload: number): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        t: fc.constant('reserve' as const),
        kind: fc.integer({ min: 1, max: 0xffff }),
        len: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: maxPayload })),
      }),
    },
    { weight: 2, arbitrary: fc.constant({ t: 'publish' as const }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('next' as const), n: fc.integer({ min: 1, max: 8 }) }) },
    { weight: 2, arbitrary: fc.constant({ t: 'release' as const }) },
  );

/**
 * Runs ops on a real ring and on a model queue (a list of records plus byte positions that follow the
 * layout's rules: 8-byte header, 8-byte alignment, PAD to the end when a record does not fit before it),
 * checking every result: offsets, -1 exactly when the model has no room, records in order with their kind,
 * length and bytes, used bytes.
 */
function runModel(capacity: number, start: number, ops: readonly Op[]): void {
  const sab = createRingBuffer(capacity);
  const ctrl = new Int32Array(sab, 0, RING_CONTROL_BYTES >> 2);
  Atomics.store(ctrl, RING_TAIL, start | 0);
  Atomics.store(ctrl, RING_HEAD, start | 0);
  const p = new RingProducer(sab);
  const c = new RingConsumer(sab);
  const mask = capacity - 1;

  const records: ModelRecord[] = [];
  let reservedPos = 0;
  let releasedPos = 0;
  let published = 0; // records visible to the consumer
  let consumed = 0; // records returned by next()
  let nextId = 0;

  const check = (op: Op): void => {
    switch (op.t) {
      case 'reserve': {
        const size = 8 + ((op.len + 7) & ~7);
        const off = (start + reservedPos) & mask;
        const toEnd = capacity - off;
        const need = size <= toEnd ? size : toEnd + size;
        const got = p.reserve(op.kind, op.len);
        if (capacity - (reservedPos - releasedPos) < need) {
          expect(got).toBe(-1);
          return;
        }
        expect(got).toBe((size <= toEnd ? off : 0) + 8);
        const id = nextId++;
        for (let j = 0; j < op.len; j++) p.u8[got + j] = (id + j * 3) & 0xff;
        reservedPos += need;
        records.push({ id, kind: op.kind, len: op.len, end: reservedPos });
        return;
      }
      case 'publish':
        p.publish();
        published = records.length;
        return;
      case 'next':
        for (let k = 0; k < op.n; k++) {
          const got = c.next();
          expect(got).toBe(consumed < published);
          if (!got) return;
          const r = records[consumed++];
          expect(c.kind).toBe(r.kind);
          expect(c.length).toBe(r.len);
          expect(c.offset & 7).toBe(0);
          expect(c.offset + c.length).toBeLessThanOrEqual(capacity);
          for (let j = 0; j < r.len; j++) {
            if (c.u8[c.offset + j] !== ((r.id + j * 3) & 0xff)) expect.fail(`record ${r.id} byte ${j}`);
          }
        }
        return;
      case 'release':
        c.release();
        if (consumed > 0) releasedPos = records[consumed - 1].end;
        expect(p.usedBytes).toBe(reservedPos - releasedPos);
        return;
    }
  };
  for (const op of ops) check(op);
  // Finally everything reserved comes out, in order.
  check({ t: 'publish' });
  check({ t: 'next', n: records.length - consumed + 1 });
  check({ t: 'release' });
  expect(p.usedBytes).toBe(0);
}

describe('ring queue vs a model queue (fast-check)', () => {
  for (const capacity of [64, 128, 1024]) {
    it(`capacity ${capacity}: reserve/publish/next/release sequences`, () => {
      const maxPayload = capacity / 2 - 8;
      fc.assert(
        fc.property(fc.array(opArb(maxPayload), { maxLength: 300 }), (ops) => runModel(capacity, 0, ops)),
        { numRuns: 400 },
      );
    });
  }

  it('positions near and across 2^32', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 256),
        fc.integer({ min: -2048, max: 0 }).map((x) => x * 8),
        fc.array(opArb(24), { maxLength: 300 }),
        (capacity, start, ops) => runModel(capacity, start, ops),
      ),
      { numRuns: 300 },
    );
  });
});
