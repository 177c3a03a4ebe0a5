// The three-node test bed: every node answers CQL and sees the two others in system.peers.
// Runs only when SHARDCQL_TEST_NODES=3 (`SHARDCQL_TEST_NODES=3 npm test` adds a 3-node phase, or by hand:
// `npm run db -- start --nodes 3` then `SHARDCQL_TEST_NODES=3 npx vitest run --project integration
// test/three-nodes.integration.test.ts`). CI runs one node, so it is skipped there.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cqlProbe, hostOf } from '../scripts/db.mjs';

const enabled = process.env.SHARDCQL_TEST_NODES === '3';
const root = new URL('..', import.meta.url).pathname;

describe.skipIf(!enabled)('three-node Cassandra test bed', () => {
  it('each node answers CQL and sees exactly the two others', async () => {
    const all = [1, 2, 3].map(hostOf);
    for (const host of all) {
      const res = await cqlProbe(host, { queries: ['SELECT peer FROM system.peers', 'SELECT broadcast_address FROM system.local'] });
      const peers = (res.rows[0] as Array<{ peer: string }>).map((r) => r.peer).sort();
      expect(peers).toEqual(all.filter((h) => h !== host));
      expect((res.rows[1] as Array<{ broadcast_address: string }>)[0]?.broadcast_address).toBe(host);
    }
  });

  it('`db status --json` reports three live nodes, each seeing two peers, with their RSS', () => {
    const r = spawnSync(process.execPath, ['scripts/db.mjs', 'status', '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const st = JSON.parse(r.stdout) as { nodes: Array<{ alive: boolean; cql: boolean; peers: string[]; rssMiB: number }> };
    expect(st.nodes).toHaveLength(3);
    for (const n of st.nodes) {
      expect(n.alive && n.cql).toBe(true);
      expect(n.peers).toHaveLength(2);
      expect(n.rssMiB).toBeGreaterThan(100);
    }
  });

  it('a cassandra-driver client discovers all three hosts from one contact point', async () => {
    const require = createRequire(import.meta.url);
    const { Client } = require('cassandra-driver') as typeof import('cassandra-driver');
    const client = new Client({ contactPoints: [hostOf(1)], localDataCenter: 'dc1' });
    await client.connect();
    try {
      const hosts = client.hosts
        .values()
        .map((h) => h.address.split(':')[0])
        .sort();
      expect(hosts).toEqual([1, 2, 3].map(hostOf));
    } finally {
      await client.shutdown();
    }
  });
});
