import type { ByteWriter } from '../../bytes';

/** PREPARE flags (v5 section 4.1.5). */
const PREPARE_WITH_KEYSPACE = 0x01;

/**
 * PREPARE body: <query: [long string]> in v4; v5 adds <flags: [int]>[<keyspace: [string]>] (section 4.1.5).
 * v4 has no way to carry the keyspace, so it is ignored there.
 */
export function encodePrepare(w: ByteWriter, version: number, query: string, keyspace: string | null): void {
  w.longString(query);
  if (version < 5) return;
  if (keyspace !== null) {
    w.i32(PREPARE_WITH_KEYSPACE);
    w.string(keyspace);
  } else {
    w.i32(0);
  }
}
