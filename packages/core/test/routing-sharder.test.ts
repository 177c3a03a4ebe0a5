import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, Sharder, murmur3TokenHiLo, murmur3Token, tokenToHiLo, tokenToShard } from '@shardcql/core';

const I64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });

describe('tokenToShard / Sharder', () => {
  it('matches the protocol-facts vectors (nr_shards 4, ignore_msb 12)', () => {
    expect(tokenToShard(-9219783007514621794n, 4, 12)).toBe(3);
    expect(tokenToShard(9222582454147032830n, 4, 12)).toBe(3);
    const s = new Sharder(4, 12);
    const hl = new Int32Array(2);
    tokenToHiLo(-9219783007514621794n, hl);
    expect(s.shardOf(hl[0], hl[1])).toBe(3);
    tokenToHiLo(9222582454147032830n, hl);
    expect(s.shardOf(hl[0], hl[1])).toBe(3);
  });

  it('maps the extremes', () => {
    // Smallest biased token 0 -> shard 0; with ignore_msb 0 the largest token -> last shard.
    expect(tokenToShard(-(1n << 63n), 8, 12)).toBe(0);
    expect(tokenToShard((1n << 63n) - 1n, 8, 0)).toBe(7);
    expect(tokenToShard(123n, 1, 12)).toBe(0);
  });

  it('fast form equals the reference for random tokens, shard counts and ignore_msb', () => {
    const hl = new Int32Array(2);
    fc.assert(
      fc.property(I64, fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 0, max: 63 }), (t, n, msb) => {
        tokenToHiLo(t, hl);
        return new Sharder(n, msb).shardOf(hl[0], hl[1]) === tokenToShard(t, n, msb);
      }),
      { numRuns: 50_000 },
    );
  });

  it('fast form equals the reference on murmur3 tokens of random keys (typical 1..256 shards, msb 12)', () => {
    const hl = new Int32Array(2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 256 }), (key, n) => {
        murmur3TokenHiLo(key, 0, key.length, hl);
        return new Sharder(n, 12).shardOf(hl[0], hl[1]) === tokenToShard(murmur3Token(key), n, 12);
      }),
      { numRuns: 20_000 },
    );
  });

  it('shardOfSourcePort is port % nrShards', () => {
    const s = new Sharder(7, 12);
    expect(s.shardOfSourcePort(49152)).toBe(49152 % 7);
    expect(s.shardOfSourcePort(65535)).toBe(65535 % 7);
  });

  it('rejects bad parameters with ArgumentError', () => {
    expect(() => new Sharder(0, 12)).toThrow(ArgumentError);
    expect(() => new Sharder(4, 64)).toThrow(ArgumentError);
    expect(() => tokenToShard(0n, 1.5, 12)).toThrow(ArgumentError);
  });
});
