/**
 * cassandra-driver's `mapping` module: objects to rows and back (Mapper, ModelMapper, q, Result, the
 * TableMappings, model batches).
 */
export { Mapper } from './mapper';
export { ModelMapper, type MapperClient, type MappingExecutionOptions } from './model-mapper';
export { ModelMappingInfo, type MappingOptions, type ModelOptions, type ColumnMapping } from './model-mapping-info';
export { Result } from './result';
export { ModelBatchMapper, ModelBatchItem } from './model-batch';
export { q, QueryOperator, QueryAssignment } from './q';
export { TableMappings, DefaultTableMappings, UnderscoreCqlToCamelCaseMappings } from './table-mappings';
export type { DocInfo } from './query-generator';
export type { FindDocInfo, InsertDocInfo, UpdateDocInfo, RemoveDocInfo, ModelColumnOptions, ModelTables } from './dropin-types';
export type { TableKeys } from './table-keys';
