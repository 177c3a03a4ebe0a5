/**
 * cassandra-driver's `metadata` namespace: at run time `Metadata` only (as there); the rest are the types its
 * index.d.ts declares in the namespace (`metadata.TableMetadata`, ...), so they can be named the same way.
 */
export { Metadata } from '../metadata/metadata';
export type { ClientState } from '../client-state';
export type { DataCollection, TableMetadata, MaterializedView, ColumnInfo, Udt } from '../metadata/data-collection';
export type { Index } from '../metadata/schema-index';
export type { SchemaFunction, Aggregate } from '../metadata/schema-function';
export type { QueryTrace } from '../metadata/query-trace';
export type { SchemaDataType as DataTypeInfo } from '../metadata/schema-type';
/** `metadata.IndexKind` as a type (cassandra-driver declares an enum; it is not in its run-time namespace). */
export type IndexKind = number;
