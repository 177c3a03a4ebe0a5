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
// cassandra-driver's type names, declared (not re-exported with `export type`) so that `import X = cassandra.X`
// works too; the module has no run-time exports.
export * from './dropin-types';
/** Exact types, opt-in (`const client: strict.Client = new Client(options)`); see strict.ts. */
import type * as strict from './strict';
export type { strict };
export { ExecutionProfile } from './execution-profile';
export { ExecutionOptions } from './execution-options';
export { ResultSet, type ExecutionInfo } from './result-set';
export { ResultStream } from './result-stream';
export { Host, HostMap } from './host';
export { ClientState } from './client-state';
export { Encoder, type EncoderOptions, type TypeHint } from './encoder';
import { Metadata } from './metadata';
export { Metadata };
export { types, errors, policies, auth, concurrent, tracker, mapping };

/** The default client options (a new object each call). */
export function defaultOptions(): ClientOptions {
  return defaultClientOptions();
}

// Namespaces as modules (not object literals) so that `metadata.TableMetadata`, `metrics.ClientMetrics` and
// `token.Token` are types too, as in cassandra-driver's index.d.ts; their run-time keys are unchanged.
import * as metadata from './namespaces/metadata';
import * as token from './namespaces/token';
import * as metrics from './namespaces/metrics';
export { metadata, token, metrics };
export type {
  TableMetadata,
  MaterializedView,
  DataCollection,
  ColumnInfo as SchemaColumnInfo,
  Udt,
  Index,
  SchemaFunction,
  Aggregate,
  KeyspaceInfo,
  QueryTrace,
  TraceEvent,
  SchemaDataType,
} from './metadata';

export type { ShardMetrics } from './metrics';
