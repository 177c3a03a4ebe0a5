// Request message bodies (spec v4/v5 section 4.1): QUERY, PREPARE, EXECUTE, BATCH.
export {
  newQueryParameters,
  queryFlags,
  writeQueryParameters,
  writeBoundValue,
  writeBoundValues,
  writeTimestamp,
} from './query-parameters';
export type { QueryParameters } from './query-parameters';
export { encodeQuery } from './query';
export { encodePrepare } from './prepare';
export { encodeExecute } from './execute';
export { encodeBatch, batchTypes } from './batch';
export type { BatchEntry } from './batch';
