/** A snapshot of the client's hosts and load (cassandra-driver `lib/metadata/client-state.js`). */
import type { Engine } from './engine/engine';
import type { Host } from './host';

interface StateSource {
  hosts: { values(): Host[] };
  options: { pooling: { coreConnectionsPerHost?: Record<number, number> } };
}

export class ClientState {
  private constructor(
    private readonly hosts: Host[],
    private readonly openConnections: Record<string, number>,
    private readonly inFlightQueries: Record<string, number>,
  ) {}

  /** The engine reports connections and in-flight requests in total; they are spread over the up hosts. */
  static from(client: StateSource, engine: Engine | null): ClientState {
    const connected = client.hosts.values().filter((h) => h.isUp());
    const perHost = client.options.pooling.coreConnectionsPerHost?.[0] ?? 1;
    const open: Record<string, number> = {};
    const inFlight: Record<string, number> = {};
    const total = engine !== null ? engine.inFlight : 0;
    for (const h of connected) {
      open[h.address] = engine !== null && engine.connected ? perHost : 0;
      inFlight[h.address] = connected.length > 0 ? Math.round(total / connected.length) : 0;
    }
    return new ClientState(connected, open, inFlight);
  }

  getConnectedHosts(): Host[] {
    return this.hosts;
  }

  getOpenConnections(host: Host): number {
    return this.openConnections[host.address] ?? 0;
  }

  getInFlightQueries(host: Host): number {
    return this.inFlightQueries[host.address] ?? 0;
  }

  toString(): string {
    return `{"hosts": ${JSON.stringify(this.hosts.map((h) => h.address))}, "openConnections": ${JSON.stringify(this.openConnections)}, "inFlightQueries": ${JSON.stringify(this.inFlightQueries)}}`;
  }
}
