import { describe, expect, it } from 'vitest';
import { ArgumentError } from '@shardcql/core';
import { defaultOptions, extend, toEngineOptions, defaultWorkers, type ClientOptions } from '../src/client-options';
import { ExecutionProfile } from '../src/execution-profile';
import { DefaultMetrics } from '../src/metrics/client-metrics';
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
    expect(() => extend({ contactPoints: cp, policies: { retry: {} as RetryPolicy } })).toThrow(
      'Retry policy must be an instance of RetryPolicy',
    );
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
    expect(extend({ contactPoints: ['a'], credentials: { username: 'u', password: 'p' } }).authProvider).toBeInstanceOf(
      PlainTextAuthProvider,
    );
    expect(extend({ contactPoints: ['a'] }).authProvider).toBeInstanceOf(NoAuthProvider);
  });

  it('maps to engine options', () => {
    const e = toEngineOptions(
      extend({
        contactPoints: ['10.0.0.1', '10.0.0.2'],
        keyspace: 'ks',
        credentials: { username: 'u', password: 'p' },
        policies: { loadBalancing: new DCAwareRoundRobinPolicy('dc9') },
        protocolOptions: { port: 9999, maxVersion: 4 },
        pooling: { maxRequestsPerConnection: 100 },
        shardcql: { workers: 3, compression: 'lz4' },
      }),
    );
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

describe('client options: every bad value stops the constructor', () => {
  const cp = ['127.0.0.1'];
  const bad =
    (o: Record<string, unknown>): (() => unknown) =>
    () =>
      extend({ contactPoints: cp, ...o } as ClientOptions);

  it('socketOptions.readTimeout: a number of ms from 0 (no timeout) to 2^31-1', () => {
    // -1 and > 2^31-1 used to spin a 1 ms timer (TimeoutOverflowWarning); 2^32+200 fired at 200 ms; NaN meant none.
    for (const v of [-1, NaN, 2 ** 31, 2 ** 32 + 200, Infinity]) {
      expect(bad({ socketOptions: { readTimeout: v } })).toThrow(TypeError);
      expect(bad({ socketOptions: { readTimeout: v } })).toThrow(/socketOptions.readTimeout must be a number of milliseconds from 0/);
    }
    expect(bad({ socketOptions: { readTimeout: '12000' } })).toThrow('socketOptions.readTimeout must be a Number');
    expect(extend({ contactPoints: cp, socketOptions: { readTimeout: 0 } }).socketOptions.readTimeout).toBe(0);
    expect(extend({ contactPoints: cp, socketOptions: { readTimeout: 2 ** 31 - 1 } }).socketOptions.readTimeout).toBe(2 ** 31 - 1);
  });

  it('socketOptions.connectTimeout, pooling.heartBeatInterval: the same range', () => {
    for (const v of [-1, NaN, 2 ** 31, '5000']) {
      expect(bad({ socketOptions: { connectTimeout: v } })).toThrow(TypeError);
      expect(bad({ pooling: { heartBeatInterval: v } })).toThrow(TypeError);
    }
    expect(extend({ contactPoints: cp, pooling: { heartBeatInterval: 0 } }).pooling.heartBeatInterval).toBe(0);
  });

  it('socketOptions.coalescingThreshold: a positive number (NaN too is refused)', () => {
    for (const v of [0, -1, NaN, '1'])
      expect(bad({ socketOptions: { coalescingThreshold: v } })).toThrow('socketOptions.coalescingThreshold must be a positive Number');
  });

  it('pooling.maxRequestsPerConnection: an integer from 1 to 32768 (the stream ids)', () => {
    for (const v of [0, -1, NaN, 1.5, 32769, '100', Infinity]) {
      expect(bad({ pooling: { maxRequestsPerConnection: v } })).toThrow(TypeError);
      expect(bad({ pooling: { maxRequestsPerConnection: v } })).toThrow(
        /pooling.maxRequestsPerConnection must be an integer from 1 to 32768/,
      );
    }
    expect(toEngineOptions(extend({ contactPoints: cp, pooling: { maxRequestsPerConnection: 32768 } })).maxRequestsPerConnection).toBe(
      32768,
    );
    expect(toEngineOptions(extend({ contactPoints: cp, pooling: { maxRequestsPerConnection: 1 } })).maxRequestsPerConnection).toBe(1);
  });

  it('pooling.coreConnectionsPerHost: integers from 0 to 1024 by distance', () => {
    for (const v of [{ 0: -1 }, { 0: 1.5 }, { 0: 5000 }, { 0: '2' }, 'two'])
      expect(bad({ pooling: { coreConnectionsPerHost: v } })).toThrow(TypeError);
    expect(
      toEngineOptions(extend({ contactPoints: cp, pooling: { coreConnectionsPerHost: { 0: 3, 1: 1, 2: 0 } } })).connectionsPerHost,
    ).toBe(3);
  });

  it('protocolOptions: port 1-65535 (a digit string is taken), maxVersion 4 or 5, a wait in seconds', () => {
    for (const v of [0, 70000, 1.5, 'abc', NaN])
      expect(bad({ protocolOptions: { port: v } })).toThrow(/protocolOptions.port must be an integer from 1 to 65535/);
    expect(extend({ contactPoints: cp, protocolOptions: { port: '9043' as unknown as number } }).protocolOptions.port).toBe(9043);
    expect(bad({ protocolOptions: { maxVersion: 7 } })).toThrow('protocolOptions.maxVersion provided (7) is invalid');
    // shardcql speaks v4 and v5: a maximum of 3 used to mean v5.
    for (const v of [1, 2, 3, 4.5]) expect(bad({ protocolOptions: { maxVersion: v } })).toThrow(TypeError);
    expect(toEngineOptions(extend({ contactPoints: cp, protocolOptions: { maxVersion: 4 } })).maxProtocolVersion).toBe(4);
    expect(toEngineOptions(extend({ contactPoints: cp, protocolOptions: { maxVersion: 5 } })).maxProtocolVersion).toBe(5);
    for (const v of [-1, NaN, '10']) expect(bad({ protocolOptions: { maxSchemaAgreementWaitSeconds: v } })).toThrow(TypeError);
    expect(bad({ protocolOptions: null })).toThrow('protocolOptions not defined in options');
    expect(bad({ socketOptions: null })).toThrow('socketOptions not defined in options');
  });

  it('contact points, localDataCenter and keyspace are strings', () => {
    expect(bad({ contactPoints: [123] })).toThrow(/Contact point 0 \(123\) is not a valid host name/);
    expect(bad({ contactPoints: ['10.0.0.1:9042', 'db:99999'] })).toThrow(
      'Contact point 1 (db:99999) has an invalid port: use an integer from 1 to 65535',
    );
    expect(bad({ contactPoints: ['db:0'] })).toThrow(TypeError);
    expect(extend({ contactPoints: ['db:9043', '::1', 'fe80::1:2'] }).contactPoints).toHaveLength(3);
    expect(bad({ localDataCenter: 1 })).toThrow('localDataCenter must be a String, obtained 1');
    expect(bad({ keyspace: {} })).toThrow(TypeError);
  });

  it('maxPrepared is an integer >= 1; metrics a ClientMetrics; profiles ExecutionProfiles', () => {
    for (const v of [0, -1, NaN, 1.5, '500']) expect(bad({ maxPrepared: v })).toThrow(/maxPrepared must be an integer >= 1/);
    // cassandra-driver's check: a metrics object that is no ClientMetrics used to be dropped silently.
    expect(bad({ metrics: {} })).toThrow('metrics must be an instance of ClientMetrics');
    expect(extend({ contactPoints: cp, metrics: new DefaultMetrics() }).metrics).toBeInstanceOf(DefaultMetrics);
    expect(bad({ profiles: [{ name: 'x' }] })).toThrow('profiles must be an Array of ExecutionProfile instances');
    expect(extend({ contactPoints: cp, profiles: [new ExecutionProfile('x')] }).profiles).toHaveLength(1);
  });

  it('queryOptions get the checks of the execution options', () => {
    expect(bad({ queryOptions: { timestamp: 'abc' } })).toThrow(TypeError);
    expect(bad({ queryOptions: { fetchSize: NaN } })).toThrow(ArgumentError);
    expect(bad({ queryOptions: { fetchSize: NaN } })).toThrow(/queryOptions.fetchSize/);
    expect(bad({ queryOptions: { consistency: 'one' } })).toThrow(TypeError);
    expect(bad({ queryOptions: { readTimeout: -1 } })).toThrow(ArgumentError);
  });

  it('shardcql.workers from 1 to 1024; encoding: null is no encoding options', () => {
    expect(bad({ shardcql: { workers: 5000 } })).toThrow('shardcql.workers must be an integer from 1 to 1024, obtained 5000');
    expect(bad({ shardcql: 'fast' })).toThrow(TypeError);
    expect(extend({ contactPoints: cp, encoding: null } as unknown as ClientOptions).encoding).toEqual({});
  });
});
