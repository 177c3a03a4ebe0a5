/**
 * The values of a simple statement (QUERY): positional or named (flag 0x40, names lower-cased as
 * cassandra-driver's utils.adaptNamedParamsWithHints), with the types the `hints` option gives them.
 */
import { ArgumentError, parseTypeName, type DataType } from '@shardcql/core';
import type { DefaultExecutionOptions, QueryOptions } from '../execution-options';
import { Request } from './request';

export type Params = unknown[] | Record<string, unknown> | null | undefined;
export type Hints = NonNullable<QueryOptions['hints']>;

export class TypeHints {
  /** Parsed type names (hints are usually the same few strings). */
  private readonly cache = new Map<string, DataType>();

  /** The QUERY request of a simple statement and its parameters. */
  queryRequest(query: string, params: Params, eo: DefaultExecutionOptions): Request {
    let values: unknown[] | null = null;
    let names: string[] | null = null;
    let types: Array<DataType | null> | null = null;
    const hints = eo.getHints();
    if (params !== null && params !== undefined) {
      if (Array.isArray(params)) {
        values = params;
        if (hints) types = this.parse(hints, params.length, null);
      } else if (typeof params === 'object') {
        const keys = Object.keys(params);
        values = new Array<unknown>(keys.length);
        names = new Array<string>(keys.length);
        for (let i = 0; i < keys.length; i++) {
          names[i] = keys[i]!.toLowerCase();
          values[i] = (params as Record<string, unknown>)[keys[i]!];
        }
        if (hints) types = this.parse(hints, keys.length, keys);
      } else {
        throw new ArgumentError('Parameters must be an Array or an Object');
      }
    }
    return Request.query(query, values, types, names, eo);
  }

  /** Hints as DataTypes: strings go through parseTypeName (cached), DataType objects pass as they are. */
  parse(hints: Hints, n: number, keys: string[] | null): Array<DataType | null> {
    const out = new Array<DataType | null>(n);
    for (let i = 0; i < n; i++) {
      const h =
        keys === null
          ? Array.isArray(hints)
            ? hints[i]
            : undefined
          : Array.isArray(hints)
            ? hints[i]
            : (hints as Record<string, string | DataType>)[keys[i]!];
      out[i] = this.toDataType(h);
    }
    return out;
  }

  private toDataType(h: unknown): DataType | null {
    if (h === null || h === undefined) return null;
    if (typeof h === 'string') {
      const cached = this.cache.get(h);
      if (cached !== undefined) return cached;
      const parsed: DataType = parseTypeName(h);
      this.cache.set(h, parsed);
      return parsed;
    }
    if (typeof h === 'object' && typeof (h as DataType).code === 'number') return h as DataType;
    if (typeof h === 'number') return { code: h, info: null };
    throw new ArgumentError(`Invalid type hint: ${String(h)}`);
  }
}
