/**
 * Load-balancing policies with cassandra-driver's API (`lib/policies/load-balancing.js`). In shardcql the engine
 * routes each request (token -> replica -> shard worker); these classes keep the public API (init, getDistance,
 * newQueryPlan, getOptions) and record the options the engine needs (local data center, token awareness,
 * allow list), read by client-options.ts `toEngineOptions`.
 */
import { ArgumentError } from '@shardcql/core';
import type { Host, HostMap } from '../host';
import { localDcError } from './local-dc';
import type { ExecutionOptions } from '../execution-options';

/** types.distance */
const distance = { local: 0, remote: 1, ignored: 2 } as const;

interface ClientLike {
  options?: { localDataCenter?: string };
  log?(level: string, message: string): void;
}

/**
 * The local DC: the policy's own, else the client's `localDataCenter`; it must be one of the hosts' DCs
 * (cassandra-driver throws the same ArgumentErrors, even with a single data center).
 */
function setLocalDc(lbp: LoadBalancingPolicy, client: unknown, hosts: HostMap): void {
  const c = client as ClientLike | null;
  if (c && c.options) {
    if (lbp.localDc && !c.options.localDataCenter) {
      c.log?.(
        'info',
        `Local data center '${lbp.localDc}' was provided as an argument to the load-balancing policy. ` +
          "It is preferable to specify the local data center using 'localDataCenter' in Client options instead when " +
          'your application is targeting a single data center.',
      );
    }
    lbp.localDc = lbp.localDc || c.options.localDataCenter || null;
  }
  const err = localDcError(lbp.localDc, new Set(hosts.values().map((h) => h.datacenter)));
  if (err !== null) throw err;
}

/**
 * As cassandra-driver declares it, so a policy's caller may pass `(err: Error, it: Iterator<Host>) => ...`;
 * it is called with a null error on success and no iterator on error (PlanCallback).
 */
export type QueryPlanCallback = (error: Error, iterator: Iterator<Host>) => void;

/** How the policies call it (a cast, no wrapper: the calls are unchanged). */
type PlanCallback = (err: Error | null | undefined, iterator: Iterator<Host> | null | undefined) => void;

export class LoadBalancingPolicy {
  protected client: unknown = null;
  protected hosts: HostMap | null = null;
  /** The local data center the engine should prefer, when the policy knows it. */
  localDc: string | null = null;

  init(client: unknown, hosts: HostMap, callback: (err?: Error | null) => void): void {
    this.client = client;
    this.hosts = hosts;
    callback();
  }

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- cassandra-driver's signature: the parameters are for subclasses (their names show in the .d.ts)
  getDistance(host: Host): number {
    return distance.local;
  }

  newQueryPlan(keyspace: string | null, executionOptions: ExecutionOptions | null, callback: QueryPlanCallback): void {
    (callback as PlanCallback)(new Error('You must implement a query plan for the LoadBalancingPolicy class'), null);
  }

  getOptions(): Map<string, unknown> {
    return new Map();
  }
}

export class RoundRobinPolicy extends LoadBalancingPolicy {
  private index = 0;

  override newQueryPlan(keyspace: string | null, executionOptions: ExecutionOptions | null, callback: QueryPlanCallback): void {
    const hosts = this.hosts ? this.hosts.values() : [];
    const start = this.index++ % Math.max(1, hosts.length);
    const plan: Host[] = [];
    for (let i = 0; i < hosts.length; i++) plan.push(hosts[(start + i) % hosts.length]!);
    (callback as PlanCallback)(null, plan[Symbol.iterator]());
  }
}

export class DCAwareRoundRobinPolicy extends LoadBalancingPolicy {
  private index = 0;

  constructor(localDc?: string, usedHostsPerRemoteDc?: number) {
    super();
    this.localDc = localDc ?? null;
    if (usedHostsPerRemoteDc) throw new ArgumentError('usedHostsPerRemoteDc is deprecated and not supported');
  }

  override init(client: unknown, hosts: HostMap, callback: (err?: Error | null) => void): void {
    this.client = client;
    this.hosts = hosts;
    setLocalDc(this, client, hosts);
    callback();
  }

  override getDistance(host: Host): number {
    return host.datacenter === this.localDc ? distance.local : distance.remote;
  }

  override newQueryPlan(keyspace: string | null, executionOptions: ExecutionOptions | null, callback: QueryPlanCallback): void {
    const all = this.hosts ? this.hosts.values() : [];
    const local = all.filter((h) => this.getDistance(h) === distance.local && h.isUp());
    const start = this.index++ % Math.max(1, local.length);
    const plan: Host[] = [];
    for (let i = 0; i < local.length; i++) plan.push(local[(start + i) % local.length]!);
    (callback as PlanCallback)(null, plan[Symbol.iterator]());
  }

  override getOptions(): Map<string, unknown> {
    return new Map<string, unknown>([['localDataCenter', this.localDc]]);
  }
}

