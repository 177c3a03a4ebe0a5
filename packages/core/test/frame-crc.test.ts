import { describe, expect, it } from 'vitest';
import { crc24, crc32 } from '../src/frame/crc';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

describe('CRC24 (v5 spec section 2.1)', () => {
  it('matches the header vectors of protocol-facts.md', () => {
    // header `00 00 02` (len 0, self-contained) -> CRC24 bytes `6a 36 c4` little-endian
    expect(crc24(hex('000002'), 0, 3)).toBe(0xc4366a);
    // header `09 00 02` (len 9, self-contained) -> `a4 c8 c1`
    expect(crc24(hex('090002'), 0, 3)).toBe(0xc1c8a4);
  });

  it('equals the bitwise definition (init 0x875060, poly 0x1974F0B, MSB first)', () => {
    const slow = (b: Uint8Array): number => {
      let crc = 0x875060;
      for (const x of b) {
        crc ^= x << 16;
        for (let i = 0; i < 8; i++) {
          crc <<= 1;
          if (crc & 0x1000000) crc ^= 0x1974f0b;
        }
      }
      return crc & 0xffffff;
    };
    for (let n = 0; n < 200; n++) {
      const b = Buffer.alloc(n % 9);
      for (let i = 0; i < b.length; i++) b[i] = (n * 31 + i * 7) & 0xff;
      expect(crc24(b, 0, b.length)).toBe(slow(b));
    }
  });

  it('honours offset and length', () => {
    expect(crc24(hex('ffff090002ff'), 2, 3)).toBe(0xc1c8a4);
  });
});

describe('CRC32 of the payload (v5 spec section 2.1)', () => {
  it('is seeded with FA 2D 55 CA: empty payload gives trailer d3 7e 77 44', () => {
    const c = crc32(Buffer.alloc(0), 0, 0);
    expect(c).toBe(0x44777ed3);
    const t = Buffer.alloc(4);
    t.writeUInt32LE(c, 0);
    expect(t.toString('hex')).toBe('d37e7744');
  });

  it('is IEEE CRC-32 of the seed bytes followed by the payload', async () => {
    const zlib = await import('node:zlib');
    const payload = Buffer.from('hello v5 framing');
    expect(crc32(Buffer.concat([Buffer.from('xx'), payload]), 2, payload.length)).toBe(
      zlib.crc32(Buffer.concat([hex('fa2d55ca'), payload])),
    );
  });
});
