/**
 * A fault on one node of three: the ScyllaDB simulator (test/simulator -nodes 3 -shards 2, nodes on
 * 127.0.0.41-43, protocol v4) with one Toxiproxy proxy in front of each node, a steady prepared load
 * (64 lanes, INSERT non-idempotent / SELECT idempotent on benchks.benchtab), and a fault on node 2's proxy
 * only (127.0.0.42: not the control connection's node). Checked: every promise settles; the other nodes keep
 * serving during the fault; the faulted node is marked down (hostDown) and back up (hostUp) after the fault
 * ends; throughput comes back to 80% of the baseline. One more scenario disables the control connection's node
 * (127.0.0.41): the control connection moves to another node, whose system.peers names the proxies too.
 *
 * Routing every connection through the proxies: the simulator in ScyllaDB mode answers system.peers_v2
 * with an error (ScyllaDB has none), so the client reads system.peers, which has no port column: peers are
 * dialled at the client's `protocolOptions.port`. The stub listens on port P of each node address, the
 * proxies on port Q of the same addresses, and the client is given port Q: the advertised addresses are
 * the proxies'. Checked by the first test (every host is ip:Q, and every host answers).
 *
 * Short form by default (2 s of fault); SHARDCQL_CHAOS_SECONDS=30 for the full form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@shardcql/client';
import { startStub, type StubProcess } from '../simulator/stub';
import { freePort } from '../../scripts/toxiproxy.mjs';
import { startToxiproxy, type Api, type Toxiproxy } from './toxiproxy-client';
import { SteadyLoad } from './load';
import { record, writeReliabilityTable } from './report';

const IPS = ['127.0.0.41', '127.0.0.42', '127.0.0.43'];
/** The faulted node unless a fault names another: node 2, not the control connection's. */
const VICTIM = 1;
const FAULT_MS = Number(process.env['SHARDCQL_CHAOS_SECONDS'] ?? 2) * 1000;
const BASE_MS = 2000;
const RECOVER_BOUND_MS = 20_000;
const READ_TIMEOUT_MS = 2000;
const CONCURRENCY = Number(process.env['SHARDCQL_CHAOS_CONCURRENCY'] ?? 64);
const TYPED = new Set([
  'OperationTimedOutError',
  'NoHostAvailableError',
  'DriverError',
  'DriverInternalError',
  'BusyConnectionError',
  'ResponseError',
]);
const STATEMENTS = {
  write: 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)',
  read: 'SELECT pk, v1, v2 FROM benchks.benchtab WHERE pk = ?',
  writeParams: (id: number) => [id, id, id],
  readParams: (id: number) => [id],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fault {
  name: string;
  fault: string;
  /**
   * Shortest fault: a black hole is only noticed after the request timeout (every lane of a closed-loop
   * load ends up waiting on the silent node), so it must last past that to show the others serving.
   */
  minFaultMs?: number;
  /** Index in IPS of the node to fault (default VICTIM). */
  victim?: number;
  apply(api: Api, proxy: string): Promise<void>;
  clear(api: Api, proxy: string): Promise<void>;
}

