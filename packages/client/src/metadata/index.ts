// Schema and ring metadata (`client.metadata`), cassandra-driver's `lib/metadata` and `lib/token.js`.
export { Metadata, type MetadataSource, type SchemaChangeEvent } from './metadata';
export { DataCollection, TableMetadata, MaterializedView, type ColumnInfo, type Udt } from './data-collection';
export { Index, indexKind } from './schema-index';
export { SchemaFunction, Aggregate } from './schema-function';
export type { KeyspaceInfo } from './schema-parser';
export type { SchemaDataType } from './schema-type';
export type { QueryTrace, TraceEvent } from './query-trace';
export { Token, Murmur3Token, TokenRange } from './token';
