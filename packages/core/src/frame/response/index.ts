// Response message bodies (spec v4/v5 section 4.2): the prelude (tracing id, warnings, custom payload), ERROR, RESULT.
export { readResponsePrelude } from './prelude';
export type { ResponsePrelude } from './prelude';
export { decodeError } from './error';
export { decodeResult, resultKinds, rowsFlags } from './result';
export type { ResultMessage, RowsMetadata } from './result';
