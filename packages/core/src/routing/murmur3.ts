/**
 * Cassandra's Murmur3Partitioner token: MurmurHash3 x64 128 (seed 0) as Cassandra implements it
 * (org.apache.cassandra.utils.MurmurHash.hash3_x64_128), keeping the first 64-bit half:
 * - 16-byte blocks are read as two little-endian unsigned 64-bit words;
 * - the tail bytes are sign-extended (Java `(long) byte`) before they are shifted into k1/k2;
 * - token = h1 as signed int64, with Long.MIN_VALUE mapped to Long.MAX_VALUE (Murmur3Partitioner.normalize).
 *
 * Two forms: murmur3Token (BigInt, the reference, exported for users) and murmur3TokenHiLo, the hot-path form
 * on int32 halves (64-bit multiply from 32x16-bit partial products and Math.imul; no BigInt, no allocation).
 * Tests prove they agree.
 */

const M64 = (1n << 64n) - 1n;
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;
const F1 = 0xff51afd7ed558ccdn;
const F2 = 0xc4ceb9fe1a85ec53n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

function rotl64(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & M64;
}

function fmix64(k: bigint): bigint {
  k ^= k >> 33n;
  k = (k * F1) & M64;
  k ^= k >> 33n;
  k = (k * F2) & M64;
  k ^= k >> 33n;
  return k;
}

function readU64LE(key: Uint8Array, off: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(key[off + i]!);
  return v;
}

/** Java `(long) byte` shifted left by `shift` bits, as an unsigned 64-bit pattern. */
function signExtendedByte(b: number, shift: number): bigint {
  return (BigInt(b >= 0x80 ? b - 0x100 : b) << BigInt(shift)) & M64;
}

/** The Murmur3Partitioner token of a serialized partition key (the reference form). */
export function murmur3Token(key: Uint8Array): bigint {
  const len = key.length;
  const nblocks = len >>> 4;
  let h1 = 0n;
  let h2 = 0n;
  for (let i = 0; i < nblocks; i++) {
    let k1 = readU64LE(key, i * 16);
    let k2 = readU64LE(key, i * 16 + 8);
    k1 = (k1 * C1) & M64;
    k1 = rotl64(k1, 31n);
    k1 = (k1 * C2) & M64;
    h1 ^= k1;
    h1 = rotl64(h1, 27n);
    h1 = (h1 + h2) & M64;
    h1 = (h1 * 5n + 0x52dce729n) & M64;
    k2 = (k2 * C2) & M64;
    k2 = rotl64(k2, 33n);
    k2 = (k2 * C1) & M64;
    h2 ^= k2;
    h2 = rotl64(h2, 31n);
    h2 = (h2 + h1) & M64;
    h2 = (h2 * 5n + 0x38495ab5n) & M64;
  }
  const off = nblocks * 16;
  const rem = len & 15;
  let k1 = 0n;
  let k2 = 0n;
  for (let j = rem - 1; j >= 8; j--) k2 ^= signExtendedByte(key[off + j]!, 8 * (j - 8));
  if (rem > 8) {
    k2 = (k2 * C2) & M64;
    k2 = rotl64(k2, 33n);
    k2 = (k2 * C1) & M64;
    h2 ^= k2;
  }
  for (let j = Math.min(rem, 8) - 1; j >= 0; j--) k1 ^= signExtendedByte(key[off + j]!, 8 * j);
  if (rem > 0) {
    k1 = (k1 * C1) & M64;
    k1 = rotl64(k1, 31n);
    k1 = (k1 * C2) & M64;
    h1 ^= k1;
  }
  h1 ^= BigInt(len);
  h2 ^= BigInt(len);
  h1 = (h1 + h2) & M64;
  h2 = (h2 + h1) & M64;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 = (h1 + h2) & M64;
  const token = BigInt.asIntN(64, h1);
  return token === MIN_I64 ? MAX_I64 : token;
}

// ---- int32 form -------------------------------------------------------------------------------------
// A 64-bit value is (hi, lo): two int32 bit patterns. Products mod 2^64:
//   (ah·2^32 + al)(bh·2^32 + bl) = al·bl + 2^32(ah·bl + al·bh)   (mod 2^64)
// Math.imul gives the low 32 bits of each product; umulhi gives the high 32 bits of al·bl. A multiply by 5
// needs no umulhi: (al >>> 0)·5 < 2^35 is exact in a double.

