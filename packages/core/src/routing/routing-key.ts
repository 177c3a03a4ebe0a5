import { ArgumentError } from '../errors';

/**
 * The partition key bytes that Murmur3 hashes. One column: its serialized value, as is. Several columns
 * (composite partition key, CompositeType): for each component in key order a u16 big-endian length, the
 * bytes, and one 0x00 end-of-component byte.
 */
export function buildRoutingKey(components: readonly Uint8Array[]): Buffer {
  const n = components.length;
  if (n === 0) throw new ArgumentError('A routing key needs at least one component');
  if (n === 1) {
    const c = components[0]!;
    return Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += 3 + components[i]!.length;
  const out = Buffer.allocUnsafe(total);
  writeRoutingKey(components, out, 0);
  return out;
}

/** Bytes buildRoutingKey would produce. */
export function routingKeyLength(components: readonly Uint8Array[]): number {
  if (components.length === 1) return components[0]!.length;
  let total = 0;
  for (let i = 0; i < components.length; i++) total += 3 + components[i]!.length;
  return total;
}

/** Writes the routing key at out[off...] (reused buffer on the hot path); returns the bytes written. */
export function writeRoutingKey(components: readonly Uint8Array[], out: Uint8Array, off: number): number {
  const n = components.length;
  if (n === 1) {
    out.set(components[0]!, off);
    return components[0]!.length;
  }
  let p = off;
  for (let i = 0; i < n; i++) {
    const c = components[i]!;
    const len = c.length;
    if (len > 0xffff) throw new ArgumentError(`Composite routing key component ${i} is ${len} bytes (max 65535)`);
    out[p] = len >>> 8;
    out[p + 1] = len & 0xff;
    out.set(c, p + 2);
    p += 2 + len;
    out[p++] = 0;
  }
  return p - off;
}
