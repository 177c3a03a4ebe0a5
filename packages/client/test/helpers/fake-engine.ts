// The part every fake engine of the client's unit tests shares: nothing to connect, nothing sent to all hosts,
// schema always in agreement. Each test's engine extends it with its own send (and what else it observes).
import { EventEmitter } from 'node:events';
import type { Engine, EngineHost, EngineAnswer } from '../../src/engine/engine';
import type { EngineRequest } from '../../src/engine/request';

/** `n` up hosts 10.0.0.1.. in dc1. */
export function fakeHosts(n: number, cassandraVersion: string | null = '5.0.2'): EngineHost[] {
  return Array.from({ length: n }, (_x, i) => ({
    address: `10.0.0.${i + 1}:9042`,
    datacenter: 'dc1',
    rack: 'r1',
    hostId: null,
    cassandraVersion,
    tokens: [],
    up: true,
  }));
}

export abstract class FakeEngineBase extends EventEmitter implements Engine {
  connected = false;
  protocolVersion = 4;
  inFlight = 0;
  hosts: EngineHost[] = fakeHosts(2);

  async connect(): Promise<void> {
    this.connected = true;
  }
  abstract send(req: EngineRequest): Promise<EngineAnswer>;
  hostsEpoch = 0;
  /** Every host in index order, kept in the request as the engines keep theirs (routing/router.ts). */
  queryPlan(req: EngineRequest): number[] {
    if (req.plan === null) {
      req.plan = this.hosts.map((_h, i) => i);
      req.planNext = 0;
    }
    return req.plan;
  }
  async sendToAllHosts(): Promise<Array<EngineAnswer | Error>> {
    return [];
  }
  async setKeyspace(_keyspace: string): Promise<void> {}
  async waitForSchemaAgreement(): Promise<boolean> {
    return true;
  }
  async checkSchemaAgreement(): Promise<boolean> {
    return true;
  }
  async shutdown(): Promise<void> {}
}
