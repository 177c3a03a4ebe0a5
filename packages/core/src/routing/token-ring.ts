import { ArgumentError } from '../errors';

const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

/** A (token, host index) pair as the topology gives it: tokens as decimal strings (system.local/peers) or bigint. */
export type TokenEntry = readonly [token: string | bigint, hostIndex: number];

/**
 * The Murmur3 token ring: tokens sorted ascending (signed 64-bit), each with the index of the host that owns
 * it. A token t belongs to the range (previous ring token, next ring token >= t], owned by the host of that
 * next ring token; past the last ring token it wraps to the first. Lookup is one binary search over two
 * Int32Arrays, without BigInt or allocation.
 */
export class TokenRing {
  /** Number of ring tokens (ranges). */
  readonly size: number;
  /** High 32 bits (signed) of each ring token, ascending by (hi signed, lo unsigned). */
  readonly hi: Int32Array;
  /** Low 32 bits (int32 bit pattern) of each ring token. */
  readonly lo: Int32Array;
  /** Host index owning ring token i. */
  readonly owners: Int32Array;

  /** Duplicate tokens keep the first entry. Throws ArgumentError on a token that is not a signed 64-bit integer. */
  constructor(entries: Iterable<TokenEntry>) {
    const parsed: { t: bigint; h: number }[] = [];
    for (const [token, hostIndex] of entries) {
      const t = parseToken(token);
      if (t === null) throw new ArgumentError(`Invalid token ${JSON.stringify(String(token))}`);
      if (!Number.isInteger(hostIndex) || hostIndex < 0) throw new ArgumentError(`Invalid host index ${hostIndex}`);
      parsed.push({ t, h: hostIndex });
    }
    // Stable sort keeps the first of duplicate tokens first.
    parsed.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    let n = 0;
    for (let i = 0; i < parsed.length; i++) {
      if (i === 0 || parsed[i]!.t !== parsed[n - 1]!.t) parsed[n++] = parsed[i]!;
    }
    this.size = n;
    this.hi = new Int32Array(n);
    this.lo = new Int32Array(n);
    this.owners = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = BigInt.asUintN(64, parsed[i]!.t);
      this.hi[i] = Number(u >> 32n) | 0;
      this.lo[i] = Number(u & 0xffffffffn) | 0;
      this.owners[i] = parsed[i]!.h;
    }
  }

  /**
   * As the constructor, but skips entries with a bad token or host index (topology rows are not to be
   * trusted: issue 5 wants bad data logged and skipped), telling `onSkip` about each.
   */
  static lenient(entries: Iterable<TokenEntry>, onSkip: (entry: TokenEntry, reason: string) => void): TokenRing {
    const good: TokenEntry[] = [];
    for (const e of entries) {
      if (parseToken(e[0]) === null) onSkip(e, 'invalid token');
      else if (!Number.isInteger(e[1]) || e[1] < 0) onSkip(e, 'invalid host index');
      else good.push(e);
    }
    return new TokenRing(good);
  }

  /** Index of the smallest ring token >= (hi, lo), wrapping to 0 past the last; -1 on an empty ring. */
  rangeIndexOf(hi: number, lo: number): number {
    return searchRing(this.hi, this.lo, this.size, hi, lo);
  }

  /** Host index owning the token (hi, lo); -1 on an empty ring. */
  ownerIndexOf(hi: number, lo: number): number {
    const i = this.rangeIndexOf(hi, lo);
    return i < 0 ? -1 : this.owners[i]!;
  }

  /** Ring token i as a bigint (for logs and tests). */
  tokenAt(i: number): bigint {
    return (BigInt(this.hi[i]!) << 32n) | BigInt(this.lo[i]! >>> 0);
  }
}

/** A signed 64-bit token from a decimal string or bigint; null when it is not one. */
function parseToken(token: unknown): bigint | null {
  let t: bigint;
  if (typeof token === 'bigint') {
    t = token;
  } else if (typeof token === 'string' && /^\s*[-+]?\d+\s*$/.test(token)) {
    t = BigInt(token.trim());
  } else {
    return null;
  }
  return t < MIN_I64 || t > MAX_I64 ? null : t;
}

/**
 * Binary search over sorted (hi signed, lo unsigned) halves: the index of the smallest token >= (hi, lo),
 * 0 when every token is smaller (the ring wraps), -1 when n is 0. Internal to routing.
 */
export function searchRing(his: Int32Array, los: Int32Array, n: number, hi: number, lo: number): number {
  if (n === 0) return -1;
  const ulo = lo >>> 0;
  let a = 0;
  let b = n;
  // Invariant: tokens before a are < t; tokens from b on are >= t.
  while (a < b) {
    const m = (a + b) >>> 1;
    const mh = his[m]!;
    if (mh < hi || (mh === hi && los[m]! >>> 0 < ulo)) a = m + 1;
    else b = m;
  }
  return a === n ? 0 : a;
}
