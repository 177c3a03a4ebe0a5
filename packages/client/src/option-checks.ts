/**
 * Value checks shared by the client options, the execution profiles and the execution options. They run
 * once per client, per profile, or per request that has options; the messages name the option.
 */
import { inspect } from 'node:util';
import { ArgumentError, Long } from '@shardcql/core';

/** The largest delay a Node.js timer takes; beyond it setTimeout fires after 1 ms (TimeoutOverflowWarning). */
export const MAX_TIMEOUT_MS = 2147483647;
/** Highest consistency code of the protocol (LOCAL_ONE, spec section 3). */
const MAX_CONSISTENCY = 10;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

export function show(v: unknown): string {
  return inspect(v, { depth: 1, breakLength: Infinity });
}

/**
 * TypeError, or ArgumentError for a value of the right type out of range, for a timeout in milliseconds:
 * 0 means none (as in cassandra-driver); a negative, NaN or above 2^31-1 value has no timer that could honour it.
 */
export function checkTimeout(v: unknown, name: string, error: 'type' | 'argument'): void {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a Number, obtained ${show(v)}`);
  if (!(v >= 0 && v <= MAX_TIMEOUT_MS)) {
    const message = `${name} must be a number of milliseconds from 0 (no timeout) to ${MAX_TIMEOUT_MS}, obtained ${show(v)}`;
    throw error === 'type' ? new TypeError(message) : new ArgumentError(message);
  }
}

/** A consistency code (types.consistencies): an integer from 0 (ANY) to 10 (LOCAL_ONE). */
export function checkConsistency(v: unknown, name: string, error: 'type' | 'argument'): void {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a Number (types.consistencies), obtained ${show(v)}`);
  if (!(Number.isInteger(v) && v >= 0 && v <= MAX_CONSISTENCY)) {
    const message = `${name} must be one of types.consistencies (an integer from 0 to ${MAX_CONSISTENCY}), obtained ${show(v)}`;
    throw error === 'type' ? new TypeError(message) : new ArgumentError(message);
  }
}

/**
 * The default timestamp of a request in microseconds: a Number (truncated, as Long.fromNumber does), a Long
 * or a bigint. Anything else is refused as cassandra-driver refuses it (TypeError "Expected Long"), instead of
 * going out as timestamp 0, which every later write would silently win over.
 */
export function checkTimestamp(v: unknown, name: string): void {
  if (typeof v === 'number') {
    if (!(Math.abs(v) <= Number.MAX_SAFE_INTEGER)) {
      throw new ArgumentError(
        `${name} must be a finite Number of microseconds within +/-(2^53-1), a Long or a bigint, obtained ${show(v)}`,
      );
    }
    return;
  }
  if (typeof v === 'bigint') {
    if (v < MIN_INT64 || v > MAX_INT64) throw new ArgumentError(`${name} must fit in a signed 64-bit integer, obtained ${show(v)}`);
    return;
  }
  if (!Long.isLong(v)) throw new TypeError(`Expected Long, obtained ${show(v)} (${name}: a Number, a Long or a bigint of microseconds)`);
}
