import { inspect } from 'node:util';
import type Long = require('long');
import type { ByteWriter } from '../../bytes';
import { ArgumentError } from '../../errors';
import { dataTypes, guessDataType, unset } from '../../types';
import { writeValue } from '../../types/encode';
import type { CodecOptions, DataType } from '../../types';

/**
 * The <query_parameters> of QUERY and EXECUTE (spec v4/v5 section 4.1.4). One object per caller can be reused
 * across requests: every field is always present so that the encoder sees one shape.
 */
export interface QueryParameters {
  consistency: number;
  values: readonly unknown[] | null;
  /** Per value: its CQL type, or null to guess it from the JS value (as `cassandra-driver` does for hints). */
  valueTypes: readonly (DataType | null)[] | null;
  /** Named values (flag 0x40), parallel to `values`; only meaningful for QUERY. */
  names: readonly string[] | null;
  skipMetadata: boolean;
  /** <= 0: no paging. */
  pageSize: number;
  pagingState: Uint8Array | null;
  /** -1: none. */
  serialConsistency: number;
  /** Default timestamp in microseconds; null: let the server assign it. */
  timestamp: Long | number | bigint | null;
  /** v5 only (flag 0x80), QUERY and BATCH only. */
  keyspace: string | null;
  /** v5 only (flag 0x100); -1: none. */
  nowInSeconds: number;
}

/** Flags of <query_parameters> (v4 [byte], v5 [int]; section 4.1.4). */
export const queryFlags = {
  values: 0x01,
  skipMetadata: 0x02,
  pageSize: 0x04,
  withPagingState: 0x08,
  withSerialConsistency: 0x10,
  withDefaultTimestamp: 0x20,
  withNamesForValues: 0x40,
  withKeyspace: 0x80,
  withNowInSeconds: 0x100,
} as const;

// Bound once: a call through the barrel's re-export is a property getter per call in CommonJS output.
const encodeValue = writeValue;
const guessType = guessDataType;

/** LOCAL_ONE, `cassandra-driver`'s default consistency. */
const DEFAULT_CONSISTENCY = 0x000a;

export function newQueryParameters(): QueryParameters {
  return {
    consistency: DEFAULT_CONSISTENCY,
    values: null,
    valueTypes: null,
    names: null,
    skipMetadata: false,
    pageSize: 0,
    pagingState: null,
    serialConsistency: -1,
    timestamp: null,
    keyspace: null,
    nowInSeconds: -1,
  };
}

/** Type handed to writeValue for null/unset values, whose encoding does not depend on the type. */
const NULL_VALUE_TYPE: DataType = { code: dataTypes.blob, info: null };

/**
 * Writes one [value]. A missing type is guessed like `cassandra-driver`'s Encoder.encode does; a value whose
 * type cannot be guessed is a TypeError with the same message, so applications that catch it keep working.
 */
export function writeBoundValue(w: ByteWriter, value: unknown, type: DataType | null, codec: CodecOptions): void {
  if (type === null) {
    if (value === null || value === undefined || value === unset) {
      type = NULL_VALUE_TYPE;
    } else {
      type = guessType(value);
      if (type === null) {
        throw new TypeError(
          'Target data type could not be guessed, you should use prepared statements for accurate type mapping. Value: ' + inspect(value),
        );
      }
    }
  }
  encodeValue(w, value, type, codec);
}

/** <n> then n (optionally named) [value]s. */
export function writeBoundValues(
  w: ByteWriter,
  values: readonly unknown[],
  types: readonly (DataType | null)[] | null,
  names: readonly string[] | null,
  codec: CodecOptions,
): void {
  const n = values.length;
  if (n > 0xffff) throw new ArgumentError(`too many values: ${n} (at most 65535)`);
  if (names !== null && names.length !== n) {
    throw new ArgumentError(`${names.length} names given for ${n} values`);
  }
  w.u16(n);
  for (let i = 0; i < n; i++) {
    if (names !== null) w.string(names[i]!);
    writeBoundValue(w, values[i], types === null ? null : (types[i] ?? null), codec);
  }
}

/** [long] microseconds from a Long, a safe-integer number, or a bigint (two int32 halves, no BigInt for the first two). */
export function writeTimestamp(w: ByteWriter, ts: Long | number | bigint): void {
  if (typeof ts === 'number') {
    if (!Number.isSafeInteger(ts)) throw new ArgumentError(`timestamp ${ts} is not a safe integer`);
    const hi = Math.floor(ts / 4294967296);
    w.i64(hi, ts - hi * 4294967296);
  } else if (typeof ts === 'bigint') {
    const v = BigInt.asIntN(64, ts);
    w.i64(Number(v >> 32n), Number(v & 0xffffffffn));
  } else {
    w.i64(ts.high, ts.low);
  }
}

/**
 * Writes <consistency><flags>[values][page size][paging state][serial consistency][timestamp][keyspace][now]
 * (section 4.1.4). `allowKeyspace` is false for EXECUTE: the prepared statement already carries its keyspace,
 * and `cassandra-driver` never sends one there either.
 */
export function writeQueryParameters(
  w: ByteWriter,
  version: number,
  p: QueryParameters,
  codec: CodecOptions,
  allowKeyspace: boolean,
): void {
  const values = p.values;
  const hasValues = values !== null && values.length > 0;
  let flags = 0;
  if (hasValues) {
    flags |= queryFlags.values;
    if (p.names !== null) flags |= queryFlags.withNamesForValues;
  }
  if (p.skipMetadata) flags |= queryFlags.skipMetadata;
  if (p.pageSize > 0) flags |= queryFlags.pageSize;
  if (p.pagingState !== null) flags |= queryFlags.withPagingState;
  if (p.serialConsistency >= 0) flags |= queryFlags.withSerialConsistency;
  if (p.timestamp !== null) flags |= queryFlags.withDefaultTimestamp;
  // v5 additions (section 10 of v5 / "Changes from v4"); a v4 server cannot express them, so they are dropped.
  const v5 = version >= 5;
  if (v5 && allowKeyspace && p.keyspace !== null) flags |= queryFlags.withKeyspace;
  if (v5 && p.nowInSeconds >= 0) flags |= queryFlags.withNowInSeconds;

  w.u16(p.consistency);
  if (v5) w.i32(flags);
  else w.u8(flags);
  if (hasValues) writeBoundValues(w, values, p.valueTypes, p.names, codec);
  if ((flags & queryFlags.pageSize) !== 0) w.i32(p.pageSize);
  if ((flags & queryFlags.withPagingState) !== 0) w.bytes(p.pagingState);
  if ((flags & queryFlags.withSerialConsistency) !== 0) w.u16(p.serialConsistency);
  if ((flags & queryFlags.withDefaultTimestamp) !== 0) writeTimestamp(w, p.timestamp!);
  if ((flags & queryFlags.withKeyspace) !== 0) w.string(p.keyspace!);
  if ((flags & queryFlags.withNowInSeconds) !== 0) w.i32(p.nowInSeconds);
}