const C1_HI = 0x87c37b91 | 0;
const C1_LO = 0x114253d5 | 0;
const C2_HI = 0x4cf5ad43 | 0;
const C2_LO = 0x2745937f | 0;
const F1_HI = 0xff51afd7 | 0;
const F1_LO = 0xed558ccd | 0;
const F2_HI = 0xc4ceb9fe | 0;
const F2_LO = 0x1a85ec53 | 0;
const ADD1 = 0x52dce729;
const ADD2 = 0x38495ab5;

/**
 * High 32 bits of the unsigned product a·b (a, b taken as uint32). With b = b1·2^16 + b0, both a·b1 and a·b0
 * are below 2^48, so exact in a double, and floor(a·b / 2^32) = floor((a·b1 + floor(a·b0 / 2^16)) / 2^16).
 * Kept small so V8 can inline it at more of its call sites.
 */
function umulhi(a: number, b: number): number {
  const ua = a >>> 0;
  return Math.floor((ua * (b >>> 16) + Math.floor((ua * (b & 0xffff)) / 65536)) / 65536) | 0;
}

/** High half of (ah,al)·(bh,bl) mod 2^64; the low half is Math.imul(al, bl). */
function mulHi(ah: number, al: number, bh: number, bl: number): number {
  return (umulhi(al, bl) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
}

/** Carry out of the low-half addition al + bl whose 32-bit result is `sum`. */
function carry(al: number, sum: number): number {
  return sum >>> 0 < al >>> 0 ? 1 : 0;
}

/**
 * murmur3Token of buf[off, off+len) written as out[0] = high 32 bits (signed), out[1] = low 32 bits (as
 * int32). No BigInt, no allocation.
 */
// eslint-disable-next-line max-lines-per-function -- hand-unrolled 64-bit arithmetic on int32 halves (no BigInt, no allocation), once per routed request; splitting it costs calls in the block loop
export function murmur3TokenHiLo(buf: Uint8Array, off: number, len: number, out: Int32Array): void {
  let h1h = 0;
  let h1l = 0;
  let h2h = 0;
  let h2l = 0;
  let k1h = 0;
  let k1l = 0;
  let k2h = 0;
  let k2l = 0;
  let t = 0;
  let u = 0;
  const end = off + (len & ~15);
  let p = off;
  for (; p < end; p += 16) {
    k1l = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
    k1h = buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24);
    k2l = buf[p + 8]! | (buf[p + 9]! << 8) | (buf[p + 10]! << 16) | (buf[p + 11]! << 24);
    k2h = buf[p + 12]! | (buf[p + 13]! << 8) | (buf[p + 14]! << 16) | (buf[p + 15]! << 24);

    // k1 *= c1; k1 = rotl(k1, 31); k1 *= c2; h1 ^= k1
    t = mulHi(k1h, k1l, C1_HI, C1_LO);
    k1l = Math.imul(k1l, C1_LO);
    k1h = t;
    t = (k1h << 31) | (k1l >>> 1);
    k1l = (k1l << 31) | (k1h >>> 1);
    k1h = t;
    t = mulHi(k1h, k1l, C2_HI, C2_LO);
    k1l = Math.imul(k1l, C2_LO);
    k1h = t;
    h1h ^= k1h;
    h1l ^= k1l;
    // h1 = rotl(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729
    t = (h1h << 27) | (h1l >>> 5);
    h1l = (h1l << 27) | (h1h >>> 5);
    h1h = t;
    t = (h1l + h2l) | 0;
    h1h = (h1h + h2h + carry(h1l, t)) | 0;
    h1l = t;
    t = (Math.floor(((h1l >>> 0) * 5) / 4294967296) + Math.imul(h1h, 5)) | 0;
    h1l = Math.imul(h1l, 5);
    h1h = t;
    t = (h1l + ADD1) | 0;
    h1h = (h1h + carry(h1l, t)) | 0;
    h1l = t;

    // k2 *= c2; k2 = rotl(k2, 33); k2 *= c1; h2 ^= k2
    t = mulHi(k2h, k2l, C2_HI, C2_LO);
    k2l = Math.imul(k2l, C2_LO);
    k2h = t;
    t = (k2l << 1) | (k2h >>> 31);
    k2l = (k2h << 1) | (k2l >>> 31);
    k2h = t;
    t = mulHi(k2h, k2l, C1_HI, C1_LO);
    k2l = Math.imul(k2l, C1_LO);
    k2h = t;
    h2h ^= k2h;
    h2l ^= k2l;
    // h2 = rotl(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5
    t = (h2h << 31) | (h2l >>> 1);
    h2l = (h2l << 31) | (h2h >>> 1);
    h2h = t;
    t = (h2l + h1l) | 0;
    h2h = (h2h + h1h + carry(h2l, t)) | 0;
    h2l = t;
    t = (Math.floor(((h2l >>> 0) * 5) / 4294967296) + Math.imul(h2h, 5)) | 0;
    h2l = Math.imul(h2l, 5);
    h2h = t;
    t = (h2l + ADD2) | 0;
    h2h = (h2h + carry(h2l, t)) | 0;
    h2l = t;
  }

  // Tail: bytes sign-extended as Java's (long) byte. A byte at position j of a word sets bits 8j..8j+7 and,
  // when negative, every bit above them.
  const rem = len & 15;
  if (rem > 0) {
    k1h = 0;
    k1l = 0;
    k2h = 0;
    k2l = 0;
    for (let j = rem - 1; j >= 0; j--) {
      u = (buf[p + j]! << 24) >> 24; // sign-extended int32
      const jj = j & 7;
      if (j >= 8) {
        if (jj < 4) {
          k2l ^= u << (jj * 8);
          k2h ^= u >> 31;
        } else {
          k2h ^= u << ((jj - 4) * 8);
        }
      } else if (jj < 4) {
        k1l ^= u << (jj * 8);
        k1h ^= u >> 31;
      } else {
        k1h ^= u << ((jj - 4) * 8);
      }
    }
    if (rem > 8) {
      t = mulHi(k2h, k2l, C2_HI, C2_LO);
      k2l = Math.imul(k2l, C2_LO);
      k2h = t;
      t = (k2l << 1) | (k2h >>> 31);
      k2l = (k2h << 1) | (k2l >>> 31);
      k2h = t;
      t = mulHi(k2h, k2l, C1_HI, C1_LO);
      k2l = Math.imul(k2l, C1_LO);
      k2h = t;
      h2h ^= k2h;
      h2l ^= k2l;
    }
    t = mulHi(k1h, k1l, C1_HI, C1_LO);
    k1l = Math.imul(k1l, C1_LO);
    k1h = t;
    t = (k1h << 31) | (k1l >>> 1);
    k1l = (k1l << 31) | (k1h >>> 1);
    k1h = t;
    t = mulHi(k1h, k1l, C2_HI, C2_LO);
    k1l = Math.imul(k1l, C2_LO);
    k1h = t;
    h1h ^= k1h;
    h1l ^= k1l;
  }

  // Finalization: h ^= len (len < 2^31 here: only the low half changes); h1 += h2; h2 += h1; fmix; h1 += h2.
  h1l ^= len;
  h2l ^= len;
  t = (h1l + h2l) | 0;
  h1h = (h1h + h2h + carry(h1l, t)) | 0;
  h1l = t;
  t = (h2l + h1l) | 0;
  h2h = (h2h + h1h + carry(h2l, t)) | 0;
  h2l = t;

  // fmix64(h1)
  h1l ^= h1h >>> 1;
  t = mulHi(h1h, h1l, F1_HI, F1_LO);
  h1l = Math.imul(h1l, F1_LO);
  h1h = t;
  h1l ^= h1h >>> 1;
  t = mulHi(h1h, h1l, F2_HI, F2_LO);
  h1l = Math.imul(h1l, F2_LO);
  h1h = t;
  h1l ^= h1h >>> 1;
  // fmix64(h2)
  h2l ^= h2h >>> 1;
  t = mulHi(h2h, h2l, F1_HI, F1_LO);
  h2l = Math.imul(h2l, F1_LO);
  h2h = t;
  h2l ^= h2h >>> 1;
  t = mulHi(h2h, h2l, F2_HI, F2_LO);
  h2l = Math.imul(h2l, F2_LO);
  h2h = t;
  h2l ^= h2h >>> 1;

  t = (h1l + h2l) | 0;
  h1h = (h1h + h2h + carry(h1l, t)) | 0;
  h1l = t;

  // Murmur3Partitioner.normalize: Long.MIN_VALUE is not a valid token; it becomes Long.MAX_VALUE.
  if (h1h === (0x80000000 | 0) && h1l === 0) {
    h1h = 0x7fffffff;
    h1l = -1;
  }
  out[0] = h1h;
  out[1] = h1l;
}

/** The signed 64-bit value of a (hi, lo) pair. */
export function tokenFromHiLo(hi: number, lo: number): bigint {
  return (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
}

/** Splits a signed 64-bit token into out[0] = hi (signed), out[1] = lo (int32 bits). */
export function tokenToHiLo(token: bigint, out: Int32Array): void {
  const u = BigInt.asUintN(64, token);
  out[0] = Number(u >> 32n) | 0;
  out[1] = Number(u & 0xffffffffn) | 0;
}
