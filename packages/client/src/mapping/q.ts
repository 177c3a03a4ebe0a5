/**
 * Query operators for the mapper (cassandra-driver `mapping.q`): comparison operators in `find` filters and
 * `when` conditions, assignments (increment, append, ...) in `update`.
 */
import { ArgumentError } from '@shardcql/core';

/** A condition `column <op> ?`; `and` holds two conditions on the same column. */
export class QueryOperator {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly hasChildValues = false,
    readonly isInOperator = false,
  ) {}
}

/** An UPDATE assignment `col = col <sign> ?`, or `col = ? <sign> col` when inverted (prepend). */
export class QueryAssignment {
  constructor(
    readonly sign: '+' | '-',
    readonly value: unknown,
    readonly inverted = false,
  ) {}
}

export const q = {
  in_(values: unknown[]): QueryOperator {
    if (!Array.isArray(values)) throw new ArgumentError('IN operator supports only Array values');
    return new QueryOperator('IN', values, false, true);
  },
  gt: (value: unknown): QueryOperator => new QueryOperator('>', value),
  gte: (value: unknown): QueryOperator => new QueryOperator('>=', value),
  lt: (value: unknown): QueryOperator => new QueryOperator('<', value),
  lte: (value: unknown): QueryOperator => new QueryOperator('<=', value),
  notEq: (value: unknown): QueryOperator => new QueryOperator('!=', value),
  /** Two conditions on one column, e.g. `q.and(q.gte(a), q.lt(b))`. */
  and: (condition1: unknown, condition2: unknown): QueryOperator => new QueryOperator('AND', [condition1, condition2], true),
  incr: (value: unknown): QueryAssignment => new QueryAssignment('+', value),
  decr: (value: unknown): QueryAssignment => new QueryAssignment('-', value),
  append: (value: unknown): QueryAssignment => new QueryAssignment('+', value),
  prepend: (value: unknown): QueryAssignment => new QueryAssignment('+', value, true),
  remove: (value: unknown): QueryAssignment => new QueryAssignment('-', value),
};

/** `mapping.q.QueryOperator` names a type too, as in cassandra-driver's declarations. */
// eslint-disable-next-line @typescript-eslint/no-namespace -- merges a type into the `q` value, as cassandra-driver's declarations do
export declare namespace q {
  type QueryOperator = import('./q').QueryOperator;
}
