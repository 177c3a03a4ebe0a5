/**
 * How property names of a model map to column names (cassandra-driver `mapping.TableMappings`). The base
 * class maps names unchanged; UnderscoreCqlToCamelCaseMappings maps `userId` <-> `user_id`.
 */
export class TableMappings {
  getColumnName(propName: string): string {
    return propName;
  }

  getPropertyName(columnName: string): string {
    return columnName;
  }

  /** The object a row is mapped into. */
  newObjectInstance(): Record<string, unknown> {
    return {};
  }
}

/** Property and column names are the same. */
export class DefaultTableMappings extends TableMappings {}

/** `camelCase` properties for `snake_case` columns. */
export class UnderscoreCqlToCamelCaseMappings extends TableMappings {
  override getColumnName(propName: string): string {
    // An underscore before each upper-case letter that follows a lower-case one: userId -> user_id.
    return propName.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  }

  override getPropertyName(columnName: string): string {
    // A leading underscore is kept: _ab stays _ab, a_b_c becomes aBC.
    return columnName.replace(/_[a-z]/g, (m: string, offset: number) => (offset === 0 ? m : m[1]!.toUpperCase()));
  }
}
