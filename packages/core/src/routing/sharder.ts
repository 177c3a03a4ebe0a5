import { ArgumentError } from '../errors';

const BIAS = 1n << 63n;
const TWO32 = 4294967296;

/**
 * ScyllaDB's biased-token-round-robin sharding (SUPPORTED SCYLLA_SHARDING_ALGORITHM; scylladb
 * docs/dev/protocol-extensions.md "Intranode sharding"): b = (token + 2^63) mod 2^64;
 * b = (b << ignoreMsb) mod 2^64; shard = high 64 bits of b * nrShards. The reference form.
 */
export function tokenToShard(token: bigint, nrShards: number, ignoreMsb: number): number {
  checkSharding(nrShards, ignoreMsb);
  let b = BigInt.asUintN(64, token + BIAS);
  b = BigInt.asUintN(64, b << BigInt(ignoreMsb));
  return Number((b * BigInt(nrShards)) >> 64n);
}

function checkSharding(nrShards: number, ignoreMsb: number): void {
  // nrShards < 2^21 keeps every product in Sharder.shardOf exact in a double.
  if (!Number.isInteger(nrShards) || nrShards < 1 || nrShards > 0xffff) {
    throw new ArgumentError(`nrShards must be an integer in 1..65535, got ${nrShards}`);
  }
  if (!Number.isInteger(ignoreMsb) || ignoreMsb < 0 || ignoreMsb > 63) {
    throw new ArgumentError(`ignoreMsb must be an integer in 0..63, got ${ignoreMsb}`);
  }
}

/** The hot-path form: token as (hi, lo) int32 halves, no BigInt, no allocation. */
export class Sharder {
  readonly nrShards: number;
  readonly ignoreMsb: number;

  constructor(nrShards: number, ignoreMsb: number) {
    checkSharding(nrShards, ignoreMsb);
    this.nrShards = nrShards;
    this.ignoreMsb = ignoreMsb;
  }

  /** Shard owning the token whose high/low 32 bits are hi/lo (as murmur3TokenHiLo writes them). */
  shardOf(hi: number, lo: number): number {
    // + 2^63 mod 2^64 only flips the top bit.
    let bh = (hi ^ 0x80000000) >>> 0;
    let bl = lo >>> 0;
    const s = this.ignoreMsb;
    if (s >= 32) {
      bh = (bl << (s - 32)) >>> 0;
      bl = 0;
    } else if (s > 0) {
      bh = ((bh << s) | (bl >>> (32 - s))) >>> 0;
      bl = (bl << s) >>> 0;
    }
    const n = this.nrShards;
    // floor(b·n / 2^64) with b = bh·2^32 + bl: every term below is < 2^53, so exact.
    return Math.floor((bh * n + Math.floor((bl * n) / TWO32)) / TWO32);
  }

  /** Shard a connection to the shard-aware port lands on, given its local (source) port. */
  shardOfSourcePort(port: number): number {
    return port % this.nrShards;
  }
}
