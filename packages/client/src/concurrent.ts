/**
 * `concurrent.executeConcurrent` (cassandra-driver `lib/concurrent`): runs one prepared query over many
 * parameter sets (an Array or an objectMode Readable of Arrays), or many {query, params}, at a bounded
 * concurrency, collecting results and errors in a ResultSetGroup.
 */
import { Readable, Stream } from 'node:stream';
import type { ResultSet } from './result-set';
import type { ExecutionProfile } from './execution-profile';

/** cassandra-driver's `concurrent.Options`. */
export type Options = ExecuteConcurrentOptions;

export interface ExecuteConcurrentOptions {
  collectResults?: boolean;
  concurrencyLevel?: number;
  executionProfile?: string | ExecutionProfile;
  maxErrors?: number;
  raiseOnFirstError?: boolean;
}

interface Executor {
  execute(query: string, params: unknown, options: { prepare: boolean; executionProfile?: string | ExecutionProfile }): Promise<ResultSet>;
}

export class ResultSetGroup {
  totalExecuted = 0;
  errors: Error[] = [];
  declare resultItems: Array<ResultSet | Error>;
  private readonly collectResults: boolean;
  private readonly maxErrors: number;

  constructor(options: ExecuteConcurrentOptions) {
    this.collectResults = !!options.collectResults;
    this.maxErrors = options.maxErrors || 100;
    if (this.collectResults) {
      this.resultItems = [];
    } else {
      Object.defineProperty(this, 'resultItems', {
        enumerable: false,
        get: () => {
          throw new Error('Property resultItems can not be accessed when collectResults is set to false');
        },
      });
    }
  }

  setResultItem(index: number, rs: ResultSet): void {
    this.totalExecuted++;
    if (this.collectResults) this.resultItems[index] = rs;
  }

  setError(index: number, err: Error): void {
    this.totalExecuted++;
    if (this.errors.length < this.maxErrors) this.errors.push(err);
    if (this.collectResults) this.resultItems[index] = err;
  }
}

export function executeConcurrent(
  client: Executor,
  query: string,
  parameters: unknown[][] | Readable,
  options?: ExecuteConcurrentOptions,
): Promise<ResultSetGroup>;
export function executeConcurrent(
  client: Executor,
  queries: Array<{ query: string; params?: unknown }>,
  options?: ExecuteConcurrentOptions,
): Promise<ResultSetGroup>;
export function executeConcurrent(client: Executor, query: unknown, parameters?: unknown, options?: unknown): Promise<ResultSetGroup> {
  if (!client) throw new TypeError('Client instance is not defined');
  if (typeof query === 'string') {
    if (Array.isArray(parameters)) return fromArray(client, query, parameters, (options ?? {}) as ExecuteConcurrentOptions);
    if (parameters instanceof Stream) return fromStream(client, query, parameters as Readable, (options ?? {}) as ExecuteConcurrentOptions);
    throw new TypeError('parameters should be an Array or a Stream instance');
  }
  if (Array.isArray(query)) return fromArray(client, null, query, (parameters ?? {}) as ExecuteConcurrentOptions);
  throw new TypeError('A string query or query and parameters array should be provided');
}

async function fromArray(
  client: Executor,
  query: string | null,
  items: unknown[],
  options: ExecuteConcurrentOptions,
): Promise<ResultSetGroup> {
  const raiseOnFirstError = options.raiseOnFirstError !== false;
  const level = Math.min(options.concurrencyLevel || 100, items.length);
  const queryOptions = { prepare: true, executionProfile: options.executionProfile };
  const result = new ResultSetGroup(options);
  let next = 0;
  let stop = false;
  const lane = async (): Promise<void> => {
    while (!stop && next < items.length) {
      const index = next++;
      const item = items[index];
      const q = query ?? (item as { query: string }).query;
      const params = query === null ? (item as { params?: unknown }).params : item;
      try {
        result.setResultItem(index, await client.execute(q, params, queryOptions));
      } catch (err) {
        result.setError(index, err as Error);
        if (raiseOnFirstError) {
          stop = true;
          throw err;
        }
      }
    }
  };
  const lanes: Array<Promise<void>> = [];
  for (let i = 0; i < level; i++) lanes.push(lane());
  await Promise.all(lanes);
  return result;
}

function fromStream(client: Executor, query: string, stream: Readable, options: ExecuteConcurrentOptions): Promise<ResultSetGroup> {
  const raiseOnFirstError = options.raiseOnFirstError !== false;
  const level = options.concurrencyLevel || 100;
  const queryOptions = { prepare: true, executionProfile: options.executionProfile };
  const result = new ResultSetGroup(options);
  return new Promise((resolve, reject) => {
    let inFlight = 0;
    let index = 0;
    let ended = false;
    const end = (err?: Error): void => {
      if (ended) return;
      ended = true;
      if (err) reject(err);
      else if (inFlight === 0) resolve(result);
    };
    stream
      .on('data', (params: unknown) => {
        if (!Array.isArray(params)) {
          end(new TypeError('Stream should be in objectMode and should emit Array instances'));
          return;
        }
        if (ended) return;
        const i = index++;
        inFlight++;
        client
          .execute(query, params, queryOptions)
          .then(
            (rs) => {
              inFlight--;
              result.setResultItem(i, rs);
            },
            (err: Error) => {
              inFlight--;
              result.setError(i, err);
              if (raiseOnFirstError) {
                ended = true;
                reject(err);
              }
            },
          )
          .then(() => {
            if (stream.isPaused()) stream.resume();
            if (ended && inFlight === 0) resolve(result);
          });
        if (inFlight >= level) stream.pause();
      })
      .on('error', (err: Error) => end(err))
      .on('end', () => end());
  });
}