/** Replicas of the request's token first; the engine does this with its token ring (routing/token-ring). */
export class TokenAwarePolicy extends LoadBalancingPolicy {
  constructor(readonly childPolicy: LoadBalancingPolicy) {
    super();
    if (!childPolicy) throw new Error('You must specify a child load balancing policy');
    this.localDc = childPolicy.localDc;
  }

  override init(client: unknown, hosts: HostMap, callback: (err?: Error | null) => void): void {
    this.client = client;
    this.hosts = hosts;
    this.childPolicy.init(client, hosts, (err) => {
      this.localDc = this.childPolicy.localDc;
      callback(err);
    });
  }

  override getDistance(host: Host): number {
    return this.childPolicy.getDistance(host);
  }

  override newQueryPlan(keyspace: string | null, executionOptions: ExecutionOptions | null, callback: QueryPlanCallback): void {
    this.childPolicy.newQueryPlan(keyspace, executionOptions, callback);
  }

  override getOptions(): Map<string, unknown> {
    return new Map<string, unknown>([['childPolicy', this.childPolicy.constructor.name]]);
  }
}

export class AllowListPolicy extends LoadBalancingPolicy {
  private readonly allowList: Set<string>;

  constructor(
    readonly childPolicy: LoadBalancingPolicy,
    allowList: string[],
  ) {
    super();
    if (!Array.isArray(allowList)) throw new Error('You must specify the list of allowed hosts as an Array');
    this.allowList = new Set(allowList);
    this.localDc = childPolicy.localDc;
  }

  override init(client: unknown, hosts: HostMap, callback: (err?: Error | null) => void): void {
    this.client = client;
    this.hosts = hosts;
    this.childPolicy.init(client, hosts, (err) => {
      this.localDc = this.childPolicy.localDc;
      callback(err);
    });
  }

  override getDistance(host: Host): number {
    return this.allowList.has(host.address) ? this.childPolicy.getDistance(host) : distance.ignored;
  }

  override newQueryPlan(keyspace: string | null, executionOptions: ExecutionOptions | null, callback: QueryPlanCallback): void {
    this.childPolicy.newQueryPlan(keyspace, executionOptions, (err, iterator) => {
      if (err || !iterator) return (callback as PlanCallback)(err, iterator);
      const plan: Host[] = [];
      for (let r = iterator.next(); !r.done; r = iterator.next()) if (this.allowList.has(r.value.address)) plan.push(r.value);
      (callback as PlanCallback)(null, plan[Symbol.iterator]());
    });
  }

  override getOptions(): Map<string, unknown> {
    return new Map<string, unknown>([
      ['childPolicy', this.childPolicy.constructor.name],
      ['allowList', [...this.allowList]],
    ]);
  }
}

/** Deprecated name of AllowListPolicy. */
export class WhiteListPolicy extends AllowListPolicy {
  constructor(childPolicy: LoadBalancingPolicy, whiteList: string[]) {
    super(childPolicy, whiteList);
  }
}

/** Token-aware, DC-aware, with an optional host filter (cassandra-driver 4.x default). */
export class DefaultLoadBalancingPolicy extends LoadBalancingPolicy {
  private readonly filter: ((host: Host) => boolean) | null;
  private readonly dcPolicy: DCAwareRoundRobinPolicy;

  constructor(options?: string | { localDc?: string; filter?: (host: Host) => boolean }) {
    super();
    const opts = typeof options === 'string' ? { localDc: options } : (options ?? {});
    this.localDc = opts.localDc ?? null;
    this.filter = opts.filter ?? null;
    this.dcPolicy = new DCAwareRoundRobinPolicy(opts.localDc);
  }

  override init(client: unknown, hosts: HostMap, callback: (err?: Error | null) => void): void {
    this.client = client;
    this.hosts = hosts;
    this.dcPolicy.init(client, hosts, (err) => {
      this.localDc = this.dcPolicy.localDc;
      callback(err);
    });
  }

  override getDistance(host: Host): number {
    if (this.filter !== null && !this.filter(host)) return distance.ignored;
    return this.dcPolicy.getDistance(host);
  }

  override newQueryPlan(keyspace: string | null, executionOptions: ExecutionOptions | null, callback: QueryPlanCallback): void {
    // A preferred host (ExecutionOptions.setPreferredHost) goes first, then the plan without it, as in cassandra-driver.
    const preferred = executionOptions?.getPreferredHost();
    this.dcPolicy.newQueryPlan(keyspace, executionOptions, (err, iterator) => {
      if (err || !iterator || (this.filter === null && preferred === undefined)) return (callback as PlanCallback)(err, iterator);
      const plan: Host[] = preferred !== undefined ? [preferred] : [];
      for (let r = iterator.next(); !r.done; r = iterator.next()) {
        if (r.value !== preferred && (this.filter === null || this.filter(r.value))) plan.push(r.value);
      }
      (callback as PlanCallback)(null, plan[Symbol.iterator]());
    });
  }

  override getOptions(): Map<string, unknown> {
    return new Map<string, unknown>([
      ['localDataCenter', this.localDc],
      ['filterFunction', this.filter !== null],
    ]);
  }
}
