/**
 * Network faults with Shopify Toxiproxy between shardcql and the real Cassandra (127.0.0.1:9042, started by
 * `npm test`): a steady prepared load (non-idempotent counter increments and reads, 64 in flight) runs
 * through each toxic; every promise must settle, no write may be applied twice, and throughput must come
 * back after the fault ends. The figures go to .cache/chaos/toxiproxy.json (and docs/RELIABILITY.md with
 * SHARDCQL_CHAOS_DOCS=1).
 *
 * Short form by default (2 s of fault); SHARDCQL_CHAOS_SECONDS=30 for the full form. Every toxic runs in both
 * directions (server -> client, then client -> server); SHARDCQL_CHAOS_ONLY=latency_up,disabled picks scenarios.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@shardcql/client';
import { freePort } from '../../scripts/toxiproxy.mjs';
import { startToxiproxy, type Api, type Toxiproxy } from './toxiproxy-client';
import { SteadyLoad, checkWrites, dropSchema, ensureSchema } from './load';
import { record, writeReliabilityTable } from './report';

const UPSTREAM = process.env['SHARDCQL_TEST_UPSTREAM'] ?? '127.0.0.1:9042';
const PROTOCOL = Number(process.env['SHARDCQL_CHAOS_PROTOCOL'] ?? 5) === 4 ? 4 : 5;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fault {
  name: string;
  fault: string;
  apply(api: Api, proxy: string): Promise<void>;
  clear(api: Api, proxy: string): Promise<void>;
  /** No request may succeed while the fault is on (the node is unreachable). */
  blackout?: boolean;
  /** The fault must cost requests (it cuts or stalls connections): proves it hit. */
  cuts?: boolean;
}

const toxic = (
  type: string,
  attributes: Record<string, number>,
  stream: 'downstream' | 'upstream' = 'downstream',
): Pick<Fault, 'apply' | 'clear'> => ({
  apply: async (api, proxy) => {
    await api.addToxic(proxy, { name: `t_${type}_${stream}`, type, stream, attributes });
  },
  clear: async (api, proxy) => {
    await api.removeToxic(proxy, `t_${type}_${stream}`);
  },
});

/**
 * Each toxic in both directions: downstream (server -> client: answers delayed, throttled, cut) and upstream
 * (client -> server: requests delayed, throttled, cut before the server sees them). An upstream cut loses
 * requests the server never got; a downstream cut loses answers to requests it may have applied.
 */
const TOXICS: Array<{ name: string; fault: string; type: string; attributes: Record<string, number>; cuts?: boolean }> = [
  { name: 'latency', fault: 'latency 100 ms ± 50 ms jitter', type: 'latency', attributes: { latency: 100, jitter: 50 } },
  { name: 'bandwidth', fault: 'bandwidth 32 KB/s', type: 'bandwidth', attributes: { rate: 32 } },
  { name: 'slow_close', fault: 'slow_close 2 s', type: 'slow_close', attributes: { delay: 2000 } },
  { name: 'timeout', fault: 'black hole (timeout 0)', type: 'timeout', attributes: { timeout: 0 }, cuts: true },
  { name: 'reset_peer', fault: 'reset_peer after 500 ms', type: 'reset_peer', attributes: { timeout: 500 }, cuts: true },
  { name: 'limit_data', fault: 'limit_data 4 kB (cut mid-frame)', type: 'limit_data', attributes: { bytes: 4000 }, cuts: true },
];

const ONLY = process.env['SHARDCQL_CHAOS_ONLY'];

const ALL_FAULTS: Fault[] = [
  ...TOXICS.map((t) => ({
    name: t.name,
    fault: `${t.fault}, server -> client`,
    ...(t.cuts ? { cuts: true } : {}),
    ...toxic(t.type, t.attributes, 'downstream'),
  })),
  ...TOXICS.map((t) => ({
    name: `${t.name}_up`,
    fault: `${t.fault}, client -> server`,
    ...(t.cuts ? { cuts: true } : {}),
    ...toxic(t.type, t.attributes, 'upstream'),
  })),
  {
    name: 'disabled',
    fault: 'proxy disabled, then re-enabled',
    blackout: true,
    cuts: true,
    apply: async (api, proxy) => {
      await api.setEnabled(proxy, false);
    },
    clear: async (api, proxy) => {
      await api.setEnabled(proxy, true);
    },
  },
];
const FAULTS = ALL_FAULTS.filter((f) => ONLY === undefined || ONLY.split(',').includes(f.name));

