/**
 * cassandra-driver's `metadata` namespace: at run time `Metadata` only (as there); the rest are the types its
 * index.d.ts declares in the namespace (`metadata.TableMetadata`, ...), declared here as aliases so that
 * `import TableMetadata = cassandra.metadata.TableMetadata` works too.
 */
import type { ClientState as ClientStateDecl } from '../client-state';
import type * as collections from '../metadata/data-collection';
import type { Index as IndexDecl } from '../metadata/schema-index';
import type { SchemaFunction as SchemaFunctionDecl, Aggregate as AggregateDecl } from '../metadata/schema-function';
import type { QueryTrace as QueryTraceDecl } from '../metadata/query-trace';
import type { SchemaDataType } from '../metadata/schema-type';

export { Metadata } from '../metadata/metadata';
export type ClientState = ClientStateDecl;
export type DataCollection = collections.DataCollection;
export type TableMetadata = collections.TableMetadata;
export type MaterializedView = collections.MaterializedView;
export type ColumnInfo = collections.ColumnInfo;
export type Udt = collections.Udt;
export type Index = IndexDecl;
export type SchemaFunction = SchemaFunctionDecl;
export type Aggregate = AggregateDecl;
export type QueryTrace = QueryTraceDecl;
export type DataTypeInfo = SchemaDataType;
/** `metadata.IndexKind` as a type (cassandra-driver declares an enum; it is not in its run-time namespace). */
export type IndexKind = number;
