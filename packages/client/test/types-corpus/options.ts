// ClientOptions, QueryOptions, ExecutionOptions and ExecutionProfile as cassandra-driver declares them.
import { Client, ClientOptions, QueryOptions, ExecutionOptions, ExecutionProfile, DseClientOptions, GraphQueryOptions, GraphOptions, auth, policies, types, tracker, metrics, Host } from 'cassandra-driver';
import * as tls from 'tls';

const full: ClientOptions = {
  contactPoints: ['10.0.0.1', '10.0.0.2:9042'],
  localDataCenter: 'dc1',
  keyspace: 'ks',
  authProvider: new auth.PlainTextAuthProvider('cassandra', 'cassandra'),
  credentials: { username: 'u', password: 'p' },
  encoding: { map: Map, set: Set, copyBuffer: true, useUndefinedAsUnset: true, useBigIntAsLong: true, useBigIntAsVarint: true },
  isMetadataSyncEnabled: true,
  maxPrepared: 500,
  metrics: new metrics.DefaultMetrics(),
  policies: {
    addressResolution: policies.defaultAddressTranslator(),
    loadBalancing: new policies.loadBalancing.DCAwareRoundRobinPolicy('dc1'),
    reconnection: new policies.reconnection.ConstantReconnectionPolicy(1000),
    retry: new policies.retry.RetryPolicy(),
    speculativeExecution: new policies.speculativeExecution.ConstantSpeculativeExecutionPolicy(100, 2),
    timestampGeneration: new policies.timestampGeneration.MonotonicTimestampGenerator(1000, 1000),
  },
  pooling: { coreConnectionsPerHost: { [types.distance.local]: 2, [types.distance.remote]: 1 }, heartBeatInterval: 30000, maxRequestsPerConnection: 2048, warmup: true },
  prepareOnAllHosts: true,
  profiles: [new ExecutionProfile('default', { consistency: types.consistencies.localQuorum })],
  protocolOptions: { maxSchemaAgreementWaitSeconds: 10, maxVersion: 4, noCompact: false, port: 9042 },
  queryOptions: { consistency: types.consistencies.one, prepare: true, fetchSize: 1000 },
  refreshSchemaDelay: 1000,
  rePrepareOnUp: true,
  requestTracker: new tracker.RequestLogger({ slowThreshold: 1000 }),
  socketOptions: { coalescingThreshold: 8000, connectTimeout: 5000, defunctReadTimeoutThreshold: 64, keepAlive: true, keepAliveDelay: 0, readTimeout: 12000, tcpNoDelay: true },
  sslOptions: { rejectUnauthorized: true, ca: [Buffer.from('')] } as tls.ConnectionOptions,
};

const withPromiseFactory: ClientOptions = {
  contactPoints: ['h'],
  promiseFactory: (handler) => new Promise((resolve, reject) => handler((err, result) => (err ? reject(err) : resolve(result)))),
};

const cloud: ClientOptions = { cloud: { secureConnectBundle: new URL('file:///bundle.zip') }, credentials: { username: 'u', password: 'p' } };
const profiled: ClientOptions = { contactPoints: ['h'], localDataCenter: 'dc1', profiles: [new ExecutionProfile('a', {}), new ExecutionProfile('b', { readTimeout: 1 })] };
const dse: DseClientOptions = { contactPoints: ['h'], localDataCenter: 'dc1', applicationName: 'app', applicationVersion: '1.0', id: types.Uuid.random(), monitorReporting: { enabled: false } };

const query: QueryOptions = {
  autoPage: true,
  captureStackTrace: false,
  consistency: types.consistencies.quorum,
  counter: false,
  customPayload: { k: Buffer.from('v') },
  executionProfile: 'default',
  fetchSize: 100,
  hints: ['int', 'text'],
  isIdempotent: true,
  keyspace: 'ks',
  logged: true,
  pageState: 'abcd',
  prepare: true,
  readTimeout: 1000,
  retry: new policies.retry.IdempotenceAwareRetryPolicy(new policies.retry.RetryPolicy()),
  routingIndexes: [0],
  routingKey: Buffer.from([1]),
  routingNames: ['id'],
  serialConsistency: types.consistencies.localSerial,
  timestamp: types.Long.fromNumber(Date.now() * 1000),
  traceQuery: false,
};
const query2: QueryOptions = { hints: [['int'], ['list<text>']], pageState: Buffer.alloc(0), timestamp: Date.now() * 1000, routingKey: [Buffer.from([1]), Buffer.from([2])] };
const withHost = (host: Host): QueryOptions => ({ host, consistency: 1 });

function useExecutionOptions(o: ExecutionOptions): void {
  const capture: boolean = o.getCaptureStackTrace();
  const cl: types.consistencies = o.getConsistency();
  const payload: { [key: string]: any } = o.getCustomPayload();
  const fetch: number = o.getFetchSize();
  const host: Host = o.getFixedHost();
  const hints: string[] | string[][] = o.getHints(); // kept: hints may be type objects ({ code, info }) as well as names, which cassandra-driver also accepts at run time; its declaration omits them
  const flags: boolean[] = [o.isAutoPage(), o.isBatchCounter(), o.isBatchLogged(), o.isIdempotent(), o.isPrepared(), o.isQueryTracing()];
  const ks: string = o.getKeyspace();
  const lbp: policies.loadBalancing.LoadBalancingPolicy = o.getLoadBalancingPolicy();
  const ps: Buffer = o.getPageState();
  const raw: QueryOptions = o.getRawQueryOptions();
  const rt: number = o.getReadTimeout();
  const rp: policies.retry.RetryPolicy = o.getRetryPolicy();
  const rk: Buffer | Buffer[] = o.getRoutingKey();
  const scl: types.consistencies = o.getSerialConsistency();
  const ts: number | types.Long | undefined | null = o.getTimestamp();
  o.setHints(['int']);
  console.log(capture, cl, payload, fetch, host, hints, flags, ks, lbp, ps, raw, rt, rp, rk, scl, ts);
  if (o.getConsistency() === types.consistencies.localOne) console.log(types.consistencies[o.getConsistency()]);
}

const profile = new ExecutionProfile('oltp', {
  consistency: types.consistencies.localQuorum,
  loadBalancing: new policies.loadBalancing.TokenAwarePolicy(new policies.loadBalancing.DCAwareRoundRobinPolicy('dc1')),
  readTimeout: 2000,
  retry: new policies.retry.RetryPolicy(),
  serialConsistency: types.consistencies.serial,
});
const profile2 = new ExecutionProfile('graph', { graphOptions: { name: 'g', language: 'gremlin-groovy', source: 'g', readConsistency: types.consistencies.one, writeConsistency: types.consistencies.one } });
const cl: types.consistencies | undefined = profile.serialConsistency;
const lb: policies.loadBalancing.LoadBalancingPolicy | undefined = profile.loadBalancing;
const rp: policies.retry.RetryPolicy | undefined = profile.retry;
const go = profile2.graphOptions;

const gq: GraphQueryOptions = { graphName: 'g', graphLanguage: 'gremlin-groovy', graphReadConsistency: types.consistencies.one, graphSource: 'g', graphWriteConsistency: types.consistencies.quorum };
const gopts: GraphOptions = { language: 'x', name: 'g', readConsistency: types.consistencies.one, readTimeout: 1, source: 'g', writeConsistency: types.consistencies.one };

const c = new Client(full);
const c2 = new Client(dse);
export { cloud, profiled, full, withPromiseFactory, query, query2, withHost, useExecutionOptions, cl, lb, rp, go, gq, gopts, c, c2 };