describe(`chaos: Toxiproxy faults under steady load (protocol v${PROTOCOL})`, () => {
  let tp: Toxiproxy;
  let proxyPort = 0;

  beforeAll(async () => {
    tp = await startToxiproxy();
    await ensureSchema(UPSTREAM);
  });

  afterAll(async () => {
    await tp?.stop();
    writeReliabilityTable();
    await dropSchema(UPSTREAM);
  });

  async function withProxy(name: string, fn: (client: Client, proxy: string) => Promise<void>): Promise<void> {
    proxyPort = await freePort();
    const proxy = `cass_${name}`;
    await tp.api.createProxy(proxy, `127.0.0.1:${proxyPort}`, UPSTREAM);
    const client = new Client({
      contactPoints: [`127.0.0.1:${proxyPort}`],
      localDataCenter: 'dc1',
      protocolOptions: { maxVersion: PROTOCOL },
      socketOptions: { readTimeout: READ_TIMEOUT_MS, connectTimeout: 2000 },
      pooling: { heartBeatInterval: 1000 },
    } as ConstructorParameters<typeof Client>[0]);
    try {
      await client.connect();
      await fn(client, proxy);
    } finally {
      await client.shutdown();
      await tp.api.deleteProxy(proxy).catch(() => undefined);
    }
  }

  it('sends every connection through the proxy (single node: host 0 is the contact point)', async () => {
    await withProxy('route', async (client) => {
      const hosts = client.hosts.values().map((h: { address: string }) => h.address);
      expect(hosts).toEqual([`127.0.0.1:${proxyPort}`]);
      const rs = await client.execute("SELECT key FROM system.local WHERE key='local'");
      expect(rs.info.queriedHost).toBe(`127.0.0.1:${proxyPort}`);
    });
  });

  for (const f of FAULTS) {
    it(`${f.fault}: every promise settles, no duplicated write, throughput comes back`, async () => {
      await withProxy(f.name, async (client, proxy) => {
        const run = `${f.name}-v${PROTOCOL}-${Date.now()}`;
        const load = new SteadyLoad(client, { run, concurrency: CONCURRENCY });
        load.start();
        await sleep(BASE_MS);
        const baseline = load.throughput(500, BASE_MS);
        const faultStart = Date.now() - load.stats.startedAt;
        await f.apply(tp.api, proxy);
        // Toxiproxy's API calls take their time on a busy machine: the fault is surely on from `applied` to `clearing`.
        const applied = Date.now() - load.stats.startedAt;
        await sleep(FAULT_MS);
        const clearing = Date.now() - load.stats.startedAt;
        await f.clear(tp.api, proxy);
        const faultEnd = Date.now() - load.stats.startedAt;
        let recovery: number | null = null;
        const bound = faultEnd + RECOVER_BOUND_MS;
        while (Date.now() - load.stats.startedAt < bound) {
          await sleep(250);
          recovery = load.recoveryMs(faultEnd, baseline, Date.now() - load.stats.startedAt);
          if (recovery !== null && Date.now() - load.stats.startedAt > faultEnd + recovery + 1000) break;
        }
        const duringFault = load.throughput(faultStart + 500, faultEnd);
        const stats = await load.stop(READ_TIMEOUT_MS + 10_000);
        const writes = await checkWrites(run, load.ackedIds, UPSTREAM);
        record({
          suite: PROTOCOL === 5 ? 'toxiproxy' : 'toxiproxy-v4',
          scenario: f.name,
          fault: f.fault,
          protocol: PROTOCOL,
          concurrency: CONCURRENCY,
          faultMs: FAULT_MS,
          sent: stats.sent,
          succeeded: stats.succeeded,
          failed: stats.failed,
          errors: stats.errors,
          retried: stats.retried,
          lost: stats.lost,
          duplicated: writes.duplicated,
          ackedMissing: writes.ackedMissing,
          baselineOpsPerSec: baseline,
          recoveryMs: recovery,
          notes: `during the fault ${Math.round(duringFault)} ops/s`,
          samples: stats.samples,
          at: new Date().toISOString(),
        });

        console.log(
          `[chaos] ${f.name}: baseline ${Math.round(baseline)} ops/s, during ${Math.round(duringFault)}, recovery ${recovery} ms`,
          stats.errors,
          stats.samples,
          writes,
        );
        expect(stats.lost).toBe(0);
        expect(writes.duplicated).toBe(0);
        expect(writes.ackedMissing).toBe(0);
        expect(stats.sent).toBe(stats.succeeded + stats.failed);
        for (const k of Object.keys(stats.errors)) expect(TYPED, `untyped error ${k}: ${stats.samples[k]}`).toContain(k);
        expect(recovery, 'throughput back to 80% of the baseline').not.toBeNull();
        if (f.blackout) expect(load.throughput(applied + 500, clearing)).toBe(0);
        if (f.cuts) expect(stats.failed).toBeGreaterThan(0);
      });
    });
  }
});
