import { randomBytes } from 'node:crypto';

const HEX = '0123456789abcdef';

/** Parses the 8-4-4-4-12 hex form into `out[off, off+16)`; false when the text is not a UUID. */
export function parseUuidInto(s: string, out: Uint8Array, off: number): boolean {
  if (s.length !== 36) return false;
  let j = off;
  for (let i = 0; i < 36;) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (s.charCodeAt(i) !== 0x2d) return false;
      i++;
      continue;
    }
    const hi = hexValue(s.charCodeAt(i));
    const lo = hexValue(s.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return false;
    out[j++] = (hi << 4) | lo;
    i += 2;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** A UUID over a 16-byte buffer, as `cassandra-driver`'s `types.Uuid` (the buffer is kept, not copied). */
export class Uuid {
  readonly buffer: Buffer;

  constructor(buffer: Buffer) {
    if (!buffer || buffer.length !== 16) throw new Error('You must provide a buffer containing 16 bytes');
    this.buffer = buffer;
  }

  static fromString(value: string): Uuid {
    const buf = Buffer.allocUnsafe(16);
    if (typeof value !== 'string' || !parseUuidInto(value, buf, 0)) {
      throw new Error('Invalid string representation of Uuid, it should be in the 00000000-0000-0000-0000-000000000000');
    }
    return new Uuid(buf);
  }

  /** A random (version 4) UUID; with a callback, the bytes are generated asynchronously. */
  static random(): Uuid;
  // The callback's type as cassandra-driver declares it (`ValueCallback`), so `(err: Error, id: Uuid) => ...` is accepted.
  static random(callback: (err: Error, uuid: Uuid) => void): void;
  static random(callback?: (err: Error, uuid: Uuid) => void): Uuid | void {
    if (callback) {
      const cb = callback as (err: Error | null, uuid?: Uuid) => void;
      randomBytes(16, (err, buf) => (err ? cb(err) : cb(null, makeV4(buf))));
      return;
    }
    return makeV4(randomBytes(16));
  }

  getBuffer(): Buffer {
    return this.buffer;
  }

  equals(other: unknown): boolean {
    return other instanceof Uuid && this.buffer.equals(other.buffer);
  }

  toString(): string {
    const b = this.buffer;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
    }
    return s;
  }

  inspect(): string {
    return `${this.constructor.name}: ${this.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function makeV4(buf: Buffer): Uuid {
  // RFC 4122 section 4.4: version 4, variant 10.
  buf[6] = (buf[6]! & 0x0f) | 0x40;
  buf[8] = (buf[8]! & 0x3f) | 0x80;
  return new Uuid(buf);
}
