/**
 * What the differential tests compare of an error: everything a user can branch on or log. The class, `name`,
 * `code`, the first line of `message` and of `stack` (the rest is stack frames), every other own enumerable
 * field (`coordinator`, `query`, `host`, `innerErrors`, a ResponseError's details), in their order: that is
 * what JSON.stringify(err) and loggers print.
 */
export interface ErrorPicture {
  class: string;
  name: unknown;
  code: unknown;
  message: string;
  stack: string;
  keys: string[];
  fields: Record<string, unknown>;
}

const NOT_FIELDS = new Set(['message', 'stack', 'name', 'code']);

export function describeError(e: unknown): ErrorPicture | { thrown: unknown } {
  if (!(e instanceof Error)) return { thrown: fieldValue(e) };
  const err = e as Error & Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(err)) {
    if (NOT_FIELDS.has(k)) continue;
    const v = err[k];
    if (k === 'innerErrors' && v !== null && typeof v === 'object') {
      fields[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([h, x]) => [h, describeError(x)]));
    } else fields[k] = fieldValue(v);
  }
  return {
    class: err.constructor.name,
    name: err.name,
    code: err['code'] ?? null,
    message: firstLine(err.message),
    stack: firstLine(String(err.stack)),
    keys: Object.keys(err),
    fields,
  };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

/** Buffers (a prepared id depends on the keyspace name) by length; functions by kind. */
function fieldValue(v: unknown): unknown {
  if (v === undefined) return '<undefined>';
  if (Buffer.isBuffer(v)) return { Buffer: v.length };
  if (typeof v === 'function') return '<function>';
  if (typeof v === 'string') return firstLine(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && v.constructor !== Object) return { [v.constructor.name]: String(v) };
  return v;
}

/** The time a step took, in ms. */
export function msSince(t: number): number {
  return performance.now() - t;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The bound a shardcql time to fail must stay within: 3x cassandra-driver's, or 50 ms more (a busy 2-core machine). */
export function timeBound(refMs: number): number {
  return Math.max(3 * refMs, refMs + 50);
}
