import { describe, expect, it } from 'vitest';
import { DefaultExecutionOptions, type ExecutionContext, type QueryOptions } from '../src/execution-options';
import { ExecutionProfile, ProfileManager } from '../src/execution-profile';
import { RetryPolicy, FallthroughRetryPolicy, IdempotenceAwareRetryPolicy } from '../src/policies/retry';
import { MonotonicTimestampGenerator } from '../src/policies/timestamp-generation';
import { RoundRobinPolicy } from '../src/policies/load-balancing';
import { ArgumentError, Long } from '@shardcql/core';

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
    const q = DefaultExecutionOptions.create(
      { executionProfile: 'olap', consistency: 1, fetchSize: 10, readTimeout: 5, prepare: true },
      ctx,
    );
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
    query: 'q',
    nbRetry,
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

describe('execution options: every bad value is refused when the execution starts', () => {
  const make =
    (q: Record<string, unknown>): (() => unknown) =>
    () =>
      DefaultExecutionOptions.create(q as QueryOptions, context());

  it("timestamp: a Number, a Long or a bigint; cassandra-driver's TypeError for the rest", () => {
    for (const v of ['abc', {}, '1700000000000000', new Date(), true]) {
      expect(make({ timestamp: v })).toThrow(TypeError);
      expect(make({ timestamp: v })).toThrow(/^Expected Long, obtained /);
    }
    for (const v of [NaN, Infinity, 2 ** 60, 2n ** 63n, -(2n ** 63n) - 1n]) expect(make({ timestamp: v })).toThrow(ArgumentError);
    expect(DefaultExecutionOptions.create({ timestamp: 7.9 }, context()).getOrGenerateTimestamp()).toBe(7);
    const long = Long.fromNumber(42);
    expect(DefaultExecutionOptions.create({ timestamp: long }, context()).getOrGenerateTimestamp()).toBe(long);
    expect(DefaultExecutionOptions.create({ timestamp: 2n ** 63n - 1n }, context()).getOrGenerateTimestamp()).toBe(2n ** 63n - 1n);
  });

  it('readTimeout: ms from 0 (no timeout) to 2^31-1', () => {
    for (const v of [-1, NaN, 2 ** 31, 2 ** 32 + 200]) {
      expect(make({ readTimeout: v })).toThrow(ArgumentError);
      expect(make({ readTimeout: v })).toThrow(/readTimeout must be a number of milliseconds from 0 \(no timeout\) to 2147483647/);
    }
    expect(make({ readTimeout: '5' })).toThrow(TypeError);
    expect(DefaultExecutionOptions.create({ readTimeout: 0 }, context()).getReadTimeout()).toBe(0);
  });

  it('fetchSize: an integer up to 2^31-1 (0 or less: no paging)', () => {
    expect(make({ fetchSize: 'abc' })).toThrow(TypeError);
    for (const v of [1.5, NaN, 2 ** 31, Infinity]) expect(make({ fetchSize: v })).toThrow(ArgumentError);
    expect(DefaultExecutionOptions.create({ fetchSize: 0 }, context()).getFetchSize()).toBe(0);
    expect(DefaultExecutionOptions.create({ fetchSize: -1 }, context()).getFetchSize()).toBe(-1);
  });

  it('consistency and serialConsistency: one of types.consistencies', () => {
    for (const key of ['consistency', 'serialConsistency']) {
      expect(make({ [key]: 'quorum' })).toThrow(TypeError);
      for (const v of [-1, 11, 1.5, NaN]) expect(make({ [key]: v })).toThrow(ArgumentError);
    }
    expect(DefaultExecutionOptions.create({ serialConsistency: 9 }, context()).getSerialConsistency()).toBe(9);
  });

  it('pageState: a Buffer or a whole hex string', () => {
    expect(make({ pageState: 123 })).toThrow(TypeError);
    // Buffer.from('0g', 'hex') is empty: the paging would restart at the first page without a word.
    for (const v of ['0g', 'abc', 'zz']) expect(make({ pageState: v })).toThrow(ArgumentError);
  });

  it('routingKey, keyspace, executeAs, customPayload, hints, retry, host, executionProfile: their types', () => {
    expect(make({ routingKey: 'abc' })).toThrow(TypeError);
    expect(make({ routingKey: [] })).toThrow(TypeError);
    expect(make({ routingKey: [Buffer.from('a'), 'b'] })).toThrow(TypeError);
    expect(make({ keyspace: 5 })).toThrow(TypeError);
    expect(make({ executeAs: 5 })).toThrow(TypeError);
    expect(make({ customPayload: { k: 'v' } })).toThrow('customPayload.k must be a Buffer');
    expect(make({ customPayload: 'k' })).toThrow(TypeError);
    expect(make({ hints: 'int' })).toThrow(TypeError);
    expect(make({ retry: {} })).toThrow('retry must be an instance of RetryPolicy');
    expect(make({ host: '10.0.0.1' })).toThrow(TypeError);
    expect(make({ executionProfile: 5 })).toThrow(TypeError);
    expect(() => DefaultExecutionOptions.create('fast' as unknown as QueryOptions, context())).toThrow('Query options must be an object');
    const ok = DefaultExecutionOptions.create(
      {
        routingKey: [Buffer.from('a'), Buffer.from('b')],
        keyspace: 'ks',
        customPayload: { k: Buffer.from('v') },
        hints: ['int'],
        retry: new FallthroughRetryPolicy(),
        pageState: 'ABCDEF',
        prepare: 1 as unknown as boolean,
      },
      context(),
    );
    expect(ok.getPageState()).toEqual(Buffer.from([0xab, 0xcd, 0xef]));
    // Booleans keep cassandra-driver's truthiness.
    expect(ok.isPrepared()).toBe(1);
  });
});

