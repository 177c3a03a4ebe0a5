/** Type names of cassandra-driver's `mapping` declarations, so code naming them compiles unchanged. */
import type { DocInfo } from './query-generator';
import type { ColumnMapping } from './model-mapping-info';

export type FindDocInfo = Pick<DocInfo, 'fields' | 'orderBy' | 'limit'>;
export type InsertDocInfo = Pick<DocInfo, 'fields' | 'ttl' | 'ifNotExists'>;
export type UpdateDocInfo = Pick<DocInfo, 'fields' | 'ttl' | 'ifExists' | 'when' | 'orderBy' | 'limit' | 'deleteOnlyColumns'>;
export type RemoveDocInfo = Pick<DocInfo, 'fields' | 'ttl' | 'ifExists' | 'when' | 'deleteOnlyColumns'>;
export type ModelColumnOptions = Exclude<ColumnMapping, string>;
export interface ModelTables {
  name: string;
  isView: boolean;
}
