import { describe, expect, it } from 'vitest';
import { defaultOptions, extend, toEngineOptions, defaultWorkers } from '../src/client-options';
import { PlainTextAuthProvider } from '../src/auth';
import { NoAuthProvider } from '../src/auth/no-auth-provider';
import { DCAwareRoundRobinPolicy, DefaultLoadBalancingPolicy } from '../src/policies/load-balancing';
import { RetryPolicy } from '../src/policies/retry';

describe('client options', () => {
  it('has cassandra-driver defaults', () => {
    const o = defaultOptions();
    expect(o.queryOptions).toEqual({ fetchSize: 5000, prepare: false, captureStackTrace: false });
    expect(o.protocolOptions).toEqual({ port: 9042, maxSchemaAgreementWaitSeconds: 10, maxVersion: 0, noCompact: false });
    expect(o.socketOptions.readTimeout).toBe(12000);
    expect(o.socketOptions.connectTimeout).toBe(5000);
    expect(o.socketOptions.coalescingThreshold).toBe(65536);
    expect(o.pooling.heartBeatInterval).toBe(30000);
    expect(o.maxPrepared).toBe(500);
    expect(o.prepareOnAllHosts).toBe(true);
    expect(o.encoding).toEqual({ copyBuffer: true, useUndefinedAsUnset: true });
    expect(o.policies.loadBalancing).toBeInstanceOf(DefaultLoadBalancingPolicy);
    expect(o.policies.retry).toBeInstanceOf(RetryPolicy);
  });

  it('throws TypeError without contact points', () => {
    expect(() => extend({})).toThrow(TypeError);
    expect(() => extend({ contactPoints: [] })).toThrow('Contacts points are not defined.');
    expect(() => extend({ contactPoints: [''] })).toThrow(TypeError);
  });

  it('validates like cassandra-driver', () => {
    const cp = ['127.0.0.1'];
    expect(() => extend({ contactPoints: cp, socketOptions: { readTimeout: 'x' as unknown as number } })).toThrow(TypeError);
    expect(() => extend({ contactPoints: cp, socketOptions: { coalescingThreshold: 0 } })).toThrow(TypeError);
    expect(() => extend({ contactPoints: cp, policies: { retry: {} as RetryPolicy } })).toThrow('Retry policy must be an instance of RetryPolicy');
    expect(() => extend({ contactPoints: cp, credentials: { username: 1 as unknown as string, password: 'x' } })).toThrow(TypeError);
    expect(() => extend({ contactPoints: cp, applicationName: 3 as unknown as string })).toThrow(TypeError);
    expect(() => extend({ contactPoints: cp, shardcql: { workers: -1 } })).toThrow(TypeError);
  });

  it('merges nested options deeply and keeps policies by reference', () => {
    const lbp = new DCAwareRoundRobinPolicy('dc1');
    const o = extend({ contactPoints: ['a'], socketOptions: { readTimeout: 100 }, policies: { loadBalancing: lbp } });
    expect(o.socketOptions.readTimeout).toBe(100);
    expect(o.socketOptions.connectTimeout).toBe(5000);
    expect(o.policies.loadBalancing).toBe(lbp);
    expect(o.policies.retry).toBeInstanceOf(RetryPolicy);
  });

  it('maps credentials to a PlainTextAuthProvider, none to NoAuthProvider', () => {
    expect(extend({ contactPoints: ['a'], credentials: { username: 'u', password: 'p' } }).authProvider).toBeInstanceOf(PlainTextAuthProvider);
    expect(extend({ contactPoints: ['a'] }).authProvider).toBeInstanceOf(NoAuthProvider);
  });

  it('maps to engine options', () => {
    const e = toEngineOptions(extend({
      contactPoints: ['10.0.0.1', '10.0.0.2'],
      keyspace: 'ks',
      credentials: { username: 'u', password: 'p' },
      policies: { loadBalancing: new DCAwareRoundRobinPolicy('dc9') },
      protocolOptions: { port: 9999, maxVersion: 4 },
      pooling: { maxRequestsPerConnection: 100 },
      shardcql: { workers: 3, compression: 'lz4' },
    }));
    expect(e).toMatchObject({
      contactPoints: ['10.0.0.1', '10.0.0.2'],
      port: 9999,
      keyspace: 'ks',
      credentials: { username: 'u', password: 'p' },
      localDataCenter: 'dc9',
      workers: 3,
      compression: 'lz4',
      maxProtocolVersion: 4,
      maxRequestsPerConnection: 100,
      connectTimeoutMs: 5000,
      heartbeatIntervalMs: 30000,
    });
    const d = toEngineOptions(extend({ contactPoints: ['a'], localDataCenter: 'x' }));
    expect(d.workers).toBe(defaultWorkers());
    expect(d.workers).toBeGreaterThanOrEqual(1);
    expect(d.localDataCenter).toBe('x');
    expect(d.maxProtocolVersion).toBe(5);
    expect(d.credentials).toBeNull();
  });
});