describe('execution options: null', () => {
  it('is "not set" where that is unambiguous, no timeout / no paging as cassandra-driver reads it, and refused for consistencies and retry', () => {
    const ctx = context();
    const eo = DefaultExecutionOptions.create(
      {
        pageState: null,
        routingKey: null,
        hints: null,
        customPayload: null,
        executionProfile: null,
        timestamp: null,
      } as unknown as QueryOptions,
      ctx,
    );
    expect(eo.getPageState()).toBeNull();
    expect(typeof eo.getOrGenerateTimestamp()).toBe('number');
    const none = DefaultExecutionOptions.create({ readTimeout: null, fetchSize: null } as unknown as QueryOptions, ctx);
    expect(none.getReadTimeout()).toBe(0);
    expect(none.getFetchSize()).toBe(0);
    for (const key of ['consistency', 'serialConsistency', 'retry']) {
      expect(() => DefaultExecutionOptions.create({ [key]: null } as QueryOptions, ctx)).toThrow(TypeError);
    }
  });
});

describe('ExecutionProfile checks its options when it is made', () => {
  it('consistency, serialConsistency, readTimeout, retry, loadBalancing', () => {
    expect(() => new ExecutionProfile('p', { consistency: 'one' as unknown as number })).toThrow(TypeError);
    expect(() => new ExecutionProfile('p', { serialConsistency: 12 })).toThrow(TypeError);
    expect(() => new ExecutionProfile('p', { readTimeout: -1 })).toThrow(
      'Execution profile "p": readTimeout must be a number of milliseconds',
    );
    expect(() => new ExecutionProfile('p', { readTimeout: 2 ** 31 })).toThrow(TypeError);
    expect(() => new ExecutionProfile('p', { retry: {} as RetryPolicy })).toThrow(
      'Execution profile "p": retry must be an instance of RetryPolicy',
    );
    expect(() => new ExecutionProfile('p', { loadBalancing: {} as RoundRobinPolicy })).toThrow(TypeError);
    expect(
      new ExecutionProfile('p', { readTimeout: 0, consistency: 1, retry: new RetryPolicy(), loadBalancing: new RoundRobinPolicy() })
        .readTimeout,
    ).toBe(0);
  });
});
