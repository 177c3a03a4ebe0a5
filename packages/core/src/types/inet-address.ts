/** An IPv4 or IPv6 address for CQL `inet` (4 or 16 bytes), as `cassandra-driver`'s `types.InetAddress`. */
export class InetAddress {
  readonly buffer: Buffer;
  readonly length: number;
  readonly version: 4 | 6;

  constructor(buffer: Buffer) {
    if (!(buffer instanceof Buffer) || (buffer.length !== 4 && buffer.length !== 16)) {
      throw new TypeError('The ip address must contain 4 or 16 bytes');
    }
    this.buffer = buffer;
    this.length = buffer.length;
    this.version = buffer.length === 4 ? 4 : 6;
  }

  /** Parses dotted IPv4 or RFC 4291 IPv6 text (`::` and IPv4-mapped forms); an empty value is 0.0.0.0. */
  static fromString(value: string): InetAddress {
    if (!value) return new InetAddress(Buffer.from([0, 0, 0, 0]));
    const v4 = parseIPv4(value);
    if (v4 !== null) return new InetAddress(v4);
    const v6 = parseIPv6(value);
    if (v6 === null) throw new TypeError(`Value could not be parsed as InetAddress: ${value}`);
    return new InetAddress(v6);
  }

  equals(other: unknown): boolean {
    return other instanceof InetAddress && this.buffer.equals(other.buffer);
  }

  getBuffer(): Buffer {
    return this.buffer;
  }

  /**
   * Dotted decimal for IPv4; for IPv6 lowercase hex groups with the longest run of zero groups (the first
   * such run, even a single group, as `cassandra-driver` prints it) written as `::`. `'hex'` gives raw hex.
   */
  toString(encoding?: string): string {
    const b = this.buffer;
    if (encoding === 'hex') return b.toString('hex');
    if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
    let bestStart = -1;
    let bestLen = 0;
    for (let g = 0; g < 8;) {
      if (b[2 * g] !== 0 || b[2 * g + 1] !== 0) {
        g++;
        continue;
      }
      let e = g;
      while (e < 8 && b[2 * e] === 0 && b[2 * e + 1] === 0) e++;
      if (e - g > bestLen) {
        bestStart = g;
        bestLen = e - g;
      }
      g = e;
    }
    let out = '';
    for (let g = 0; g < 8; g++) {
      if (g === bestStart) {
        out += g === 0 ? '::' : ':';
        g += bestLen - 1;
        if (g === 7 && bestStart !== 0) out += ':';
        continue;
      }
      if (out.length > 0 && !out.endsWith('::')) out += ':';
      out += ((b[2 * g]! << 8) | b[2 * g + 1]!).toString(16);
    }
    return out;
  }

  inspect(): string {
    return `${this.constructor.name}: ${this.toString()}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function parseIPv4(s: string): Buffer | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = Buffer.allocUnsafe(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIPv6(s: string): Buffer | null {
  if (!/^[\da-f:.]+$/i.test(s)) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const head = dbl >= 0 ? s.substring(0, dbl) : s;
  const tail = dbl >= 0 ? s.substring(dbl + 2) : '';
  const headGroups = head.length > 0 ? head.split(':') : [];
  const tailGroups = tail.length > 0 ? tail.split(':') : [];
  // An embedded IPv4 address may only end the text and stands for two groups.
  const last = dbl >= 0 ? tailGroups : headGroups;
  let v4: Buffer | null = null;
  if (last.length > 0 && last[last.length - 1]!.indexOf('.') >= 0) {
    v4 = parseIPv4(last.pop()!);
    if (v4 === null) return null;
  }
  const groups = headGroups.length + tailGroups.length + (v4 !== null ? 2 : 0);
  if (dbl < 0 ? groups !== 8 : groups > 8) return null;
  const out = Buffer.alloc(16);
  let off = 0;
  for (const g of headGroups) {
    if (!/^[\da-f]{1,4}$/i.test(g)) return null;
    out.writeUInt16BE(parseInt(g, 16), off);
    off += 2;
  }
  off = 16 - 2 * tailGroups.length - (v4 !== null ? 4 : 0);
  if (dbl < 0) off = 2 * headGroups.length;
  for (const g of tailGroups) {
    if (!/^[\da-f]{1,4}$/i.test(g)) return null;
    out.writeUInt16BE(parseInt(g, 16), off);
    off += 2;
  }
  if (v4 !== null) {
    v4.copy(out, 12);
    // Only the IPv4-mapped form (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2) is accepted, as cassandra-driver does.
    for (let i = 0; i < 10; i++) {
      if (out[i] !== 0) {
        throw new TypeError('Only IPv4-Mapped IPv6 addresses are allowed as IPv6 address with embedded IPv4 address');
      }
    }
    if (out[10] !== 255 || out[11] !== 255) {
      throw new TypeError('Only IPv4-Mapped IPv6 addresses are allowed as IPv6 address with embedded IPv4 address');
    }
  }
  return out;
}
