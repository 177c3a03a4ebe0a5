/**
 * BATCH requests: the entries of a batch of prepared statements (each prepared first, named parameters mapped)
 * or of simple statements (positional values with their hinted types). Routed by the first prepared statement.
 */
import { ArgumentError, type BatchEntry } from '@shardcql/core';
import type { DefaultExecutionOptions, QueryOptions } from '../execution-options';
import type { Params, TypeHints } from './params';
import type { PrepareHandler } from './prepare';
import { Request } from './request';

export type BatchQuery = string | { query: string; params?: Params };

/** A batch of prepared statements (`prepare: true`): every statement prepared (or cached) first. */
export async function preparedBatch(queries: BatchQuery[], eo: DefaultExecutionOptions, prepare: PrepareHandler): Promise<Request> {
  const ks = prepare.keyspaceOf(eo);
  const infos = await Promise.all(
    queries.map((item, i) => {
      const q = typeof item === 'string' ? item : item?.query;
      if (!q) throw new ArgumentError(`Invalid query at index ${i}`);
      return prepare.get(q, ks);
    }),
  );
  const entries: BatchEntry[] = new Array<BatchEntry>(queries.length);
  for (let i = 0; i < queries.length; i++) {
    const item = queries[i]!;
    const info = infos[i]!;
    const params = typeof item === 'string' ? null : item.params;
    entries[i] = { query: null, id: info.id, values: prepare.adaptParams(params, info), valueTypes: info.bindTypes };
  }
  return Request.batch(entries, infos[0]!, eo);
}

/** A batch of simple statements: positional values only, typed by the `hints` option (one array per statement). */
export function simpleBatch(queries: BatchQuery[], eo: DefaultExecutionOptions, hints: TypeHints): Request {
  const entries: BatchEntry[] = new Array<BatchEntry>(queries.length);
  const h = eo.getHints();
  for (let i = 0; i < queries.length; i++) {
    const item = queries[i];
    if (!item) throw new ArgumentError(`Invalid query at index ${i}`);
    const q = typeof item === 'string' ? item : item.query;
    if (!q) throw new ArgumentError(`Invalid query at index ${i}`);
    const params = typeof item === 'string' ? null : item.params;
    if (params && !Array.isArray(params)) {
      throw new ArgumentError('Named parameters are not supported in batches of simple statements, use the prepare flag');
    }
    const hi = Array.isArray(h) ? h[i] : undefined;
    const types = params && Array.isArray(hi) ? hints.parse(hi as NonNullable<QueryOptions['hints']>, params.length, null) : null;
    entries[i] = { query: q, id: null, values: params ?? null, valueTypes: types };
  }
  return Request.batch(entries, null, eo);
}
