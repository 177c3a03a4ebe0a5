/**
 * The retry policy's decision for a failed try (cassandra-driver `request-execution.js` `_getDecision` and
 * `_handleError`): server errors by their code, client-side timeouts and broken connections for idempotent
 * requests only.
 */
import { OperationTimedOutError, type ResponseError } from '@shardcql/core';
import { RetryPolicy, type DecisionInfo, type OperationInfo } from '../policies/retry';
import type { Request } from './request';

/** Response error codes the client acts on (spec section 9 / v5 section 8). */
export const ERR_UNAVAILABLE = 0x1000;
export const ERR_OVERLOADED = 0x1001;
export const ERR_IS_BOOTSTRAPPING = 0x1002;
export const ERR_TRUNCATE = 0x1003;
export const ERR_WRITE_TIMEOUT = 0x1100;
export const ERR_READ_TIMEOUT = 0x1200;
export const ERR_UNPREPARED = 0x2500;

export const RETHROW: DecisionInfo = { decision: RetryPolicy.retryDecision.rethrow };

function operationInfo(req: Request): OperationInfo {
  return { query: req.query, executionOptions: req.eo, nbRetry: req.retryCount };
}

/** After a server ERROR. */
export function decideOnServerError(req: Request, err: ResponseError): DecisionInfo {
  const eo = req.eo;
  const policy = eo.getRetryPolicy();
  if (!policy) return RETHROW;
  const op = operationInfo(req);
  switch (err.code) {
    case ERR_OVERLOADED:
    case ERR_IS_BOOTSTRAPPING:
    case ERR_TRUNCATE:
      return eo.isIdempotent() ? policy.onRequestError(op, req.consistency, err) : RETHROW;
    case ERR_UNAVAILABLE:
      return policy.onUnavailable(op, err.consistencies!, err.required!, err.alive!);
    case ERR_READ_TIMEOUT:
      return policy.onReadTimeout(op, err.consistencies!, err.received!, err.blockFor!, !!err.isDataPresent);
    case ERR_WRITE_TIMEOUT:
      return eo.isIdempotent() ? policy.onWriteTimeout(op, err.consistencies!, err.received!, err.blockFor!, err.writeType!) : RETHROW;
    default:
      return RETHROW;
  }
}

/** After a send that failed without an answer: client-side timeouts and broken connections, when idempotent. */
export function decideOnRequestError(req: Request, err: Error): DecisionInfo {
  if (err instanceof OperationTimedOutError || (err as { isSocketError?: boolean }).isSocketError) {
    if (req.eo.isIdempotent()) return req.eo.getRetryPolicy()!.onRequestError(operationInfo(req), req.consistency, err);
  }
  return RETHROW;
}
