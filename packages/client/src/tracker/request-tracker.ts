/**
 * cassandra-driver's `tracker.RequestTracker`: the client calls `onSuccess` or `onError` once per request
 * sent to a node (each retry is a request of its own), with the node, the query (an Array of
 * `{query, params}` for a batch), its parameters, the execution options, the frame lengths in bytes and the
 * latency as `process.hrtime()` gives it (`[seconds, nanoseconds]`).
 */
import type { ExecutionOptions } from '../execution-options';

/** The node a request went to: a `Host` of `client.hosts` (only `address` is guaranteed). */
export interface TrackedHost {
  address: string;
}

/** A batch as the tracker sees it (cassandra-driver passes the caller's queries). */
export type TrackedQuery = string | Array<{ query: string; params?: unknown }>;

export class RequestTracker {
  /* eslint-disable @typescript-eslint/no-unused-vars, max-params -- cassandra-driver's RequestTracker signature: seven positional parameters, for subclasses (their names show in the .d.ts) */
  /** A request was answered by a RESULT (a server error is reported through onError). */
  onSuccess(
    host: TrackedHost,
    query: TrackedQuery,
    parameters: unknown,
    executionOptions: ExecutionOptions,
    requestLength: number,
    responseLength: number,
    latency: [number, number],
  ): void {}

  /** A request failed: an ERROR response, a client-side timeout or a broken connection. */
  onError(
    host: TrackedHost,
    query: TrackedQuery,
    parameters: unknown,
    executionOptions: ExecutionOptions,
    requestLength: number,
    err: Error,
    latency: [number, number],
  ): void {}
  /* eslint-enable @typescript-eslint/no-unused-vars, max-params */

  /** Called once by `client.shutdown()`. */
  shutdown(): void {}
}
