// What an integration test needs to stay true on a busy machine (2 cores shared with other work). A healthy
// Cassandra that is slow answers some requests with WriteTimeout or ReadTimeout (its own deadline for the
// replicas: write_request_timeout 2 s, read 5 s, range 10 s) or Overloaded (a request that waited past
// native_transport_timeout in its queue), and the client gives up with OperationTimedOutError after its
// readTimeout. A test that means "every row is written" retries those answers for its idempotent statements
// (fixed rows, one client timestamp per request, so a retry writes the same cell) through the driver's own
// retry-policy hooks, a bounded number of times, and then checks every row: the assertion stays exact.
import { Client, errors, policies, type ClientOptions } from '../../src/index';
import type { DecisionInfo, OperationInfo } from '../../src/policies/retry';

/** How often each kind of answer was retried, for the test's log line. */
export interface Retried {
  writeTimeout: number;
  readTimeout: number;
  requestError: number;
}

/**
 * Retries a server WriteTimeout / ReadTimeout and a request error (Overloaded, a client timeout, a broken
 * connection) on the same host, up to `maxRetries` times per request; everything else (Unavailable, syntax,
 * invalid values) reaches the caller at once. The client only asks it about write timeouts and request errors
 * for idempotent statements.
 */
export class BusyServerRetryPolicy extends policies.retry.RetryPolicy {
  readonly retried: Retried = { writeTimeout: 0, readTimeout: 0, requestError: 0 };
  constructor(private readonly maxRetries = 10) {
    super();
  }
  override onWriteTimeout(info: OperationInfo): DecisionInfo {
    return this.again(info, 'writeTimeout');
  }
  override onReadTimeout(info: OperationInfo): DecisionInfo {
    return this.again(info, 'readTimeout');
  }
  override onRequestError(info: OperationInfo): DecisionInfo {
    return this.again(info, 'requestError');
  }
  override onUnavailable(): DecisionInfo {
    return this.rethrowResult();
  }
  private again(info: OperationInfo, kind: keyof Retried): DecisionInfo {
    if (info.nbRetry >= this.maxRetries) return this.rethrowResult();
    this.retried[kind]++;
    return this.retryResult(undefined, true);
  }
}

/** Client-side wait for DDL and large reads: the server's own deadlines come first. */
export const PATIENT_MS = 120_000;

/**
 * A client for a test's bulk writes and its read-back checks: every statement idempotent (so the retry policy
 * is asked), retried by a BusyServerRetryPolicy whose counts are returned, and a patient readTimeout.
 */
export function sturdyClient(options: ClientOptions): { client: Client; retried: Retried } {
  const retry = new BusyServerRetryPolicy();
  const client = new Client({
    ...options,
    queryOptions: { ...options.queryOptions, isIdempotent: true },
    policies: { ...options.policies, retry },
    socketOptions: { ...options.socketOptions, readTimeout: PATIENT_MS },
  });
  return { client, retried: retry.retried };
}

/**
 * DDL on a busy node: a patient client timeout, and a statement that is safe to repeat (`IF [NOT] EXISTS`,
 * `CREATE OR REPLACE`) sent again, at most 3 times, when the client gave up on it first; other errors and
 * non-repeatable statements fail the test.
 */
export async function ddl(client: Client, cql: string): Promise<void> {
  const repeatable = /\bIF (NOT )?EXISTS\b|\bOR REPLACE\b/i.test(cql);
  for (let attempt = 1; ; attempt++) {
    try {
      await client.execute(cql, [], { readTimeout: PATIENT_MS });
      return;
    } catch (e) {
      if (!(repeatable && attempt < 3 && e instanceof errors.OperationTimedOutError)) throw e;
    }
  }
}
