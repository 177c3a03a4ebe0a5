import { Long } from './long';
import { TimeUuid } from './time-uuid';
import { Uuid } from './uuid';

/** The `unset` marker (protocol v4+, spec section 3 [value] length -2): leaves a bound column untouched. */
export const unset: Readonly<{ unset: true }> = Object.freeze({ unset: true as const });

const LONG_1000 = Long.fromInt(1000);
let timestampTicks = 0;

/**
 * A client-side write timestamp in microseconds: `date` (default now) in ms times 1000 plus `microseconds`,
 * or, when that is not 0..999, a counter cycling through 0..999 so that calls within one ms differ.
 */
export function generateTimestamp(date?: Date | null, microseconds?: number): Long {
  const d = date || new Date();
  let micros: number;
  if (typeof microseconds === 'number' && microseconds >= 0 && microseconds < 1000) {
    micros = microseconds;
  } else {
    if (timestampTicks > 999) timestampTicks = 0;
    micros = timestampTicks++;
  }
  return Long.fromNumber(d.getTime()).multiply(LONG_1000).add(Long.fromInt(micros));
}

export interface TimeUuidOptions {
  msecs?: number | Date;
  nsecs?: number;
  node?: number[];
  clockseq?: number;
}

/** A new version-1 UUID as a string (node-uuid style options), or written into `buffer` at `offset`. */
export function timeuuid(options?: TimeUuidOptions | null): string;
export function timeuuid(options: TimeUuidOptions | null | undefined, buffer: Buffer, offset?: number): Buffer;
export function timeuuid(options?: TimeUuidOptions | null, buffer?: Buffer, offset?: number): string | Buffer {
  let date: Date | undefined;
  let ticks: number | undefined;
  let nodeId: Buffer | undefined;
  let clockId: Buffer | undefined;
  if (options) {
    if (typeof options.msecs === 'number') date = new Date(options.msecs);
    if (options.msecs instanceof Date) date = options.msecs;
    if (Array.isArray(options.node)) nodeId = Buffer.from(options.node);
    if (typeof options.clockseq === 'number') {
      clockId = Buffer.allocUnsafe(2);
      clockId.writeUInt16BE(options.clockseq, 0);
    }
    if (typeof options.nsecs === 'number') ticks = options.nsecs;
  }
  const id = new TimeUuid(date, ticks, nodeId, clockId);
  if (buffer instanceof Buffer) {
    id.getBuffer().copy(buffer, offset || 0);
    return buffer;
  }
  return id.toString();
}

/** A new random (version 4) UUID as a string, or written into `buffer` at `offset`. */
export function uuid(options?: { random?: number[] } | null): string;
export function uuid(options: { random?: number[] } | null | undefined, buffer: Buffer, offset?: number): Buffer;
export function uuid(options?: { random?: number[] } | null, buffer?: Buffer, offset?: number): string | Buffer {
  const id = options && Array.isArray(options.random) ? new Uuid(Buffer.from(options.random)) : Uuid.random();
  if (buffer instanceof Buffer) {
    id.getBuffer().copy(buffer, offset || 0);
    return buffer;
  }
  return id.toString();
}
