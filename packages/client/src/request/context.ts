/**
 * What the request path needs from its client (client.ts implements it): the engine, the hosts, the options
 * and the session state. Narrow, so the request modules do not depend on the Client class.
 */
import type { ResolvedClientOptions } from '../client-options';
import type { Engine } from '../engine/engine';
import type { HostMap } from '../host';
import type { Metadata } from '../metadata';
import type { ClientMetrics } from '../metrics/client-metrics';
import type { RequestTracker } from '../tracker/request-tracker';

export interface ClientContext {
  readonly options: ResolvedClientOptions;
  /** The session keyspace (USE sets it). */
  keyspace: string;
  readonly hosts: HostMap;
  readonly metrics: ClientMetrics;
  /** options.requestTracker, or null. */
  readonly tracker: RequestTracker | null;
  /** The engine, or NoHostAvailableError when not connected (or shut down). */
  requireEngine(): Engine;
  getEngine(): Engine | null;
  log(level: string, message: string, furtherInfo?: unknown): void;
  /** After DDL: whether every up node reports the same schema version (bounded wait). */
  waitForSchemaAgreement(): Promise<boolean>;
  readonly metadata: Pick<Metadata, 'onSchemaChange'>;
}

/** The address of the host at `hostIndex` of the engine's hosts, else 'unknown'. */
export function addressOf(engine: Engine | null, hostIndex: number): string {
  const hosts = engine?.hosts;
  const h = hosts !== undefined && hostIndex >= 0 && hostIndex < hosts.length ? hosts[hostIndex] : undefined;
  return h !== undefined ? h.address : 'unknown';
}

/** The index of the host with that address, else -1. */
export function indexOf(hosts: HostMap, address: string): number {
  const h = hosts.get(address);
  return h !== undefined ? h.index : -1;
}
