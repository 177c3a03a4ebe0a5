import { describe, expect, it } from 'vitest';
import { DefaultExecutionOptions, type ExecutionContext } from '../src/execution-options';
import { ExecutionProfile, ProfileManager } from '../src/execution-profile';
import { RetryPolicy, FallthroughRetryPolicy, IdempotenceAwareRetryPolicy } from '../src/policies/retry';
import { MonotonicTimestampGenerator } from '../src/policies/timestamp-generation';
import { RoundRobinPolicy } from '../src/policies/load-balancing';
import { ArgumentError } from '@shardcql/core';

function context(profiles?: ExecutionProfile[]): ExecutionContext {
  const retry = new RetryPolicy();
  return {
    options: {
      queryOptions: { fetchSize: 5000, prepare: false, consistency: 10 },
      socketOptions: { readTimeout: 12000 },
      policies: { retry, timestampGeneration: new MonotonicTimestampGenerator() },
    },
    profileManager: new ProfileManager(profiles, new RoundRobinPolicy(), retry),
    log: () => undefined,
  };
}

describe('ExecutionOptions', () => {
  it('resolves query option, then profile, then client default', () => {
    const ctx = context([new ExecutionProfile('olap', { consistency: 5, readTimeout: 30000 })]);
    const none = DefaultExecutionOptions.create(null, ctx);
    expect(none.getConsistency()).toBe(10);
    expect(none.getFetchSize()).toBe(5000);
    expect(none.getReadTimeout()).toBe(12000);
    expect(none.isPrepared()).toBe(false);
    expect(none.getRetryPolicy()).toBe(ctx.options.policies.retry);
    const p = DefaultExecutionOptions.create({ executionProfile: 'olap' }, ctx);
    expect(p.getConsistency()).toBe(5);
    expect(p.getReadTimeout()).toBe(30000);
    const q = DefaultExecutionOptions.create({ executionProfile: 'olap', consistency: 1, fetchSize: 10, readTimeout: 5, prepare: true }, ctx);
    expect(q.getConsistency()).toBe(1);
    expect(q.getFetchSize()).toBe(10);
    expect(q.getReadTimeout()).toBe(5);
    expect(q.isPrepared()).toBe(true);
  });

  it('throws ArgumentError for an unknown profile', () => {
    expect(() => DefaultExecutionOptions.create({ executionProfile: 'nope' }, context())).toThrow(ArgumentError);
  });

  it('accepts a hex page state', () => {
    const eo = DefaultExecutionOptions.create({ pageState: '00ff10' }, context());
    expect(eo.getPageState()).toEqual(Buffer.from([0, 255, 16]));
    eo.setPageState(Buffer.from([1]));
    expect(eo.getPageState()).toEqual(Buffer.from([1]));
  });

  it('generates monotonic client timestamps unless given one', () => {
    const ctx = context();
    const a = DefaultExecutionOptions.create({}, ctx).getOrGenerateTimestamp() as number;
    const b = DefaultExecutionOptions.create({}, ctx).getOrGenerateTimestamp() as number;
    expect(typeof a).toBe('number');
    expect(b).toBeGreaterThan(a);
    expect(Math.abs(a / 1000 - Date.now())).toBeLessThan(5000);
    expect(DefaultExecutionOptions.create({ timestamp: 42 }, ctx).getOrGenerateTimestamp()).toBe(42);
  });

  it('batch flags default to logged, not counter', () => {
    const eo = DefaultExecutionOptions.create({}, context());
    expect(eo.isBatchLogged()).toBe(true);
    expect(eo.isBatchCounter()).toBe(false);
    expect(DefaultExecutionOptions.create({ logged: false, counter: true }, context()).isBatchLogged()).toBe(false);
  });
});

describe('MonotonicTimestampGenerator', () => {
  it('increments micros within one millisecond and borrows the next millisecond after 1000', () => {
    const g = new MonotonicTimestampGenerator();
    g.getDate = () => 1000;
    const log = { log: () => undefined };
    const first = g.next(log) as number;
    expect(first).toBe(1000_000);
    let last = first;
    for (let i = 0; i < 1500; i++) {
      const t = g.next(log) as number;
      expect(t).toBeGreaterThan(last);
      last = t;
    }
    expect(last).toBe(1001_500);
  });
});

describe('retry policies', () => {
  const op = (nbRetry: number, idempotent = false) => ({
    query: 'q', nbRetry,
    executionOptions: { isIdempotent: () => idempotent } as never,
  });
  it('default policy: one retry on read timeout with enough replicas and no data', () => {
    const p = new RetryPolicy();
    expect(p.onReadTimeout(op(0), 1, 2, 2, false).decision).toBe(1);
    expect(p.onReadTimeout(op(0), 1, 1, 2, false).decision).toBe(0);
    expect(p.onReadTimeout(op(1), 1, 2, 2, false).decision).toBe(0);
    expect(p.onWriteTimeout(op(0), 1, 0, 1, 'BATCH_LOG').decision).toBe(1);
    expect(p.onWriteTimeout(op(0), 1, 0, 1, 'SIMPLE').decision).toBe(0);
    const u = p.onUnavailable(op(0), 1, 3, 1);
    expect(u.decision).toBe(1);
    expect(u.useCurrentHost).toBe(false);
    expect(p.onUnavailable(op(1), 1, 3, 1).decision).toBe(0);
  });
  it('fallthrough never retries; idempotence-aware checks idempotence', () => {
    const f = new FallthroughRetryPolicy();
    expect(f.onUnavailable().decision).toBe(0);
    const i = new IdempotenceAwareRetryPolicy();
    expect(i.onWriteTimeout(op(0, false), 1, 0, 1, 'BATCH_LOG').decision).toBe(0);
    expect(i.onWriteTimeout(op(0, true), 1, 0, 1, 'BATCH_LOG').decision).toBe(1);
  });
});
