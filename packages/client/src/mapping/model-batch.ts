/**
 * Model writes grouped in one BATCH (cassandra-driver `ModelBatchMapper` / `ModelBatchItem`):
 * `mapper.batch([users.batching.insert(u), videos.batching.remove(v)])`. Each item's statements come from
 * its ModelMapper's per-shape cache, so a batch generates no CQL its single-write form would not.
 */
import type { ModelMapper, MutationKind } from './model-mapper';
import type { DocInfo, Statement } from './query-generator';

type Doc = Record<string, unknown>;

export class ModelBatchItem {
  /** @internal */
  constructor(
    private readonly mapper: ModelMapper<unknown>,
    private readonly kind: MutationKind,
    private readonly doc: Doc,
    private readonly docInfo: DocInfo | null,
  ) {}

  /** @internal The item's statements with their parameters. */
  async resolve(): Promise<Array<{ query: string; params: unknown[]; statement: Statement }>> {
    const statements = await this.mapper.mutationStatements(this.kind, this.doc, this.docInfo);
    return statements.map((statement) => ({ query: statement.query, params: statement.paramsGetter(this.doc, this.docInfo), statement }));
  }

  /** @internal */
  get mappingInfo(): ModelMapper<unknown>['info'] {
    return this.mapper.info;
  }
}

export class ModelBatchMapper {
  /** @internal */
  constructor(private readonly mapper: ModelMapper<unknown>) {}

  insert(doc: Doc, docInfo?: DocInfo | null): ModelBatchItem {
    return new ModelBatchItem(this.mapper, 'I', doc, docInfo ?? null);
  }

  update(doc: Doc, docInfo?: DocInfo | null): ModelBatchItem {
    return new ModelBatchItem(this.mapper, 'U', doc, docInfo ?? null);
  }

  remove(doc: Doc, docInfo?: DocInfo | null): ModelBatchItem {
    return new ModelBatchItem(this.mapper, 'D', doc, docInfo ?? null);
  }
}
