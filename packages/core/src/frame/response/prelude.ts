import { ByteReader } from '../../bytes';
import { Uuid } from '../../types';
import { frameFlags } from '../opcodes';

/** What a response body carries before its message; `offset` is where the message starts. */
export interface ResponsePrelude {
  traceId: Uuid | null;
  warnings: string[] | null;
  customPayload: Record<string, Buffer | null> | null;
  offset: number;
}

const EMPTY = Buffer.alloc(0);
/** One reader for all calls (decoding is synchronous); reset to an empty buffer after each use. */
const reader = new ByteReader(EMPTY, 0, 0);

/**
 * Reads [<tracing_id>][<warnings>][<custom_payload>] (section 2.2: tracing id first, then warnings, then the
 * custom payload). Ids and payload values are copied: the receive buffer is reused after the response is handled.
 * Throws CodecError when the body is shorter than its flags announce.
 */
export function readResponsePrelude(body: Buffer, start: number, end: number, flags: number): ResponsePrelude {
  if ((flags & (frameFlags.tracing | frameFlags.warning | frameFlags.customPayload)) === 0) {
    return { traceId: null, warnings: null, customPayload: null, offset: start };
  }
  const r = reader;
  r.reset(body, start, end);
  try {
    let traceId: Uuid | null = null;
    let warnings: string[] | null = null;
    let customPayload: Record<string, Buffer | null> | null = null;
    if ((flags & frameFlags.tracing) !== 0) traceId = new Uuid(Buffer.from(r.slice(16)));
    if ((flags & frameFlags.warning) !== 0) warnings = r.stringList();
    if ((flags & frameFlags.customPayload) !== 0) {
      const n = r.u16();
      customPayload = {};
      for (let i = 0; i < n; i++) {
        const key = r.string();
        const value = r.bytes();
        setOwn(customPayload, key, value === null ? null : Buffer.from(value));
      }
    }
    return { traceId, warnings, customPayload, offset: r.pos };
  } finally {
    r.reset(EMPTY, 0, 0); // do not keep the receive buffer alive
  }
}

/** obj[key] = value, also for a key named "__proto__" (a server-chosen key must not replace the prototype). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
