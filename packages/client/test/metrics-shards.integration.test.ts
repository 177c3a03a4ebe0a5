// Per-shard attribution against the ScyllaDB simulator (test/simulator/.bin/cql-stub -shards 4): the shard each
// connection reports (SUPPORTED SCYLLA_SHARD) and the requests it counted match the simulator's own
// count of EXECUTEs per shard (simulator.misrouted).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, types } from '../src';

const STUB = join(__dirname, '../../../test/simulator/.bin/cql-stub');
const INSERT = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';

describe('per-shard metrics against the shard simulator', () => {
  let stub: ChildProcess | null = null;
  let client: Client;

  beforeAll(async () => {
    if (!existsSync(STUB)) throw new Error(`${STUB} is missing: npm run stub -- --build`);
    stub = spawn(STUB, ['-addr', '127.0.0.31:0', '-shards', '4', '-v5'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const addr = await new Promise<string>((resolve, reject) => {
      let out = '';
      stub!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      stub!.once('exit', (c) => reject(new Error(`stub exited ${c}`)));
    });
    client = new Client({
      contactPoints: [addr],
      localDataCenter: 'datacenter1',
      pooling: { coreConnectionsPerHost: { [types.distance.local]: 4 } },
      shardcql: { workers: 2 },
    });
    await client.connect();
  });

  afterAll(async () => {
    await client?.shutdown();
    stub?.kill();
  });

  it('counts 10,000 requests, each on the shard that owns its token, as the simulator saw them', async () => {
    const N = 10_000;
    const L = types.Long;
    await client.execute(INSERT, [L.fromNumber(-1), L.fromNumber(0), L.fromNumber(0)], { prepare: true });
    await client.execute('TRUNCATE simulator.misrouted');
    const before = client.getShardMetrics();
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < N) {
        const pk = next++;
        await client.execute(INSERT, [L.fromNumber(pk), L.fromNumber(2 * pk), L.fromNumber(3 * pk)], { prepare: true });
      }
    };
    await Promise.all(Array.from({ length: 256 }, loop));
    const after = client.getShardMetrics();
    const rs = await client.execute('SELECT * FROM simulator.misrouted');

    const ours = new Map<number, number>();
    for (const m of after) {
      const b = before.find((x) => x.conn === m.conn);
      ours.set(m.shard, (ours.get(m.shard) ?? 0) + m.requests - (b?.requests ?? 0));
    }
    const theirs = new Map<number, number>();
    for (const r of rs.rows) theirs.set(Number(r['shard']), Number(r['executes']));
    console.log(
      'shard -> [our requests, simulator executes]:',
      [...theirs.keys()]
        .sort()
        .map((s) => `${s}: [${ours.get(s) ?? 0}, ${theirs.get(s)}]`)
        .join(', '),
    );
    expect(new Set(after.map((m) => m.shard)).size).toBeGreaterThan(1);
    let total = 0;
    for (const [shard, n] of theirs) {
      expect(ours.get(shard) ?? 0).toBe(n);
      total += n;
    }
    expect(total).toBe(N);
    // And each on the shard that owns its token: the simulator saw none on a wrong node or shard.
    let wrong = 0;
    for (const r of rs.rows) wrong += Number(r['wrong_node']) + Number(r['wrong_shard']);
    expect(wrong).toBe(0);
  });
});
