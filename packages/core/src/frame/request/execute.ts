import type { ByteWriter } from '../../bytes';
import { ArgumentError } from '../../errors';
import type { CodecOptions } from '../../types';
import { writeQueryParameters } from './query-parameters';
import type { QueryParameters } from './query-parameters';

/**
 * EXECUTE body: <id: [short bytes]>[<result_metadata_id: [short bytes]> (v5)]<query_parameters>
 * (section 4.1.6). The keyspace of `p` is not sent: the prepared statement carries its own.
 */
// eslint-disable-next-line max-params -- once per request: positional, so nothing is allocated per request
export function encodeExecute(
  w: ByteWriter,
  version: number,
  id: Uint8Array,
  resultMetadataId: Uint8Array | null,
  p: QueryParameters,
  codec: CodecOptions,
): void {
  w.shortBytes(id);
  if (version >= 5) {
    if (resultMetadataId === null) throw new ArgumentError('protocol v5 EXECUTE needs the result metadata id of the PREPARED result');
    w.shortBytes(resultMetadataId);
  }
  writeQueryParameters(w, version, p, codec, false);
}
