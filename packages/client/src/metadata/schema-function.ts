/** User-defined functions and aggregates (cassandra-driver `SchemaFunction`, `Aggregate`). */
import type { SchemaDataType } from './schema-type';

export class SchemaFunction {
  name = '';
  keyspaceName = '';
  /** Argument type names as system_schema writes them, e.g. `['int', 'list<text>']`. */
  signature: string[] = [];
  argumentNames: string[] = [];
  argumentTypes: SchemaDataType[] = [];
  body = '';
  calledOnNullInput = false;
  language = '';
  returnType: SchemaDataType | null = null;
  deterministic = false;
  monotonic = false;
  monotonicOn: string[] = [];
}

export class Aggregate {
  name = '';
  keyspaceName = '';
  signature: string[] = [];
  argumentTypes: SchemaDataType[] = [];
  stateFunction = '';
  stateType: SchemaDataType | null = null;
  finalFunction: string | null = null;
  /** The initial condition as CQL text (system_schema.aggregates `initcond`). */
  initConditionRaw: string | null = null;
  initCondition: string | null = null;
  returnType: SchemaDataType | null = null;
  deterministic = false;
}
