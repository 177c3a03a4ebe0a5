/**
 * shardcql's drop-in for `require('cassandra-driver')`: the same exports (index.js of cassandra-driver 4.10),
 * minus the DSE-only graph, geometry, search and mapping modules.
 */
import * as types from './types';
import * as errors from './errors';
import * as policies from './policies';
import * as auth from './auth';
import * as concurrent from './concurrent';
import { defaultOptions as defaultClientOptions, type ClientOptions } from './client-options';

export { Client, version } from './client';
export type { Params, BatchQuery, RowCallback, ClientHandle } from './client';
export { ExecutionProfile } from './execution-profile';
export { ExecutionOptions, type QueryOptions } from './execution-options';
export { ResultSet, type ExecutionInfo } from './result-set';
export { ResultStream } from './result-stream';
export { Host, HostMap } from './host';
export { ClientState } from './client-state';
import { Metadata } from './metadata';
export { Metadata };
export type { ClientOptions } from './client-options';
export { types, errors, policies, auth, concurrent };

/** The default client options (a new object each call). */
export function defaultOptions(): ClientOptions {
  return defaultClientOptions();
}

export const metadata = { Metadata };

import { ClientMetrics, DefaultMetrics } from './metrics/client-metrics';
/** cassandra-driver's `metrics` namespace. */
export const metrics = { ClientMetrics, DefaultMetrics };
export type { ShardMetrics } from './metrics';
