/**
 * Retry policies, with cassandra-driver's API (`lib/policies/retry.js`): the client asks the policy what to do
 * after a server ReadTimeout / WriteTimeout / Unavailable, or after a request error (client timeout, broken
 * connection, overloaded), and applies the decision (see request-handler.ts).
 */
import type { ExecutionOptions } from '../execution-options';

export interface OperationInfo {
  query: string | null;
  executionOptions: ExecutionOptions;
  /** Retries already made for this request. */
  nbRetry: number;
}

export interface DecisionInfo {
  decision: number;
  consistency?: number | undefined;
  useCurrentHost?: boolean;
}

export class RetryPolicy {
  static readonly retryDecision = { rethrow: 0, retry: 1, ignore: 2 } as const;

  /* eslint-disable @typescript-eslint/no-unused-vars -- cassandra-driver's signatures: the parameters are for subclasses (their names show in the .d.ts) */
  /** Not enough replicas alive: by default one retry (on the next host, where the coordinator may see more). */
  onUnavailable(info: OperationInfo, consistency: number, required: number, alive: number): DecisionInfo {
    if (info.nbRetry > 0) return this.rethrowResult();
    return this.retryResult(undefined, false);
  }

  /** Enough replicas answered but the data was missing: a retry will likely get it. */
  onReadTimeout(info: OperationInfo, consistency: number, received: number, blockFor: number, isDataPresent: boolean): DecisionInfo {
    if (info.nbRetry > 0) return this.rethrowResult();
    return received >= blockFor && !isDataPresent ? this.retryResult() : this.rethrowResult();
  }

  /** Only the batch log write is safe to retry: the batch itself was not applied. */
  onWriteTimeout(info: OperationInfo, consistency: number, received: number, blockFor: number, writeType: string): DecisionInfo {
    if (info.nbRetry > 0) return this.rethrowResult();
    return writeType === 'BATCH_LOG' ? this.retryResult() : this.rethrowResult();
  }

  /** Client timeouts, socket errors, overloaded: next host (only reached for idempotent requests). */
  onRequestError(info: OperationInfo, consistency: number, err: Error): DecisionInfo {
    return this.retryResult(undefined, false);
  }
  /* eslint-enable @typescript-eslint/no-unused-vars */

  retryResult(consistency?: number, useCurrentHost?: boolean): DecisionInfo {
    return { decision: RetryPolicy.retryDecision.retry, consistency, useCurrentHost: useCurrentHost !== false };
  }

  rethrowResult(): DecisionInfo {
    return { decision: RetryPolicy.retryDecision.rethrow };
  }
}

/** Delegates to a child policy, but never retries a non-idempotent request on request errors or write timeouts. */
export class IdempotenceAwareRetryPolicy extends RetryPolicy {
  private readonly childPolicy: RetryPolicy;
  constructor(childPolicy?: RetryPolicy) {
    super();
    this.childPolicy = childPolicy ?? new RetryPolicy();
  }
  override onReadTimeout(
    info: OperationInfo,
    consistency: number,
    received: number,
    blockFor: number,
    isDataPresent: boolean,
  ): DecisionInfo {
    return this.childPolicy.onReadTimeout(info, consistency, received, blockFor, isDataPresent);
  }
  override onRequestError(info: OperationInfo, consistency: number, err: Error): DecisionInfo {
    return info.executionOptions.isIdempotent() ? this.childPolicy.onRequestError(info, consistency, err) : this.rethrowResult();
  }
  override onUnavailable(info: OperationInfo, consistency: number, required: number, alive: number): DecisionInfo {
    return this.childPolicy.onUnavailable(info, consistency, required, alive);
  }
  override onWriteTimeout(info: OperationInfo, consistency: number, received: number, blockFor: number, writeType: string): DecisionInfo {
    return info.executionOptions.isIdempotent()
      ? this.childPolicy.onWriteTimeout(info, consistency, received, blockFor, writeType)
      : this.rethrowResult();
  }
}

/** Never retries: every error reaches the caller. */
export class FallthroughRetryPolicy extends RetryPolicy {
  override onReadTimeout(): DecisionInfo {
    return this.rethrowResult();
  }
  override onRequestError(): DecisionInfo {
    return this.rethrowResult();
  }
  override onUnavailable(): DecisionInfo {
    return this.rethrowResult();
  }
  override onWriteTimeout(): DecisionInfo {
    return this.rethrowResult();
  }
}
