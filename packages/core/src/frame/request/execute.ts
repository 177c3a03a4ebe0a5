import type { ByteWriter } from '../../bytes';
import { ArgumentError, CodecError } from '../../errors';
import type { CodecOptions } from '../../types';
import { writeQueryParameters } from './query-parameters';
import type { QueryParameters } from './query-parameters';

/**
 * EXECUTE body: <id: [short bytes]>[<result_metadata_id: [short bytes]> (v5)]<query_parameters>
 * (section 4.1.6). The keyspace of `p` is not sent: the prepared statement carries its own.
 */
export function encodeExecute(
  w: ByteWriter,
  version: number,
  id: Uint8Array,
  resultMetadataId: Uint8Array | null,
  p: QueryParameters,
  codec: CodecOptions,
): void {
  writeShortBytes(w, id);
  if (version >= 5) {
    if (resultMetadataId === null) throw new ArgumentError('protocol v5 EXECUTE needs the result metadata id of the PREPARED result');
    writeShortBytes(w, resultMetadataId);
  }
  writeQueryParameters(w, version, p, codec, false);
}

/**
 * [short bytes] of a statement id (16 bytes from Cassandra, 16 or 20 from ScyllaDB), byte by byte: the hot
 * path of every EXECUTE, where ByteWriter.shortBytes' set() costs a typed-array view per call.
 */
function writeShortBytes(w: ByteWriter, b: Uint8Array): void {
  const n = b.length;
  if (n > 0xffff) throw new CodecError(`${n} bytes is too long for [short bytes]`);
  w.ensure(2 + n);
  const buf = w.buf;
  const at = w.pos + 2;
  buf[at - 2] = n >>> 8;
  buf[at - 1] = n & 0xff;
  for (let i = 0; i < n; i++) buf[at + i] = b[i]!;
  w.pos = at + n;
}
