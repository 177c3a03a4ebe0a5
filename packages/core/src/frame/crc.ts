import * as zlib from 'node:zlib';

/**
 * Checksums of the v5 framing format (v5 spec section 2.1): CRC24 protects the frame header,
 * CRC32 the payload.
 *
 * CRC24: initial value 0x875060, polynomial 0x1974F0B, MSB-first (not reflected), no final XOR, bytes
 * fed in wire order. Table-driven, one table lookup per byte.
 */
const CRC24_INIT = 0x875060;
const CRC24_POLY = 0x1974f0b;

const CRC24_TABLE = buildCrc24Table();

function buildCrc24Table(): Int32Array {
  const t = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    let crc = b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= CRC24_POLY;
    }
    t[b] = crc & 0xffffff;
  }
  return t;
}

export function crc24(buf: Uint8Array, off: number, len: number): number {
  let crc = CRC24_INIT;
  for (let i = off, end = off + len; i < end; i++) {
    crc = ((crc << 8) ^ CRC24_TABLE[((crc >>> 16) ^ buf[i]!) & 0xff]!) & 0xffffff;
  }
  return crc;
}

/**
 * CRC-32 (IEEE, zlib's) of the bytes FA 2D 55 CA followed by the payload. Cassandra seeds its payload
 * CRC with those four bytes so that an empty payload does not checksum to 0. zlib.crc32 exists from
 * Node 20.15 / 22.2.
 */
const CRC32_SEED = zlib.crc32(Buffer.from([0xfa, 0x2d, 0x55, 0xca]));

export function crc32(buf: Uint8Array, off: number, len: number): number {
  const view = off === 0 && len === buf.length ? buf : buf.subarray(off, off + len);
  return zlib.crc32(view, CRC32_SEED) >>> 0;
}
