import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, TokenRing, tokenToHiLo } from '@shardcql/core';

const I64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const hl = new Int32Array(2);
function owner(ring: TokenRing, t: bigint): number {
  tokenToHiLo(t, hl);
  return ring.ownerIndexOf(hl[0], hl[1]);
}

describe('TokenRing', () => {
  const ring = new TokenRing([
    ['100', 1],
    ['-5', 0],
    ['-9223372036854775808', 3],
    ['9223372036854775807', 2],
    [4294967296n, 4],
  ]);

  it('sorts tokens as signed 64-bit values', () => {
    expect(ring.size).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => ring.tokenAt(i))).toEqual([-9223372036854775808n, -5n, 100n, 4294967296n, 9223372036854775807n]);
  });

  it('gives a token to the owner of the smallest ring token >= it, ranges (prev, tok]', () => {
    expect(owner(ring, -9223372036854775808n)).toBe(3);
    expect(owner(ring, -9223372036854775807n)).toBe(0);
    expect(owner(ring, -5n)).toBe(0);
    expect(owner(ring, -4n)).toBe(1);
    expect(owner(ring, 100n)).toBe(1);
    expect(owner(ring, 101n)).toBe(4);
    expect(owner(ring, 4294967295n)).toBe(4); // lo compared unsigned
    expect(owner(ring, 4294967297n)).toBe(2);
  });

  it('wraps past the last token', () => {
    const r = new TokenRing([
      ['0', 7],
      ['1000', 8],
    ]);
    expect(owner(r, 1001n)).toBe(7);
    expect(owner(r, (1n << 63n) - 1n)).toBe(7);
    expect(owner(r, -1n)).toBe(7);
    expect(owner(r, 1n)).toBe(8);
  });

  it('agrees with a linear scan for random rings and tokens', () => {
    fc.assert(
      fc.property(fc.uniqueArray(I64, { minLength: 1, maxLength: 64 }), fc.array(I64, { maxLength: 50 }), (tokens, probes) => {
        const r = new TokenRing(tokens.map((t, i) => [t.toString(), i] as const));
        const sorted = tokens.map((t, i) => ({ t, i })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
        for (const p of [...probes, ...tokens]) {
          const hit = sorted.find((e) => e.t >= p) ?? sorted[0];
          if (owner(r, p) !== hit.i) return false;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the first of duplicate tokens; an empty ring owns nothing', () => {
    const r = new TokenRing([
      ['5', 1],
      ['5', 2],
    ]);
    expect(r.size).toBe(1);
    expect(owner(r, 0n)).toBe(1);
    expect(owner(new TokenRing([]), 0n)).toBe(-1);
  });

  it('rejects tokens that are not signed 64-bit integers', () => {
    expect(() => new TokenRing([['abc', 0]])).toThrow(ArgumentError);
    expect(() => new TokenRing([['', 0]])).toThrow(ArgumentError);
    expect(() => new TokenRing([['9223372036854775808', 0]])).toThrow(ArgumentError);
  });

  it('lenient() skips bad topology rows and reports them', () => {
    const skipped: string[] = [];
    const r = TokenRing.lenient(
      [
        ['10', 0],
        ['x', 1],
        ['', 1],
        ['99999999999999999999', 2],
        ['20', -1],
        [' +30 ', 3],
      ],
      (e, reason) => skipped.push(`${String(e[0])}: ${reason}`),
    );
    expect(r.size).toBe(2);
    expect([r.tokenAt(0), r.tokenAt(1)]).toEqual([10n, 30n]);
    expect(skipped).toEqual(['x: invalid token', ': invalid token', '99999999999999999999: invalid token', '20: invalid host index']);
  });
});
