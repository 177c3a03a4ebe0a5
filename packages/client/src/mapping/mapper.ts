/**
 * `mapping.Mapper` (cassandra-driver): one ModelMapper per model name, configured by `options.models`. A
 * model without options maps to the table of its own name in the client's keyspace.
 */
import { ArgumentError } from '@shardcql/core';
import { ModelMapper, batchOptions, mutationAdapter, type ExecutionOptionsArg, type MapperClient } from './model-mapper';
import { ModelBatchItem } from './model-batch';
import { Result } from './result';
import { ModelMappingInfo, type MappingOptions } from './model-mapping-info';

export class Mapper {
  private readonly client: MapperClient;
  private readonly options: MappingOptions;
  private readonly mappers = new Map<string, ModelMapper<unknown>>();

  constructor(client: MapperClient, options?: MappingOptions) {
    if (client === null || typeof client !== 'object' || typeof client.execute !== 'function') {
      throw new ArgumentError('client must be defined');
    }
    if (options !== undefined && options !== null && typeof options !== 'object') throw new ArgumentError('options must be an object');
    this.client = client;
    this.options = options ?? {};
  }

  // `T = any` as in cassandra-driver: `(await m.get(doc)).name` compiles without a model type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cassandra-driver's declaration (see above)
  forModel<T = any>(name: string): ModelMapper<T> {
    if (typeof name !== 'string' || name.length === 0) throw new ArgumentError('Model name must be a non-empty string');
    let mapper = this.mappers.get(name);
    if (mapper === undefined) {
      const modelOptions = this.options.models?.[name];
      const clientKeyspace = this.client.keyspace ?? (this.client as { options?: { keyspace?: string } }).options?.keyspace;
      const info = ModelMappingInfo.create(name, modelOptions, clientKeyspace);
      mapper = new ModelMapper<unknown>(name, this.client, info);
      this.mappers.set(name, mapper);
    }
    return mapper as ModelMapper<T>;
  }

  /**
   * Runs the items (from `modelMapper.batching`) as one BATCH: logged unless `logged: false`, idempotent
   * only if every statement is, a counter batch if any statement updates a counter.
   */
  async batch(items: ModelBatchItem[], executionOptions?: ExecutionOptionsArg): Promise<Result> {
    if (!Array.isArray(items) || items.length === 0) throw new ArgumentError('First parameter items should be a non-empty Array');
    if (!items.every((item) => item instanceof ModelBatchItem)) throw new ArgumentError('Batch items must be instances of ModelBatchItem');
    const resolved = (await Promise.all(items.map((item) => item.resolve()))).flat();
    const isIdempotent = resolved.every((r) => r.statement.isIdempotent);
    const isCounter = resolved.some((r) => r.statement.isCounter);
    const rs = await this.client.batch(
      resolved.map((r) => ({ query: r.query, params: r.params })),
      batchOptions(executionOptions, isIdempotent, isCounter),
    );
    return new Result(rs, mutationAdapter(items[0]!.mappingInfo, rs));
  }
}
