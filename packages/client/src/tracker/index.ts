/** cassandra-driver's `tracker` module: per-request callbacks (`requestTracker` client option) and a logger. */
export { RequestTracker, type TrackedHost, type TrackedQuery } from './request-tracker';
export { RequestLogger, type RequestLoggerOptions } from './request-logger';
