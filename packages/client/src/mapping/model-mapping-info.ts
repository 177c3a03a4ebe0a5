/**
 * One model's mapping (cassandra-driver `ModelMappingInfo`): its keyspace, tables and views, and the name
 * mapping between properties and columns (`columns` entries first, then the TableMappings).
 */
import { ArgumentError } from '@shardcql/core';
import { DefaultTableMappings, TableMappings } from './table-mappings';

export type ColumnMapping = string | { name: string; toModel?: (value: unknown) => unknown; fromModel?: (value: unknown) => unknown };

export interface ModelOptions {
  /** Table (and view) names; default: the model name. */
  tables?: Array<string | { name: string; isView?: boolean }>;
  /** Default: the client's keyspace. */
  keyspace?: string;
  mappings?: TableMappings;
  /** By column name: the property name, or `{name, toModel, fromModel}`. */
  columns?: Record<string, ColumnMapping>;
}

export interface MappingOptions {
  models?: Record<string, ModelOptions>;
}

export class ModelMappingInfo {
  readonly tables: Array<{ name: string; isView: boolean }>;
  private readonly columnsByProperty = new Map<string, { column: string; fromModel: ((v: unknown) => unknown) | null }>();
  private readonly propertiesByColumn = new Map<string, { property: string; toModel: ((v: unknown) => unknown) | null }>();

  constructor(
    readonly modelName: string,
    readonly keyspace: string,
    tables: Array<{ name: string; isView: boolean }>,
    readonly mappings: TableMappings,
    columns: Record<string, ColumnMapping> | undefined,
  ) {
    this.tables = tables;
    for (const column of Object.keys(columns ?? {})) {
      const m = columns![column]!;
      const property = typeof m === 'string' ? m : m.name;
      if (typeof property !== 'string') throw new ArgumentError(`Invalid mapping for column "${column}"`);
      const toModel = typeof m === 'object' && typeof m.toModel === 'function' ? m.toModel : null;
      const fromModel = typeof m === 'object' && typeof m.fromModel === 'function' ? m.fromModel : null;
      this.columnsByProperty.set(property, { column, fromModel });
      this.propertiesByColumn.set(column, { property, toModel });
    }
  }

  static create(modelName: string, options: ModelOptions | undefined, clientKeyspace: string | undefined): ModelMappingInfo {
    const o = options ?? {};
    const keyspace = o.keyspace ?? clientKeyspace;
    if (!keyspace) {
      throw new ArgumentError(`You should specify the keyspace of the model "${modelName}" in the MappingOptions or the Client options`);
    }
    if (o.mappings !== undefined && !(o.mappings instanceof TableMappings)) {
      throw new ArgumentError('mappings should be an instance of TableMappings');
    }
    let tables: Array<{ name: string; isView: boolean }>;
    if (o.tables !== undefined && o.tables.length > 0) {
      tables = o.tables.map((t) => {
        if (typeof t === 'string') return { name: t, isView: false };
        if (t && typeof t.name === 'string') return { name: t.name, isView: !!t.isView };
        throw new ArgumentError(`Table names of model "${modelName}" should be strings or {name, isView}`);
      });
    } else {
      tables = [{ name: modelName, isView: false }];
    }
    return new ModelMappingInfo(modelName, keyspace, tables, o.mappings ?? new DefaultTableMappings(), o.columns);
  }

  getColumnName(property: string): string {
    return this.columnsByProperty.get(property)?.column ?? this.mappings.getColumnName(property);
  }

  getPropertyName(column: string): string {
    return this.propertiesByColumn.get(column)?.property ?? this.mappings.getPropertyName(column);
  }

  getFromModelFn(property: string): ((v: unknown) => unknown) | null {
    return this.columnsByProperty.get(property)?.fromModel ?? null;
  }

  getToModelFn(column: string): ((v: unknown) => unknown) | null {
    return this.propertiesByColumn.get(column)?.toModel ?? null;
  }

  newInstance(): Record<string, unknown> {
    return this.mappings.newObjectInstance();
  }
}
