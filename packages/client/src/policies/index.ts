/** The `policies` namespace of cassandra-driver (`lib/policies/index.js`). */
import * as addressResolution from './address-resolution';
import * as loadBalancing from './load-balancing';
import * as reconnection from './reconnection';
import * as retry from './retry';
import * as speculativeExecution from './speculative-execution';
import * as timestampGeneration from './timestamp-generation';

export { addressResolution, loadBalancing, reconnection, retry, speculativeExecution, timestampGeneration };

export function defaultAddressTranslator(): addressResolution.AddressTranslator {
  return new addressResolution.AddressTranslator();
}
export function defaultLoadBalancingPolicy(localDc?: string): loadBalancing.LoadBalancingPolicy {
  return new loadBalancing.DefaultLoadBalancingPolicy(localDc);
}
export function defaultRetryPolicy(): retry.RetryPolicy {
  return new retry.RetryPolicy();
}
export function defaultReconnectionPolicy(): reconnection.ReconnectionPolicy {
  return new reconnection.ExponentialReconnectionPolicy(1000, 10 * 60 * 1000, false);
}
export function defaultSpeculativeExecutionPolicy(): speculativeExecution.SpeculativeExecutionPolicy {
  return new speculativeExecution.NoSpeculativeExecutionPolicy();
}
export function defaultTimestampGenerator(): timestampGeneration.TimestampGenerator {
  return new timestampGeneration.MonotonicTimestampGenerator();
}
