import type { ByteWriter } from '@shardcql/core';

/**
 * A QUERY body with no values and default options (spec v4 section 4.1.4, v5 section 4.1.4):
 * [long string] query, [short] consistency, flags (a byte in v4, an int in v5) = 0.
 * Used for `USE "keyspace"` during the handshake; full queries are built by core's encodeQuery.
 */
export function encodeSimpleQuery(w: ByteWriter, version: number, query: string, consistency: number): void {
  w.longString(query);
  w.u16(consistency);
  if (version >= 5) w.u32(0);
  else w.u8(0);
}

/** `"name"` with inner double quotes doubled (CQL quoted identifier). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
