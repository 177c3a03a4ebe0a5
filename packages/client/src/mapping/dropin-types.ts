/** Type names of cassandra-driver's `mapping` declarations, so code naming them compiles unchanged. */
import type { DocInfo as DocInfoDecl } from './query-generator';
import type { ColumnMapping, MappingOptions as MappingOptionsDecl, ModelOptions as ModelOptionsDecl } from './model-mapping-info';
import type { MappingExecutionOptions as MappingExecutionOptionsDecl } from './model-mapper';

export type DocInfo = DocInfoDecl;
export type MappingOptions = MappingOptionsDecl;
export type ModelOptions = ModelOptionsDecl;
export type MappingExecutionOptions = MappingExecutionOptionsDecl;

export type FindDocInfo = Pick<DocInfo, 'fields' | 'orderBy' | 'limit'>;
export type InsertDocInfo = Pick<DocInfo, 'fields' | 'ttl' | 'ifNotExists'>;
export type UpdateDocInfo = Pick<DocInfo, 'fields' | 'ttl' | 'ifExists' | 'when' | 'orderBy' | 'limit' | 'deleteOnlyColumns'>;
export type RemoveDocInfo = Pick<DocInfo, 'fields' | 'ttl' | 'ifExists' | 'when' | 'deleteOnlyColumns'>;
export type ModelColumnOptions = Exclude<ColumnMapping, string>;
export interface ModelTables {
  name: string;
  isView: boolean;
}
