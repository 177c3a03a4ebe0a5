/**
 * System options: the execution options of the client's own queries (metadata, schema agreement, tracing),
 * outside the application's: the consistency asked for, no paging, no timestamp, no retry, no custom payload,
 * the client's read timeout. A DefaultExecutionOptions like every request's, so the request path sees one shape.
 */
import type { ResolvedClientOptions } from '../client-options';
import { DefaultExecutionOptions, type ExecutionContext } from '../execution-options';
import { ProfileManager } from '../execution-profile';
import { FallthroughRetryPolicy } from '../policies/retry';

export class SystemOptions {
  private readonly context: ExecutionContext;
  /** By consistency: the options are immutable in use (a system query does not page). */
  private readonly byConsistency = new Map<number, DefaultExecutionOptions>();

  constructor(options: ResolvedClientOptions, log: ExecutionContext['log']) {
    const retry = new FallthroughRetryPolicy();
    this.context = {
      options: { queryOptions: {}, socketOptions: options.socketOptions, policies: { retry, timestampGeneration: null } },
      profileManager: new ProfileManager(undefined, options.policies.loadBalancing, retry),
      log,
    };
  }

  get(consistency: number): DefaultExecutionOptions {
    let eo = this.byConsistency.get(consistency);
    if (eo === undefined) {
      eo = new DefaultExecutionOptions({ consistency, fetchSize: 0 }, this.context);
      this.byConsistency.set(consistency, eo);
    }
    return eo;
  }
}
