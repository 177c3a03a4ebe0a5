/**
 * A request's query plan as a list of host indexes, for speculative executions (speculative-send.ts).
 * cassandra-driver (lib/request-handler.js, request-execution.js) gives every execution of one request the next
 * host of the same plan iterator, so two executions never share a host while the plan has hosts left; the
 * plan is the token's replicas (local datacenter first), then the other hosts the load-balancing policy allows.
 *
 * Only the speculative path builds one (a small array per request); the default path picks a single host
 * without it (RoutingTable.select). The order here is the order select() tries hosts in, so the first
 * execution goes where it would have gone anyway.
 */
import type { ReplicaPlans, TokenRing } from '@shardcql/core';

/**
 * Appends to `out`, skipping hosts already in it and hosts whose `usable[h]` is not 1:
 *   1. with a token and plans: the token range's local-DC replicas from `replicaStart` (round robin; 0 for LWT:
 *      ring order, primary first), then its other replicas in ring order; with a token and only a ring: the
 *      token's owner when it is local;
 *   2. the local-DC hosts (isLocal[h] === 1, every host when `isLocal` is null) from `hostStart`;
 *   3. any other usable host.
 */
// eslint-disable-next-line max-params -- the retry and speculative path only (a plan is built lazily, never on a first try)
export function appendQueryPlan(
  out: number[],
  plans: ReplicaPlans | null,
  ring: TokenRing | null,
  isLocal: Uint8Array | null,
  tokenHi: number,
  tokenLo: number,
  hasToken: boolean,
  usable: ArrayLike<number>,
  replicaStart: number,
  hostStart: number,
): number[] {
  if (hasToken) {
    if (plans !== null && plans.size > 0) {
      const r = plans.rangeIndexOf(tokenHi, tokenLo);
      const off = plans.offsets[r]!;
      const end = plans.offsets[r + 1]!;
      const local = plans.localCounts[r]!;
      for (let k = 0; k < local; k++) add(out, plans.replicas[off + ((replicaStart + k) % local)]!, usable);
      for (let i = off + local; i < end; i++) add(out, plans.replicas[i]!, usable);
    } else if (ring !== null) {
      const h = ring.ownerIndexOf(tokenHi, tokenLo);
      if (h >= 0 && (isLocal === null || isLocal[h] === 1)) add(out, h, usable);
    }
  }
  const n = usable.length;
  for (let k = 0; k < n; k++) {
    const h = (hostStart + k) % n;
    if (isLocal === null || isLocal[h] === 1) add(out, h, usable);
  }
  for (let h = 0; h < n; h++) add(out, h, usable);
  return out;
}

function add(out: number[], h: number, usable: ArrayLike<number>): void {
  if (h >= 0 && usable[h] === 1 && !out.includes(h)) out.push(h);
}
