/**
 * The local data center checks of the built-in load-balancing policies (not re-exported: internal). The policies'
 * init() throws localDcError's errors; localDcPreflight finds them before the shard workers start (connect fails in
 * milliseconds, as cassandra-driver's does, instead of after a worker thread's start).
 */
import { ArgumentError } from '@shardcql/core';
import {
  AllowListPolicy,
  DCAwareRoundRobinPolicy,
  DefaultLoadBalancingPolicy,
  TokenAwarePolicy,
  type LoadBalancingPolicy,
} from './load-balancing';

/** cassandra-driver's words (dc-aware policy init). */
export function localDcError(localDc: string | null, dcs: ReadonlySet<string | null>): ArgumentError | null {
  if (!localDc) {
    return new ArgumentError(
      "'localDataCenter' is not defined in Client options and also was not specified in constructor. " +
        `At least one is required. Available DCs are: [${Array.from(dcs).join(',')}]`,
    );
  }
  if (!dcs.has(localDc)) return new ArgumentError(`Datacenter ${localDc} was not found. Available DCs are: [${Array.from(dcs).join(',')}]`);
  return null;
}

/**
 * The ArgumentError init() of the built-in policy `lbp` would throw with hosts in data centers `dcs`, without
 * initializing it; null for a custom policy (its init decides, after connect).
 */
export function localDcPreflight(lbp: LoadBalancingPolicy, clientLocalDc: string | null, dcs: readonly string[]): ArgumentError | null {
  if (lbp instanceof DCAwareRoundRobinPolicy) return localDcError(lbp.localDc || clientLocalDc, new Set(dcs));
  if (lbp instanceof TokenAwarePolicy || lbp instanceof AllowListPolicy) return localDcPreflight(lbp.childPolicy, clientLocalDc, dcs);
  if (lbp instanceof DefaultLoadBalancingPolicy)
    return localDcPreflight((lbp as unknown as { dcPolicy: LoadBalancingPolicy }).dcPolicy, clientLocalDc, dcs);
  return null;
}