const ALL_FAULTS: Fault[] = [
  {
    name: 'disabled',
    fault: 'one node of 3: proxy disabled, then re-enabled',
    apply: (api, proxy) => api.setEnabled(proxy, false).then(() => undefined),
    clear: (api, proxy) => api.setEnabled(proxy, true).then(() => undefined),
  },
  {
    name: 'timeout',
    fault: 'one node of 3: black hole (timeout 0, both directions)',
    minFaultMs: READ_TIMEOUT_MS + 3000,
    apply: async (api, proxy) => {
      await api.addToxic(proxy, { name: 'bh_down', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
      await api.addToxic(proxy, { name: 'bh_up', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    },
    clear: async (api, proxy) => {
      await api.removeToxic(proxy, 'bh_down');
      await api.removeToxic(proxy, 'bh_up');
    },
  },
  {
    name: 'control_disabled',
    fault: "one node of 3, the control connection's: proxy disabled, then re-enabled",
    victim: 0,
    apply: (api, proxy) => api.setEnabled(proxy, false).then(() => undefined),
    clear: (api, proxy) => api.setEnabled(proxy, true).then(() => undefined),
  },
  {
    name: 'reset_peer',
    fault: 'one node of 3: reset_peer after 500 ms',
    apply: (api, proxy) =>
      api.addToxic(proxy, { name: 'rst', type: 'reset_peer', stream: 'downstream', attributes: { timeout: 500 } }).then(() => undefined),
    clear: (api, proxy) => api.removeToxic(proxy, 'rst').then(() => undefined),
  },
];
const ONLY = process.env['SHARDCQL_CHAOS_ONLY'];
const FAULTS = ALL_FAULTS.filter((f) => ONLY === undefined || ONLY.split(',').includes(f.name));

/** Answers received per host address, from the shared-memory shard metrics. */
function responsesByHost(client: Client): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of client.getShardMetrics()) m.set(x.host, (m.get(x.host) ?? 0) + x.responses);
  return m;
}

describe('chaos: a fault on one node of three (ScyllaDB simulator behind one Toxiproxy per node)', () => {
  let tp: Toxiproxy;
  let stub: StubProcess;
  let port = 0;
  const proxies: string[] = [];

  beforeAll(async () => {
    tp = await startToxiproxy();
    stub = await startStub({ host: IPS[0]!, port: 0, shards: 2, extraArgs: ['-nodes', String(IPS.length), '-tokens', '8'] });
    // One port Q free on all three addresses (the client dials every node at the same port).
    for (let attempt = 0; proxies.length < IPS.length && attempt < 10; attempt++) {
      for (const p of proxies.splice(0)) await tp.api.deleteProxy(p).catch(() => undefined);
      port = await freePort(IPS[0]);
      try {
        for (let i = 0; i < IPS.length; i++) {
          await tp.api.createProxy(`node${i}`, `${IPS[i]}:${port}`, `${IPS[i]}:${stub.port}`);
          proxies.push(`node${i}`);
        }
      } catch {
        /* taken on one of the addresses: another port */
      }
    }
    expect(proxies.length).toBe(IPS.length);
  });

  afterAll(async () => {
    for (const p of proxies) await tp?.api.deleteProxy(p).catch(() => undefined);
    await tp?.stop();
    await stub?.stop();
    writeReliabilityTable();
  });

  function newClient(): Client {
    return new Client({
      contactPoints: [IPS[0]!],
      localDataCenter: 'datacenter1',
      protocolOptions: { port, maxVersion: 4 },
      socketOptions: { readTimeout: READ_TIMEOUT_MS, connectTimeout: 2000 },
      pooling: { heartBeatInterval: 1000 },
    } as ConstructorParameters<typeof Client>[0]);
  }

  it('reaches every node through its proxy (system.peers addresses at the client port)', async () => {
    const client = newClient();
    try {
      await client.connect();
      const hosts = client.hosts
        .values()
        .map((h: { address: string }) => h.address)
        .sort();
      expect(hosts).toEqual(IPS.map((ip) => `${ip}:${port}`));
      const seen = new Set<string>();
      for (let i = 0; i < 300 && seen.size < IPS.length; i++) {
        const rs = await client.execute(STATEMENTS.read, [i], { prepare: true });
        seen.add(rs.info.queriedHost as string);
      }
      expect([...seen].sort()).toEqual(hosts);
    } finally {
      await client.shutdown();
    }
  });

  for (const f of FAULTS) {
    it(`${f.fault}: the others keep serving, the node goes down and comes back, every promise settles`, async () => {
      const client = newClient();
      const vi = f.victim ?? VICTIM;
      const victim = `${IPS[vi]}:${port}`;
      const events: Array<{ kind: 'down' | 'up'; host: string; atMs: number }> = [];
      let load: SteadyLoad | null = null;
      client.on('hostDown', (h: { address: string }) =>
        events.push({ kind: 'down', host: h.address, atMs: Date.now() - (load?.stats.startedAt ?? Date.now()) }),
      );
      client.on('hostUp', (h: { address: string }) =>
        events.push({ kind: 'up', host: h.address, atMs: Date.now() - (load?.stats.startedAt ?? Date.now()) }),
      );
      try {
        await client.connect();
        load = new SteadyLoad(client, { run: `nodes-${f.name}`, concurrency: CONCURRENCY, statements: STATEMENTS });
        load.start();
        await sleep(BASE_MS);
        const baseline = load.throughput(500, BASE_MS);
        const r0 = responsesByHost(client);
        const faultStart = Date.now() - load.stats.startedAt;
        await f.apply(tp.api, `node${vi}`);
        const faultMs = Math.max(FAULT_MS, f.minFaultMs ?? 0);
        await sleep(faultMs);
        const r1 = responsesByHost(client);
        await f.clear(tp.api, `node${vi}`);
        const faultEnd = Date.now() - load.stats.startedAt;
        let recovery: number | null = null;
        let upAgain: number | null = null;
        const bound = faultEnd + RECOVER_BOUND_MS;
        while (Date.now() - load.stats.startedAt < bound) {
          await sleep(250);
          recovery = load.recoveryMs(faultEnd, baseline, Date.now() - load.stats.startedAt);
          upAgain = events.find((e) => e.kind === 'up' && e.host === victim && e.atMs >= faultEnd)?.atMs ?? null;
          if (recovery !== null && upAgain !== null && Date.now() - load.stats.startedAt > Math.max(faultEnd + recovery, upAgain) + 1500)
            break;
        }
        const r2 = responsesByHost(client);
        const stats = await load.stop(READ_TIMEOUT_MS + 10_000);
        const down = events.find((e) => e.kind === 'down' && e.host === victim && e.atMs >= faultStart)?.atMs ?? null;
        const duringFault = load.throughput(faultStart + 500, faultEnd);
        // Once the node is marked down, the plans skip it: the others serve at full speed.
        const afterDown = down === null || down + 750 > faultEnd ? 0 : load.throughput(down + 250, faultEnd);
        const served = (m0: Map<string, number>, m1: Map<string, number>) =>
          IPS.map((ip) => `${ip}:${port}`).map((h) => (m1.get(h) ?? 0) - (m0.get(h) ?? 0));
        const during = served(r0, r1);
        const afterFault = served(r1, r2);
        const notes =
          `faulted ${victim}; during the fault ${Math.round(duringFault)} ops/s (${Math.round(afterDown)} once marked down), answers per node ${during.join('/')}; ` +
          `marked down ${down === null ? 'never' : `${((down - faultStart) / 1000).toFixed(2)} s after the fault began`}, ` +
          `up ${upAgain === null ? 'never' : `${((upAgain - faultEnd) / 1000).toFixed(2)} s after it ended`}; answers per node after ${afterFault.join('/')}`;
        record({
          suite: 'nodes',
          scenario: f.name,
          fault: f.fault,
          protocol: 4,
          concurrency: CONCURRENCY,
          faultMs,
          sent: stats.sent,
          succeeded: stats.succeeded,
          failed: stats.failed,
          errors: stats.errors,
          retried: stats.retried,
          lost: stats.lost,
          duplicated: null,
          ackedMissing: null,
          baselineOpsPerSec: baseline,
          recoveryMs: recovery,
          notes,
          samples: stats.samples,
          at: new Date().toISOString(),
        });

        console.log(
          `[chaos] nodes/${f.name}: baseline ${Math.round(baseline)} ops/s, recovery ${recovery} ms; ${notes}`,
          stats.errors,
          stats.samples,
          events,
        );
        expect(stats.lost).toBe(0);
        expect(stats.sent).toBe(stats.succeeded + stats.failed);
        for (const k of Object.keys(stats.errors)) expect(TYPED, `untyped error ${k}: ${stats.samples[k]}`).toContain(k);
        // The two healthy nodes kept answering while the third was faulted.
        expect(afterDown, 'throughput once the faulted node is marked down').toBeGreaterThan(0.3 * baseline);
        for (let i = 0; i < IPS.length; i++) if (i !== vi) expect(during[i], `node ${IPS[i]} answered during the fault`).toBeGreaterThan(0);
        expect(down, 'the faulted node was marked down').not.toBeNull();
        expect(upAgain, 'the faulted node was marked up again after the fault').not.toBeNull();
        expect(afterFault[vi], 'the faulted node serves again').toBeGreaterThan(0);
        expect(recovery, 'throughput back to 80% of the baseline').not.toBeNull();
        // Still every node through its proxy (a control connection that moved read the same addresses).
        expect(
          client.hosts
            .values()
            .map((h: { address: string }) => h.address)
            .sort(),
        ).toEqual(IPS.map((ip) => `${ip}:${port}`));
      } finally {
        if (load !== null) await load.stop(1000);
        await client.shutdown();
        await tp.api.reset().catch(() => undefined);
      }
    });
  }
});
