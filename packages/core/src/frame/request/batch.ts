import type { ByteWriter } from '../../bytes';
import { ArgumentError } from '../../errors';
import type { CodecOptions, DataType } from '../../types';
import { queryFlags, writeBoundValues, writeTimestamp } from './query-parameters';
import type { QueryParameters } from './query-parameters';

/** One statement of a BATCH: a query string, or the id of a prepared statement (exactly one of the two). */
export interface BatchEntry {
  query: string | null;
  id: Uint8Array | null;
  values: readonly unknown[] | null;
  /** Per value: its CQL type (the prepared bind metadata), or null to guess it from the JS value. */
  valueTypes: readonly (DataType | null)[] | null;
}

/** <type> of a BATCH: 0 logged, 1 unlogged, 2 counter. */
export const batchTypes = { logged: 0, unlogged: 1, counter: 2 } as const;

/**
 * BATCH body (section 4.1.7): <type><n><query_1>...<query_n><consistency><flags>[<serial_consistency>]
 * [<timestamp>][<keyspace> (v5)][<now_in_seconds> (v5)]. From `p` only consistency, serialConsistency,
 * timestamp, keyspace and nowInSeconds are used; values live in the entries. Names for values (0x40) are never
 * sent: the spec itself says that flag cannot work for BATCH (CASSANDRA-10246).
 */
// eslint-disable-next-line max-params -- once per request: positional, so nothing is allocated per request
export function encodeBatch(
  w: ByteWriter,
  version: number,
  batchType: 0 | 1 | 2,
  entries: readonly BatchEntry[],
  p: QueryParameters,
  codec: CodecOptions,
): void {
  const n = entries.length;
  if (n === 0) throw new ArgumentError('a BATCH needs at least one statement');
  if (n > 0xffff) throw new ArgumentError(`too many statements in a BATCH: ${n} (at most 65535)`);
  w.u8(batchType);
  w.u16(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    if (e.id !== null) {
      w.u8(1);
      w.shortBytes(e.id);
    } else if (e.query !== null) {
      w.u8(0);
      w.longString(e.query);
    } else {
      throw new ArgumentError(`BATCH statement ${i} has neither a query nor a prepared id`);
    }
    const values = e.values;
    if (values === null) w.u16(0);
    else writeBoundValues(w, values, e.valueTypes, null, codec);
  }
  w.u16(p.consistency);
  const v5 = version >= 5;
  let flags = 0;
  if (p.serialConsistency >= 0) flags |= queryFlags.withSerialConsistency;
  if (p.timestamp !== null) flags |= queryFlags.withDefaultTimestamp;
  if (v5 && p.keyspace !== null) flags |= queryFlags.withKeyspace;
  if (v5 && p.nowInSeconds >= 0) flags |= queryFlags.withNowInSeconds;
  if (v5) w.i32(flags);
  else w.u8(flags);
  if ((flags & queryFlags.withSerialConsistency) !== 0) w.u16(p.serialConsistency);
  if ((flags & queryFlags.withDefaultTimestamp) !== 0) writeTimestamp(w, p.timestamp!);
  if ((flags & queryFlags.withKeyspace) !== 0) w.string(p.keyspace!);
  if ((flags & queryFlags.withNowInSeconds) !== 0) w.i32(p.nowInSeconds);
}
