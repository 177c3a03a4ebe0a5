/**
 * cassandra-driver's `mapping` module: objects to rows and back (Mapper, ModelMapper, q, Result, the
 * TableMappings, model batches).
 */
export { Mapper } from './mapper';
export { ModelMapper, type MapperClient } from './model-mapper';
export { ModelMappingInfo, type ColumnMapping } from './model-mapping-info';
export { Result } from './result';
export { ModelBatchMapper, ModelBatchItem } from './model-batch';
export { q, QueryOperator, QueryAssignment } from './q';
export { TableMappings, DefaultTableMappings, UnderscoreCqlToCamelCaseMappings } from './table-mappings';
// cassandra-driver's type names, declared so that `import X = mapping.X` works too (no run-time exports).
export * from './dropin-types';
export type { TableKeys } from './table-keys';
