/**
 * One request of the client: an execute (QUERY or EXECUTE), a batch, or a system query. Made once per call
 * (and per page), it carries what the request sends (statement, values, options), what was resolved for it
 * once (consistency, timestamp, timeout, fixed host), and its state across tries (hosts tried, retries,
 * re-prepare, speculative executions). The execution loop, the encoder and the result decoding all read it,
 * so none of them takes the request's pieces as a list of parameters. It is also what the engine sends and
 * routes (it extends EngineRequest, engine/request.ts: opcode, body, token, pinned host, keyspace and table,
 * the query plan's cursor): one object per execute from the client's call to the engine's send.
 */
import type { BatchEntry, DataType, QueryParameters } from '@shardcql/core';
import type { DefaultExecutionOptions } from '../execution-options';
import type { HrTime } from '../metrics/client-metrics';
import type { PreparedInfo } from '../prepared-cache';
import type { SpeculativeRun } from '../speculative-send';
import { EngineRequest } from '../engine/request';

/** What a request sends: one code path for QUERY, EXECUTE and BATCH. */
export const enum RequestKind {
  Query = 0,
  Execute = 1,
  Batch = 2,
}

export class Request extends EngineRequest {
  readonly kind: RequestKind;
  /** The CQL text ('' for a batch). */
  readonly query: string;
  /** The prepared statement (EXECUTE), or a batch's first prepared statement (its routing). */
  info: PreparedInfo | null = null;
  values: readonly unknown[] | null = null;
  /** The values' types: the bind types of a prepared statement, the parsed hints of a simple one. */
  types: readonly (DataType | null)[] | null = null;
  /** Named values of a simple statement (lower-cased). */
  names: readonly string[] | null = null;
  entries: BatchEntry[] | null = null;
  readonly eo: DefaultExecutionOptions;
  /**
   * System options (Client.querySystem: metadata, schema agreement, tracing): no tracker, no metrics, no
   * resend, errors as the server sent them; the options themselves (consistency, no paging, no timestamp, no
   * retry) are in `eo`.
   */
  internal = false;

  // Resolved once per execute (RequestExecutor.begin); the timeout is EngineRequest's timeoutMs.
  consistency = 0;
  timestamp: QueryParameters['timestamp'] = null;
  /** The execution option `host` as a host index, else -1. */
  fixedIndex = -1;
  /** When the request started, when someone consumes latencies (metrics, tracker); else null. */
  started: HrTime | null = null;
  spec: SpeculativeRun | null = null;

  // The current try: hostIndex (pinned host, else -1), flags (frame flags of the encoded body: tracing, custom
  // payload), hasToken / tokenHi / tokenLo are EngineRequest's.
  /** The request's frame length (tracker), read before the shared writer moves on. */
  requestLength = 0;

  // Across tries.
  triedHosts: Record<string, Error | null> | null = null;
  retryCount = 0;
  notSentRetries = 0;
  reprepared = false;

  constructor(kind: RequestKind, query: string, eo: DefaultExecutionOptions) {
    super();
    this.kind = kind;
    this.query = query;
    this.eo = eo;
  }

  /** EXECUTE of a prepared statement. */
  static execute(query: string, info: PreparedInfo, values: readonly unknown[] | null, eo: DefaultExecutionOptions): Request {
    const req = new Request(RequestKind.Execute, query, eo);
    req.info = info;
    req.values = values;
    req.types = info.bindTypes;
    return req;
  }

  /** QUERY of a simple statement, its values positional or named, with their hinted types. */
  static query(
    query: string,
    values: readonly unknown[] | null,
    types: readonly (DataType | null)[] | null,
    names: readonly string[] | null,
    eo: DefaultExecutionOptions,
  ): Request {
    const req = new Request(RequestKind.Query, query, eo);
    req.values = values;
    req.types = types;
    req.names = names;
    return req;
  }

  /** BATCH; routed by its first prepared statement. */
  static batch(entries: BatchEntry[], first: PreparedInfo | null, eo: DefaultExecutionOptions): Request {
    const req = new Request(RequestKind.Batch, '', eo);
    req.entries = entries;
    req.info = first;
    return req;
  }

  /** A system query (system options in `eo`), pinned to `hostIndex` when >= 0. */
  static system(cql: string, eo: DefaultExecutionOptions, hostIndex: number): Request {
    const req = new Request(RequestKind.Query, cql, eo);
    req.internal = true;
    req.fixedIndex = hostIndex;
    return req;
  }

  /** The same statement and values for the next page (the page state is in `eo`); the bind types as they are now. */
  nextPage(): Request {
    const req = new Request(this.kind, this.query, this.eo);
    req.info = this.info;
    req.values = this.values;
    req.types = this.kind === RequestKind.Execute ? this.info!.bindTypes : this.types;
    req.names = this.names;
    req.internal = this.internal;
    req.fixedIndex = this.internal ? this.fixedIndex : -1;
    return req;
  }
}
