/** The `errors` namespace of cassandra-driver (`lib/errors.js`); the classes live in core. */
export {
  DriverError,
  ArgumentError,
  AuthenticationError,
  BusyConnectionError,
  DriverInternalError,
  CodecError,
  NoHostAvailableError,
  NotSupportedError,
  OperationTimedOutError,
  ResponseError,
  VIntOutOfRangeException,
} from '@shardcql/core';
