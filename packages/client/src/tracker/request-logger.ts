/**
 * cassandra-driver's `tracker.RequestLogger`: turns tracked requests into one-line messages on `emitter`,
 * with the same event names and precedence: on success 'slow' (latency above `slowThreshold` ms), else
 * 'large' (request above `requestSizeThreshold` bytes), else 'normal' when `logNormalRequests`; on error
 * 'large' when the request was large, else 'failure' when `logErroredRequests` ('error' is avoided because
 * an unhandled 'error' event throws).
 */
import { EventEmitter } from 'node:events';
import { ArgumentError } from '@shardcql/core';
import type { ExecutionOptions } from '../execution-options';
import { RequestTracker, type TrackedHost, type TrackedQuery } from './request-tracker';

export interface RequestLoggerOptions {
  /** Milliseconds beyond which a successful request is 'slow'. */
  slowThreshold?: number;
  /** Request bytes beyond which a request is 'large'. */
  requestSizeThreshold?: number;
  logNormalRequests?: boolean;
  logErroredRequests?: boolean;
  /** Characters of the query text kept in a message (default 500). */
  messageMaxQueryLength?: number;
  /** Characters of each parameter value kept (default 50). */
  messageMaxParameterValueLength?: number;
  /** Characters of an error's stack kept (default 200). */
  messageMaxErrorStackTraceLength?: number;
}

const DEFAULT_MAX_QUERY = 500;
const DEFAULT_MAX_PARAM = 50;
const DEFAULT_MAX_STACK = 200;

export class RequestLogger extends RequestTracker {
  /** Emits 'slow', 'large', 'normal' and 'failure' with a string message. */
  readonly emitter = new EventEmitter();
  /** May be changed while the client runs. */
  logNormalRequests: boolean;
  logErroredRequests: boolean;
  private readonly options: RequestLoggerOptions;

  constructor(options: RequestLoggerOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new ArgumentError('RequestLogger options parameter is required');
    this.options = options;
    this.logNormalRequests = !!options.logNormalRequests;
    this.logErroredRequests = !!options.logErroredRequests;
  }

  // eslint-disable-next-line max-params -- cassandra-driver's RequestTracker signature
  override onSuccess(
    host: TrackedHost,
    query: TrackedQuery,
    parameters: unknown,
    executionOptions: ExecutionOptions,
    requestLength: number,
    responseLength: number,
    latency: [number, number],
  ): void {
    const o = this.options;
    const ms = toMillis(latency);
    if ((o.slowThreshold ?? 0) > 0 && ms > o.slowThreshold!) {
      this.emitter.emit(
        'slow',
        `[${host.address}] Slow request, took ${Math.floor(ms)} ms (${sizes(requestLength, responseLength)}): ` +
          this.statement(query, parameters, executionOptions),
      );
    } else if ((o.requestSizeThreshold ?? 0) > 0 && requestLength > o.requestSizeThreshold!) {
      this.emitter.emit(
        'large',
        `[${host.address}] Request exceeded length, ${sizes(requestLength, responseLength)} (took ${Math.trunc(ms)} ms): ` +
          this.statement(query, parameters, executionOptions),
      );
    } else if (this.logNormalRequests) {
      this.emitter.emit(
        'normal',
        `[${host.address}] Request completed normally, took ${Math.trunc(ms)} ms (${sizes(requestLength, responseLength)}): ` +
          this.statement(query, parameters, executionOptions),
      );
    }
  }

