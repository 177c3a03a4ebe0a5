import type { ByteWriter } from '../../bytes';
import type { CodecOptions } from '../../types';
import { writeQueryParameters } from './query-parameters';
import type { QueryParameters } from './query-parameters';

/**
 * QUERY body (section 4.1.4): <query: [long string]><query_parameters>. Only the body: the caller writes the
 * header, and, when it sets the custom-payload flag, the [bytes map] before calling this (`w.bytesMap`).
 */
export function encodeQuery(w: ByteWriter, version: number, query: string, p: QueryParameters, codec: CodecOptions): void {
  w.longString(query);
  writeQueryParameters(w, version, p, codec, true);
}
