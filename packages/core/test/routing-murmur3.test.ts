import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3Token, murmur3TokenHiLo, tokenFromHiLo, tokenToHiLo } from '@shardcql/core';

// cassandra-driver's own Murmur3 (lib/tokenizer.js exports { Murmur3Tokenizer, ... }; hash(Buffer) returns a
// Murmur3Token whose toString() is the signed decimal token) is the oracle.
const requireCjs = createRequire(__filename);
const { Murmur3Tokenizer } = requireCjs('cassandra-driver/lib/tokenizer') as {
  Murmur3Tokenizer: new () => { hash(b: Buffer): { toString(): string } };
};
const oracle = new Murmur3Tokenizer();
const oracleToken = (b: Uint8Array): bigint => BigInt(oracle.hash(Buffer.from(b)).toString());

const out = new Int32Array(2);
function fast(b: Uint8Array): bigint {
  murmur3TokenHiLo(b, 0, b.length, out);
  return tokenFromHiLo(out[0], out[1]);
}

/** xorshift32: reproducible random bytes without fast-check's per-run overhead. */
function prng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

describe('murmur3Token', () => {
  it('matches the protocol-facts vectors', () => {
    const vectors: [string, bigint][] = [
      ['test', -6017608668500074083n],
      ['xd', 4507812186440344727n],
      ['primary_key', -1632642444691073360n],
    ];
    for (const [key, token] of vectors) {
      const b = Buffer.from(key, 'utf8');
      expect(murmur3Token(b)).toBe(token);
      expect(fast(b)).toBe(token);
      expect(oracleToken(b)).toBe(token);
    }
  });

  it('hashes the empty key to 0 (as cassandra-driver)', () => {
    expect(murmur3Token(new Uint8Array(0))).toBe(0n);
    expect(fast(new Uint8Array(0))).toBe(0n);
    expect(oracleToken(new Uint8Array(0))).toBe(0n);
  });

  it('agrees with cassandra-driver on every tail length, with and without sign-extended bytes', () => {
    const rnd = prng(42);
    for (let len = 0; len <= 80; len++) {
      for (const fill of ['low', 'high', 'random'] as const) {
        const b = new Uint8Array(len);
        for (let i = 0; i < len; i++) b[i] = fill === 'low' ? (i * 7) & 0x7f : fill === 'high' ? 0x80 | (i * 13) : rnd() & 0xff;
        const expected = oracleToken(b);
        expect(murmur3Token(b), `len ${len} ${fill}`).toBe(expected);
        expect(fast(b), `len ${len} ${fill}`).toBe(expected);
      }
    }
  });

  it('agrees with cassandra-driver on 20,000 random keys (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const expected = oracleToken(b);
        return murmur3Token(b) === expected && fast(b) === expected;
      }),
      { numRuns: 20_000 },
    );
  });

  it('hashes a sub-range of a larger buffer', () => {
    const big = Buffer.from('xxxtest-yyy');
    murmur3TokenHiLo(big, 3, 4, out);
    expect(tokenFromHiLo(out[0], out[1])).toBe(-6017608668500074083n);
  });

  it('the int32 form equals the BigInt reference on 1,000,000 random keys', () => {
    const rnd = prng(0x5eed);
    const buf = new Uint8Array(300);
    let mismatches = 0;
    for (let n = 0; n < 1_000_000; n++) {
      const r = rnd();
      // Mostly short keys (ids, uuids, small texts), some up to 300 bytes.
      const len = (r & 0xff) < 240 ? r % 41 : r % 301;
      for (let i = 0; i < len; i++) buf[i] = rnd() & 0xff;
      const key = buf.subarray(0, len);
      murmur3TokenHiLo(buf, 0, len, out);
      if (tokenFromHiLo(out[0], out[1]) !== murmur3Token(key)) mismatches++;
    }
    expect(mismatches).toBe(0);
  }, 120_000);

  it('converts tokens to and from hi/lo halves', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (t) => {
        tokenToHiLo(t, out);
        return tokenFromHiLo(out[0], out[1]) === t;
      }),
    );
  });
});
