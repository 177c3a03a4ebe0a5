// The `policies` namespace: defaults, every built-in policy, and custom policies written as subclasses or as
// objects implementing the interfaces.
import { policies, types, Client, Host, HostMap, ExecutionOptions, EmptyCallback } from 'cassandra-driver';
import LoadBalancingPolicy = policies.loadBalancing.LoadBalancingPolicy;
import RetryPolicy = policies.retry.RetryPolicy;

const defaults = {
  addressResolution: policies.defaultAddressTranslator(),
  loadBalancing: policies.defaultLoadBalancingPolicy(),
  loadBalancingDc: policies.defaultLoadBalancingPolicy('dc1'),
  reconnection: policies.defaultReconnectionPolicy(),
  retry: policies.defaultRetryPolicy(),
  speculativeExecution: policies.defaultSpeculativeExecutionPolicy(),
  timestampGeneration: policies.defaultTimestampGenerator(),
};
const at: policies.addressResolution.AddressTranslator = defaults.addressResolution;
const ec2: policies.addressResolution.AddressTranslator = new policies.addressResolution.EC2MultiRegionTranslator();
ec2.translate('10.0.0.1', 9042, (err: Error, address: string) => console.log(err, address)); // kept: the callback receives the endpoint only (as cassandra-driver's does); its `Function` declaration lets a two-parameter callback compile and get the endpoint as `err`
const myTranslator: policies.addressResolution.AddressTranslator = {
  translate(address: string, port: number, callback: Function): void {
    callback(null, `${address}:${port}`);
  },
};

const lbps: LoadBalancingPolicy[] = [
  new policies.loadBalancing.DCAwareRoundRobinPolicy('dc1'),
  new policies.loadBalancing.TokenAwarePolicy(new policies.loadBalancing.RoundRobinPolicy()),
  new policies.loadBalancing.AllowListPolicy(new policies.loadBalancing.RoundRobinPolicy(), ['10.0.0.1:9042']),
  new policies.loadBalancing.WhiteListPolicy(new policies.loadBalancing.RoundRobinPolicy(), ['10.0.0.1:9042']),
  new policies.loadBalancing.DefaultLoadBalancingPolicy(),
  new policies.loadBalancing.DefaultLoadBalancingPolicy({ localDc: 'dc1', filter: (h: Host) => h.datacenter === 'dc1' }),
  defaults.loadBalancing,
];
function useLbp(p: LoadBalancingPolicy, client: Client, hosts: HostMap, host: Host, eo: ExecutionOptions): void {
  p.init(client, hosts, (err) => console.log(err));
  const dist: types.distance = p.getDistance(host);
  if (dist === types.distance.ignored) console.log('ignored');
  p.newQueryPlan('ks', eo, (err: Error, it: Iterator<Host>) => {
    for (let r = it.next(); !r.done; r = it.next()) console.log(r.value.address);
  });
  p.newQueryPlan('ks', eo, (err, it) => console.log(err, it.next().value));
  const o: Map<string, object> = p.getOptions(); // kept: option values are strings, numbers and booleans (as in cassandra-driver, which declares them object)
  console.log(o);
}
class LocalOnly extends LoadBalancingPolicy { // kept: the base class declares the state init() sets (protected `client` and `hosts`, public `localDc`; cassandra-driver sets this.hosts too, undeclared): a subclass may redeclare them protected or public, not private
  private hosts: HostMap | null = null;
  init(client: Client, hosts: HostMap, callback: EmptyCallback): void {
    this.hosts = hosts;
    callback(null as unknown as Error);
  }
  getDistance(host: Host): types.distance {
    return host.datacenter === 'dc1' ? types.distance.local : types.distance.ignored;
  }
  newQueryPlan(keyspace: string, executionOptions: ExecutionOptions, callback: (error: Error, iterator: Iterator<Host>) => void): void {
    const list = this.hosts ? this.hosts.values() : [];
    callback(null as unknown as Error, list[Symbol.iterator]());
  }
}
class Wrapped extends policies.loadBalancing.DCAwareRoundRobinPolicy {
  getDistance(host: Host): types.distance {
    return super.getDistance(host);
  }
}

