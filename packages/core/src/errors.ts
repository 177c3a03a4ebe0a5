/**
 * Error classes with the names, fields and hierarchy of `cassandra-driver`'s `lib/errors.js`, so that
 * applications that branch on `instanceof` or `err.code` keep working. They live in core because both
 * the shard workers (which decode ERROR responses) and the client facade construct them.
 */
import { format } from 'node:util';

export class DriverError extends Error {
  // `declare`: no own property until set, so an error's own keys are cassandra-driver's, in its order
  // (name, info, message, then the class's fields): JSON.stringify(err) and loggers show the same.
  declare info: string;
  /** The request's host ("ip:port"), when known. */
  declare coordinator?: string;
  // `...rest` as cassandra-driver's `(message, constructor?)` (its stack-trace anchor) without changing `length`.
  constructor(message: string, ..._rest: unknown[]) {
    super(message);
    this.name = 'DriverError';
    this.info = 'Cassandra Driver Error';
    // cassandra-driver assigns `message` after name and info (an enumerable own property), where Error's own
    // comes first and is not enumerable.
    delete (this as { message?: string }).message;
    Object.defineProperty(this, 'message', { value: message, enumerable: true, writable: true, configurable: true });
  }
}

export class ArgumentError extends DriverError {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
    this.info = 'Represents an error that is raised when one of the arguments provided to a method is not valid.';
  }
}

export class AuthenticationError extends DriverError {
  declare additionalInfo?: unknown;
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
    this.info = 'Represents an authentication error from the driver or from a Cassandra node.';
  }
}

export class BusyConnectionError extends DriverError {
  constructor(address: string, maxRequestsPerConnection: number, connectionLength: number) {
    super(
      `All connections to host ${address} are busy, ${maxRequestsPerConnection} requests are in-flight on ` +
        `${connectionLength === 1 ? 'a single connection' : `each ${connectionLength} connections`}`,
    );
    this.name = 'BusyConnectionError';
    this.info =
      'Represents a client-side error indicating that all connections to a certain host have reached the maximum amount of in-flight requests supported (pooling.maxRequestsPerConnection)';
  }
}

export class DriverInternalError extends DriverError {
  constructor(message: string) {
    super(message);
    this.name = 'DriverInternalError';
    this.info = 'Represents a bug inside the driver or in a Cassandra host.';
  }
}

/**
 * A frame or value that cannot be decoded (truncated, bad length, bad checksum) or encoded.
 * Subclass of DriverInternalError, which is what `cassandra-driver` raises for protocol parse failures.
 */
export class CodecError extends DriverInternalError {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export class NoHostAvailableError extends DriverError {
  innerErrors: Record<string, Error>;
  constructor(innerErrors: Record<string, Error>, message?: string) {
    super(message ?? NoHostAvailableError.describe(innerErrors));
    this.name = 'NoHostAvailableError';
    this.info = 'Represents an error when a query cannot be performed because no host is available or could be reached by the driver.';
    this.innerErrors = innerErrors;
  }

  /** cassandra-driver's wording (lib/errors.js): the first host and its error as util.format('%s') shows it. */
  private static describe(innerErrors: Record<string, Error>): string {
    const hosts = Object.keys(innerErrors);
    if (hosts.length === 0) return 'All host(s) tried for query failed.';
    return format('All host(s) tried for query failed. First host tried, %s: %s. See innerErrors.', hosts[0], innerErrors[hosts[0]!]);
  }
}

export class NotSupportedError extends DriverError {
  constructor(message: string) {
    super(message);
    this.name = 'NotSupportedError';
    this.info = 'Represents a feature that is not supported in the driver or in the Cassandra version.';
  }
}

export class OperationTimedOutError extends DriverError {
  declare host?: string;
  constructor(message: string, host?: string) {
    super(message);
    this.name = 'OperationTimedOutError';
    this.info =
      'Represents a client-side error that is raised when the client did not hear back from the server within socketOptions.readTimeout';
    if (host !== undefined) this.host = host;
  }
}

/**
 * An ERROR response from the server. Extra fields are set depending on `code`
 * (spec section 8; same field names as `cassandra-driver`'s readers.js `readError`).
 */
export class ResponseError extends DriverError {
  // `declare`: optional fields exist only when the error kind sets them, as in cassandra-driver.
  code: number;
  declare consistencies?: number;
  declare required?: number;
  declare alive?: number;
  declare received?: number;
  declare blockFor?: number;
  declare isDataPresent?: boolean;
  declare writeType?: string;
  declare failures?: number;
  declare reasons?: Record<string, number>;
  declare queryId?: Buffer;
  declare keyspace?: string;
  declare table?: string;
  declare functionName?: string;
  declare argTypes?: string[];
  /** ScyllaDB rate-limit error: the operation type (0 read, 1 write) and whether the coordinator rejected it. */
  declare opType?: number;
  declare rejectedByCoordinator?: boolean;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'ResponseError';
    this.info = 'Represents an error message from the server';
    this.code = code;
  }
}

export class VIntOutOfRangeException extends DriverError {
  constructor(long: unknown) {
    super(`Value ${String(long)} is out of range for a JavaScript Number`);
    this.name = 'VIntOutOfRangeException';
    this.info =
      "Represents a run-time exception when attempting to decode a vint and the JavaScript Number doesn't have enough space to fit the value that was decoded";
  }
}
