/**
 * The request path of the client, one stop a file, in the order a request meets them:
 * - request.ts: the request object of one execute (kind, statement, values, options, tries);
 * - params.ts, batch.ts, system.ts: how a call becomes one (simple statements and their hints, batches, the
 *   client's own system queries);
 * - prepare.ts: prepared statements (cache, PREPARE, re-prepare on UNPREPARED, named parameters);
 * - execution.ts: the execution loop (send, retry, re-prepare, not-sent resends, speculative executions), with
 *   retry.ts (the retry policy's decisions) and tracking.ts (the request tracker's calls);
 * - encoder.ts: the request body and the routing token, written into reused writers;
 * - result.ts: the answer decoded into a ResultSet, with its side effects.
 * context.ts is what these need from their Client.
 */
export { Request, RequestKind } from './request';
export { TypeHints, type Params, type Hints } from './params';
export { preparedBatch, simpleBatch, type BatchQuery } from './batch';
export { SystemOptions } from './system';
export { PrepareHandler } from './prepare';
export { RequestExecutor } from './execution';
export { RequestEncoder, codecOptionsOf } from './encoder';
export { ResultDecoder, type Pager, type PreparedResult } from './result';
export { addressOf, indexOf, type ClientContext } from './context';