  // eslint-disable-next-line max-params -- cassandra-driver's RequestTracker signature
  override onError(
    host: TrackedHost,
    query: TrackedQuery,
    parameters: unknown,
    executionOptions: ExecutionOptions,
    requestLength: number,
    err: Error,
    latency: [number, number],
  ): void {
    const o = this.options;
    const large = (o.requestSizeThreshold ?? 0) > 0 && requestLength > o.requestSizeThreshold!;
    if (!large && !this.logErroredRequests) return;
    const ms = Math.trunc(toMillis(latency));
    const stack = String(err?.stack ?? err).slice(0, o.messageMaxErrorStackTraceLength || DEFAULT_MAX_STACK);
    const statement = this.statement(query, parameters, executionOptions);
    if (large) {
      this.emitter.emit(
        'large',
        `[${host.address}] Request exceeded length and execution failed, ${sizes(requestLength)} (took ${ms} ms): ` +
          `${statement}; error: ${stack}`,
      );
    } else {
      this.emitter.emit(
        'failure',
        `[${host.address}] Request execution failed, took ${ms} ms (${sizes(requestLength)}): ${statement}; error: ${stack}`,
      );
    }
  }

  /** The query (cut to messageMaxQueryLength) and its parameters (each cut to messageMaxParameterValueLength). */
  private statement(query: TrackedQuery, parameters: unknown, eo: ExecutionOptions): string {
    const maxQuery = this.options.messageMaxQueryLength || DEFAULT_MAX_QUERY;
    const maxParam = this.options.messageMaxParameterValueLength || DEFAULT_MAX_PARAM;
    if (Array.isArray(query)) return batchStatement(query, eo, maxQuery, maxParam);
    const text = String(query).slice(0, maxQuery);
    let message = text + parametersText(parameters, maxQuery - text.length - 1, maxParam);
    // Not counted in messageMaxQueryLength, as cassandra-driver.
    if (!eo.isPrepared()) message += ' (not prepared)';
    return message;
  }
}

function batchStatement(
  queries: Array<{ query: string; params?: unknown } | string>,
  eo: ExecutionOptions,
  maxQuery: number,
  maxParam: number,
): string {
  let message = `${eo.isBatchLogged() ? 'LOGGED ' : ''}BATCH w/ ${queries.length}${eo.isPrepared() ? '' : ' not prepared'} queries (`;
  let remaining = maxQuery;
  let i = 0;
  for (; i < queries.length && remaining > 0; i++) {
    const item = queries[i]!;
    const text = typeof item === 'string' ? item : String(item.query);
    if (i > 0) {
      message += ',';
      remaining--;
    }
    const cut = text.slice(0, Math.max(0, remaining));
    message += cut;
    remaining -= cut.length;
    if (remaining <= 0) break;
    const params = parametersText(typeof item === 'string' ? undefined : item.params, remaining, maxParam);
    remaining -= params.length;
    message += params;
  }
  return message + (i < queries.length ? ',...)' : ')');
}

/** ` [v1,v2,...]` within `remaining` characters; named parameters as `name:value`. */
function parametersText(params: unknown, remaining: number, maxParam: number): string {
  if (remaining <= 3) return ' [...]';
  if (params === null || params === undefined) return ' []';
  const named = !Array.isArray(params) && typeof params === 'object';
  const keys = named ? Object.keys(params) : null;
  const values = named ? null : (params as unknown[]);
  const n = keys !== null ? keys.length : values!.length;
  let message = ' [';
  let i = 0;
  for (; remaining > 0 && i < n; i++) {
    if (i > 0) {
      message += ',';
      remaining--;
    }
    const limit = Math.min(maxParam, remaining);
    let item: string;
    if (keys !== null) {
      item = keys[i]!.slice(0, limit);
      const rest = limit - item.length - 1;
      if (rest > 0) item += ':' + valueText((params as Record<string, unknown>)[keys[i]!], rest);
    } else {
      item = valueText(values![i], limit);
    }
    remaining -= item.length;
    message += item;
  }
  if (i < n) message += '...';
  return message + ']';
}

function valueText(value: unknown, max: number): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  return String(value).slice(0, max);
}

function sizes(requestLength: number, responseLength?: number): string {
  const request = `request size ${size(requestLength)}`;
  return responseLength === undefined ? request : `${request} / response size ${size(responseLength)}`;
}

function size(length: number): string {
  return length > 1000 ? `${Math.round(length / 1024)} KB` : `${length} bytes`;
}

function toMillis(latency: [number, number]): number {
  return latency[0] * 1000 + latency[1] / 1e6;
}
