import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, buildRoutingKey, routingKeyLength, writeRoutingKey } from '@shardcql/core';

describe('buildRoutingKey', () => {
  it('returns a single component as is', () => {
    const c = Buffer.from([1, 2, 3]);
    expect(buildRoutingKey([c])).toBe(c);
    const u = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    expect([...buildRoutingKey([u])]).toEqual([8, 7]);
  });

  it('frames composite components as u16 BE length, bytes, 0x00', () => {
    const key = buildRoutingKey([Buffer.from([0, 0, 0, 1]), Buffer.from('ab')]);
    expect([...key]).toEqual([0, 4, 0, 0, 0, 1, 0, 0, 2, 0x61, 0x62, 0]);
    const empty = buildRoutingKey([new Uint8Array(0), new Uint8Array(0)]);
    expect([...empty]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('writeRoutingKey writes what buildRoutingKey builds, at an offset', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }), (parts) => {
        const expected = buildRoutingKey(parts);
        const out = new Uint8Array(routingKeyLength(parts) + 5);
        const n = writeRoutingKey(parts, out, 5);
        return n === expected.length && Buffer.from(out.subarray(5)).equals(expected);
      }),
    );
  });

  it('rejects empty and oversized composite components', () => {
    expect(() => buildRoutingKey([])).toThrow(ArgumentError);
    expect(() => buildRoutingKey([new Uint8Array(70_000), new Uint8Array(1)])).toThrow(ArgumentError);
  });
});
