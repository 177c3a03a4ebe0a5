// A client handle (createHandle / fromHandle) routes as its owner does: replica plans, then the token's shard
// (ScyllaDB). Checked against the simulator's own count of misrouted EXECUTEs (3 nodes x 4 shards, test/simulator),
// and connection states seen live through the handle. No Cassandra needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, types } from '@shardcql/client';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { misroutedTotals } from './helpers/simulator';

const INSERT = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';

describe('client handle routing, ScyllaDB simulator (3 nodes x 4 shards, RF 3)', () => {
  let stub: StubProcess;
  let owner: Client;
  let remote: Client;

  beforeAll(async () => {
    stub = await startStub({
      host: '127.0.0.41',
      port: 0,
      shards: 4,
      extraArgs: ['-nodes', '3', '-tokens', '8', '-shard-aware-port', '-1'],
    });
    owner = new Client({
      contactPoints: ['127.0.0.41'],
      localDataCenter: 'datacenter1',
      protocolOptions: { port: stub.port },
      shardcql: { workers: 2, directLane: 0 },
    });
    await owner.connect();
    await owner.execute(INSERT, [types.Long.ONE, types.Long.ONE, types.Long.ONE], { prepare: true });
    remote = Client.fromHandle(await owner.createHandle({ threads: 1 }));
  }, 120_000);

  afterAll(async () => {
    await remote?.shutdown();
    await owner?.shutdown();
    await stub?.stop();
  });

  it('sends 20,000 token-aware requests with random keys to the right node and shard', async () => {
    const before = await misroutedTotals(owner);
    const n = 20_000;
    let next = 0;
    let failed = 0;
    const loop = async (): Promise<void> => {
      while (next < n) {
        next++;
        const hi = (Math.random() * 0x100000000) | 0;
        const lo = (Math.random() * 0x100000000) >>> 0;
        const k = types.Long.fromBits(lo, hi);
        await remote.execute(INSERT, [k, k, k], { prepare: true }).catch(() => failed++);
      }
    };
    await Promise.all(Array.from({ length: 128 }, loop));
    const after = await misroutedTotals(owner);
    expect(failed).toBe(0);
    expect(after.executes - before.executes).toBeGreaterThanOrEqual(n);
    expect(after.wrongNode - before.wrongNode).toBe(0);
    expect(after.wrongShard - before.wrongShard).toBe(0);
  }, 120_000);

  it("checks schema agreement itself, with each node's system.local (a handle has no control connection)", async () => {
    const engine = remote.getEngine()!;
    const queries: string[] = [];
    const send = engine.send.bind(engine);
    engine.send = (req) => {
      queries.push(`${req.hostIndex}:${Buffer.from(req.body.subarray(4, req.bodyLength)).toString('latin1').slice(0, 40)}`);
      return send(req);
    };
    try {
      expect(await engine.waitForSchemaAgreement(5000)).toBe(true);
      // metadata.checkSchemaAgreement runs one round of the same check, not a query of its own.
      expect(await remote.metadata.checkSchemaAgreement()).toBe(true);
    } finally {
      engine.send = send;
    }
    // One schema_version query pinned to each of the three nodes, for each of the two checks.
    expect(
      queries
        .filter((q) => q.includes('schema_version'))
        .map((q) => q.split(':')[0])
        .sort(),
    ).toEqual(['0', '0', '1', '1', '2', '2']);
  }, 60_000);
});