const reconnections: policies.reconnection.ReconnectionPolicy[] = [
  new policies.reconnection.ConstantReconnectionPolicy(1000),
  new policies.reconnection.ExponentialReconnectionPolicy(1000, 60000),
  new policies.reconnection.ExponentialReconnectionPolicy(1000, 60000, true),
];
for (const r of reconnections) {
  const schedule: Iterator<number> = r.newSchedule();
  const next: number = schedule.next().value;
  console.log(next, r.getOptions().get('delay'));
}
const myReconnection: policies.reconnection.ReconnectionPolicy = {
  getOptions: () => new Map<string, object>(),
  *newSchedule() {
    for (;;) yield 1000;
  },
};

const retries: RetryPolicy[] = [
  new RetryPolicy(),
  new policies.retry.IdempotenceAwareRetryPolicy(new RetryPolicy()),
  new policies.retry.FallthroughRetryPolicy(),
];
class MyRetry extends RetryPolicy {
  onReadTimeout(info: policies.retry.OperationInfo, consistency: types.consistencies, received: number, blockFor: number, isDataPresent: boolean): policies.retry.DecisionInfo {
    if (info.nbRetry > 1) return this.rethrowResult();
    return received >= blockFor && !isDataPresent ? this.retryResult(consistency, true) : this.rethrowResult();
  }
  onUnavailable(info: policies.retry.OperationInfo, consistency: types.consistencies, required: number, alive: boolean): policies.retry.DecisionInfo { // kept: alive is the number of live replicas in both drivers (cassandra-driver declares boolean)
    return this.retryResult(types.consistencies.one);
  }
  onWriteTimeout(info: policies.retry.OperationInfo, consistency: types.consistencies, received: number, blockFor: number, writeType: string): policies.retry.DecisionInfo {
    console.log(info.query, info.executionOptions.isIdempotent(), writeType);
    return super.onWriteTimeout(info, consistency, received, blockFor, writeType);
  }
  onRequestError(info: policies.retry.OperationInfo, consistency: types.consistencies, err: Error): policies.retry.DecisionInfo {
    return this.retryResult(consistency, false);
  }
}
const decision: policies.retry.DecisionInfo = new MyRetry().rethrowResult();
const decisionCode: number = decision.decision;
const decisionCl: types.consistencies = decision.consistency; // kept: consistency is absent from rethrow and ignore decisions in both drivers ({ decision: 0 })
const rd: policies.retry.RetryDecision.retryDecision = policies.retry.RetryDecision.retryDecision.retry; // kept: policies.retry.RetryDecision is undefined at run time in cassandra-driver too (TypeError there); use RetryPolicy.retryDecision
const rdIgnore: number = policies.retry.RetryDecision.retryDecision.ignore; // kept: policies.retry.RetryDecision is undefined at run time in cassandra-driver too (TypeError there)

const seps: policies.speculativeExecution.SpeculativeExecutionPolicy[] = [
  new policies.speculativeExecution.ConstantSpeculativeExecutionPolicy(50, 2),
  new policies.speculativeExecution.NoSpeculativeExecutionPolicy(),
];
function useSep(p: policies.speculativeExecution.SpeculativeExecutionPolicy, client: Client): void {
  p.init(client);
  const plan: { nextExecution: Function } = p.newPlan('ks', 'SELECT 1');
  const plan2 = p.newPlan('ks', [{}]);
  console.log(plan.nextExecution(), plan2, p.getOptions());
  p.shutdown();
}
const mySep: policies.speculativeExecution.SpeculativeExecutionPolicy = {
  getOptions: () => new Map(),
  init: (client: Client) => undefined,
  newPlan: (keyspace: string, queryInfo: string | object[]) => ({ nextExecution: () => 100 }),
  shutdown: () => undefined,
};

const tsg = new policies.timestampGeneration.MonotonicTimestampGenerator(1000, 1000);
function useTsg(g: policies.timestampGeneration.TimestampGenerator, client: Client): void {
  const n: types.Long | number = g.next(client);
  console.log(n, tsg.getDate(), tsg.next(client));
}
const myTsg: policies.timestampGeneration.TimestampGenerator = { next: () => Date.now() * 1000 };

export {
  defaults, at, myTranslator, lbps, useLbp, LocalOnly, Wrapped, myReconnection, retries, decision, decisionCode, decisionCl, rd, rdIgnore,
  seps, useSep, mySep, useTsg, myTsg,
};
