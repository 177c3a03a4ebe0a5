/**
 * The start of connect: the contact points resolved (as cassandra-driver does, a host given by name keeps that
 * name for TLS verification and SNI) and probed from this thread (contact-probe.ts), so that a connect bound to
 * fail does not wait for worker threads to start.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { NoHostAvailableError } from '@shardcql/core';
import { probeContactPoints, type ProbeTarget } from '../contact-probe';
import type { EngineState } from '../engine-state';

export interface ContactPoints {
  targets: ProbeTarget[];
  /** The first target that passed the probe (0 when there was no probe). */
  start: number;
  /** The failures so far, by "ip:port" (NoHostAvailableError's innerErrors). */
  inner: Record<string, Error>;
}

interface Resolved {
  cp: string;
  name: string;
  port: number;
  host: string;
  error: Error | null;
}

/** "host", "host:port" or an IPv6 address: its name, port and first address (or the lookup's error). */
async function resolveContactPoint(cp: string, defaultPort: number): Promise<Resolved> {
  const m = /^(.*):(\d+)$/.exec(cp);
  const withPort = m !== null && !cp.includes('::');
  const name = withPort ? m[1]! : cp;
  const port = withPort ? Number(m[2]) : defaultPort;
  try {
    return { cp, name, port, host: (await lookup(name)).address, error: null };
  } catch (e) {
    return { cp, name, port, host: '', error: e as Error };
  }
}

/**
 * Resolves every contact point (a name that does not resolve is left out; cassandra-driver: "No host could be
 * resolved" when none does) and records in `hostNames` the names of those given by name; then probes them,
 * unless a custom AuthProvider is set (it answers through the workers only).
 */
export async function findContactPoints(e: EngineState, hostNames: Map<string, string>): Promise<ContactPoints> {
  const o = e.options;
  const resolved = await Promise.all(o.contactPoints.map((cp) => resolveContactPoint(cp, o.port)));
  const targets: ProbeTarget[] = [];
  for (const r of resolved) {
    if (r.error !== null) {
      e.log('warning', `contact point ${r.cp} could not be resolved: ${r.error.message}`);
      continue;
    }
    if (isIP(r.name) === 0) hostNames.set(`${r.host}:${r.port}`, r.name);
    targets.push({ host: r.host, port: r.port, servername: isIP(r.name) === 0 ? r.name : null });
  }
  if (targets.length === 0) throw new NoHostAvailableError({}, 'No host could be resolved');
  let start = 0;
  const inner: Record<string, Error> = {};
  if (!e.workers.auth.remote) {
    const probed = await probeContactPoints(
      targets,
      e.workers.connOptions.probe(),
      o.requiredDataCenter ?? null,
      e.keyspace,
      o.checkDataCenters ?? null,
    );
    start = probed.first;
    Object.assign(inner, probed.innerErrors);
  }
  return { targets, start, inner };
}
