/** A worker's error (SerializedError, shard-worker) rebuilt on the engine's thread with its class. */
import * as core from '@shardcql/core';
import { DriverError } from '@shardcql/core';
import type { SerializedError } from '@shardcql/shard-worker';

export function isAuthError(e: SerializedError | null): boolean {
  return e !== null && e.name === 'AuthenticationError';
}

/** Rebuilds a worker's error on this side with its class name and fields, so `instanceof` checks keep working. */
export function reviveError(e: SerializedError | null): Error {
  if (e === null) return new DriverError('unknown error');
  const err = makeTyped(e);
  const out = err as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(e.fields)) {
    if (k !== 'message' && k !== 'name' && k !== 'stack') out[k] = v;
    // A socket's own error (node's SystemError: errno, code, syscall, ...): `code` back in its place.
    if (k === 'errno' && e.code !== null) out['code'] = e.code;
  }
  if (e.code !== null && out['code'] === undefined && e.name !== 'ResponseError') out['code'] = e.code;
  return err;
}

function makeTyped(e: SerializedError): Error {
  switch (e.name) {
    case 'ResponseError':
      return new core.ResponseError(typeof e.code === 'number' ? e.code : 0, e.message);
    case 'AuthenticationError':
      return new core.AuthenticationError(e.message);
    case 'OperationTimedOutError':
      return new core.OperationTimedOutError(e.message);
    case 'NotSupportedError':
      return new core.NotSupportedError(e.message);
    case 'DriverInternalError':
    case 'CodecError':
      return new core.DriverInternalError(e.message);
    case 'Error':
      return new Error(e.message);
    default:
      return new DriverError(e.message);
  }
}
