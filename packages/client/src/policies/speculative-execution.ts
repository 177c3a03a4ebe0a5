/**
 * Speculative execution plans (cassandra-driver `lib/policies/speculative-execution.js`). Recorded for the
 * engine; a plan says when to send the same idempotent request to another host.
 */
import { ArgumentError } from '@shardcql/core';

export interface SpeculativePlan {
  /** Milliseconds to wait before the next speculative execution, or a negative number for none. */
  nextExecution(): number;
}

export class SpeculativeExecutionPolicy {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- cassandra-driver's signature: the parameters are for subclasses (their names show in the .d.ts)
  init(client: unknown): void {}
  shutdown(): void {}
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- cassandra-driver's signature: the parameters are for subclasses (their names show in the .d.ts)
  newPlan(keyspace: string | null, queryInfo: string | unknown[]): SpeculativePlan {
    throw new Error('You must implement newPlan() method in the SpeculativeExecutionPolicy');
  }
  getOptions(): Map<string, unknown> {
    return new Map();
  }
}

const NO_PLAN: SpeculativePlan = { nextExecution: () => -1 };

export class NoSpeculativeExecutionPolicy extends SpeculativeExecutionPolicy {
  override newPlan(): SpeculativePlan {
    return NO_PLAN;
  }
}

export class ConstantSpeculativeExecutionPolicy extends SpeculativeExecutionPolicy {
  constructor(
    readonly delay: number,
    readonly maxSpeculativeExecutions: number,
  ) {
    super();
    if (!(delay >= 0)) throw new ArgumentError('delay must be a positive number or zero');
    if (!(maxSpeculativeExecutions > 0)) throw new ArgumentError('maxSpeculativeExecutions must be a positive number');
  }
  override newPlan(): SpeculativePlan {
    let executions = 0;
    return { nextExecution: () => (executions++ < this.maxSpeculativeExecutions ? this.delay : -1) };
  }
  override getOptions(): Map<string, unknown> {
    return new Map<string, unknown>([
      ['delay', this.delay],
      ['maxSpeculativeExecutions', this.maxSpeculativeExecutions],
    ]);
  }
}
