/**
 * shardcql's drop-in for `require('cassandra-driver')`: the same exports (index.js of cassandra-driver 4.10),
 * minus the DSE-only graph, geometry and search modules.
 */
import * as types from './types';
import * as errors from './errors';
import * as policies from './policies';
import * as auth from './auth';
import * as concurrent from './concurrent';
import * as tracker from './tracker';
import * as mapping from './mapping';
import { defaultOptions as defaultClientOptions, type ClientOptions } from './client-options';

export { Client, version } from './client';
export type { Params, BatchQuery, RowCallback, ClientHandle } from './client';
export { ExecutionProfile } from './execution-profile';
export { ExecutionOptions, type QueryOptions } from './execution-options';
export { ResultSet, type ExecutionInfo } from './result-set';
export { ResultStream } from './result-stream';
export { Host, HostMap } from './host';
export { ClientState } from './client-state';
export { Encoder, type EncoderOptions, type TypeHint } from './encoder';
import { Metadata } from './metadata';
export { Metadata };
export type { ClientOptions } from './client-options';
export { types, errors, policies, auth, concurrent, tracker, mapping };

/** The default client options (a new object each call). */
export function defaultOptions(): ClientOptions {
  return defaultClientOptions();
}

export const metadata = { Metadata };
export type {
  TableMetadata, MaterializedView, DataCollection, ColumnInfo as SchemaColumnInfo, Udt, Index, SchemaFunction, Aggregate,
  KeyspaceInfo, QueryTrace, TraceEvent, SchemaDataType,
} from './metadata';

import { Token, TokenRange } from './metadata';
/** cassandra-driver's `token` namespace (Murmur3 tokens and ranges, from `client.metadata.newToken`). */
export const token = { Token, TokenRange };

import { ClientMetrics, DefaultMetrics } from './metrics/client-metrics';
/** cassandra-driver's `metrics` namespace. */
export const metrics = { ClientMetrics, DefaultMetrics };
export type { ShardMetrics } from './metrics';
