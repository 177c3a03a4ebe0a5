// Differential, "unavailable after stopping nodes" (issue 4): on three real Cassandra nodes, a keyspace with
// RF 3; two nodes are killed; cassandra-driver and shardcql run the same statements at QUORUM, ALL and ONE and
// must give the same results and error classes. The nodes are restarted afterwards.
// Runs only with SHARDCQL_TEST_NODES=3 (`SHARDCQL_TEST_NODES=3 npm test`, or by hand after
// `npm run db -- start --nodes 3`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cassandra from 'cassandra-driver';
import * as shardcql from '@shardcql/client';
import { hostOf } from '../../../scripts/db.mjs';
import { kill, restart, sleep, type Killed } from './helpers/nodes';

const enabled = process.env['SHARDCQL_TEST_NODES'] === '3';
const KS = 'shardcql_diff3';

type AnyClient = {
  execute(q: string, p?: unknown[], o?: Record<string, unknown>): Promise<{ rows: Array<Record<string, unknown>> }>;
  shutdown(): Promise<void>;
  connect(): Promise<void>;
};

function outcome(e: unknown): unknown {
  const err = e as { constructor: { name: string }; code?: number; message: string; innerErrors?: Record<string, Error> };
  const inner = err.innerErrors ? Object.keys(err.innerErrors).sort() : null;
  return { class: err.constructor.name, code: err.code ?? null, message: err.message.split('\n')[0], inner };
}

async function capture(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await fn() };
  } catch (e) {
    return { error: outcome(e) };
  }
}

async function script(client: AnyClient, t: typeof cassandra.types): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const rows = (rs: { rows?: Array<Record<string, unknown>> }): unknown => (rs.rows ?? []).map((r) => ({ k: r['k'], v: r['v'] }));
  out.writeQuorum = await capture(async () =>
    rows(await client.execute(`INSERT INTO ${KS}.t (k, v) VALUES (?, ?)`, [1, 1], { prepare: true, consistency: t.consistencies.quorum })),
  );
  out.readAll = await capture(async () =>
    rows(await client.execute(`SELECT k, v FROM ${KS}.t WHERE k = ?`, [1], { prepare: true, consistency: t.consistencies.all })),
  );
  out.writeOne = await capture(async () => {
    await client.execute(`INSERT INTO ${KS}.t (k, v) VALUES (?, ?)`, [5, 5], { prepare: true, consistency: t.consistencies.one });
    return (
      await client.execute(`SELECT k, v FROM ${KS}.t WHERE k = ?`, [5], { prepare: true, consistency: t.consistencies.one })
    ).rows.map((r) => ({ k: r['k'], v: r['v'] }));
  });
  return out;
}

describe.skipIf(!enabled)('differential on three nodes: unavailable after stopping two', () => {
  let ref: AnyClient;
  let our: AnyClient;
  const killed: Killed[] = [];

  beforeAll(async () => {
    const contact = { contactPoints: [hostOf(1) as string], localDataCenter: 'dc1' };
    ref = new cassandra.Client(contact) as unknown as AnyClient;
    our = new shardcql.Client({ ...contact, shardcql: { workers: 1 } }) as unknown as AnyClient;
    await Promise.all([ref.connect(), our.connect()]);
    await ref.execute(`CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`);
    await ref.execute(`CREATE TABLE IF NOT EXISTS ${KS}.t (k int PRIMARY KEY, v int)`);
    // Schema agreement on all three, checked (a busy node can take longer than cassandra-driver's own wait).
    for (const end = Date.now() + 60_000; !(await (our as unknown as shardcql.Client).metadata.checkSchemaAgreement()) && Date.now() < end;)
      await sleep(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([ref?.shutdown(), our?.shutdown()]);
    for (const k of killed) restart(k);
    // Wait for the restarted nodes to answer again, so later tests find the cluster whole.
    for (const k of killed) {
      const probe = new cassandra.Client({ contactPoints: [hostOf(k.n) as string], localDataCenter: 'dc1' });
      const t0 = Date.now();
      for (;;) {
        try {
          await probe.connect();
          break;
        } catch {
          if (Date.now() - t0 > 180_000) break;
          await sleep(2000);
        }
      }
      await probe.shutdown();
    }
  }, 400_000);

  it('gives the same outcomes with all nodes up, then with two of three stopped', async () => {
    const t = cassandra.types;
    const up = [await script(ref, t), await script(our, shardcql.types as unknown as typeof cassandra.types)];
    expect(up[1]).toEqual(up[0]);
    expect((up[0]!.writeQuorum as { ok?: unknown }).ok).toBeDefined();

    killed.push(kill(2), kill(3));
    // Node 1 must see them down (gossip) before it answers Unavailable rather than timing out.
    const t0 = Date.now();
    for (;;) {
      const r = (await capture(() =>
        ref.execute(`INSERT INTO ${KS}.t (k, v) VALUES (9, 9)`, [], { consistency: t.consistencies.quorum }),
      )) as { error?: { message: string } };
      if (r.error !== undefined && /Not enough replicas/.test(r.error.message)) break;
      if (Date.now() - t0 > 90_000) throw new Error(`node 1 never reported the others down: ${JSON.stringify(r)}`);
      await sleep(1000);
    }
    const down = [await script(ref, t), await script(our, shardcql.types as unknown as typeof cassandra.types)];
    console.log(JSON.stringify(down, null, 1));
    expect(down[1]).toEqual(down[0]);
    expect((down[0]!.writeQuorum as { error?: { class: string } }).error?.class).toBe('NoHostAvailableError');
  }, 300_000);
});
