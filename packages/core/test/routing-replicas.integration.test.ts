// TokenRing + ReplicaPlans built from the real cluster's system.local / system.peers tokens agree with
// cassandra-driver's own replica computation (Client.getReplicas) for SimpleStrategy and
// NetworkTopologyStrategy keyspaces, for 2,000 random keys each. With every node on one rack per DC (as the
// test bed runs them), Cassandra's and cassandra-driver's NTS placements coincide. Works on 1 to 3 nodes;
// a 3-node run is the meaningful one. No Cassandra: the test fails.
import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicaPlans, TokenRing, murmur3TokenHiLo, parseReplication, type HostLocation } from '@shardcql/core';

const HOST = process.env.SHARDCQL_TEST_HOST ?? '127.0.0.1';
const PORT = Number(process.env.SHARDCQL_TEST_PORT ?? 9042);
const KEYS = 2000;

interface Topology {
  hostIds: string[];
  locations: HostLocation[];
  ring: TokenRing;
}

async function readTopology(client: cassandra.Client): Promise<Topology> {
  const hostIds: string[] = [];
  const locations: HostLocation[] = [];
  const entries: [string, number][] = [];
  const local = await client.execute('SELECT host_id, data_center, rack, tokens FROM system.local');
  const peers = await client.execute('SELECT host_id, data_center, rack, tokens FROM system.peers');
  for (const row of [...local.rows, ...peers.rows]) {
    const h = hostIds.length;
    hostIds.push(String(row.get('host_id')));
    locations.push({ datacenter: row.get('data_center') as string, rack: row.get('rack') as string });
    for (const t of (row.get('tokens') as string[] | null) ?? []) entries.push([t, h]);
  }
  return { hostIds, locations, ring: new TokenRing(entries) };
}

describe('ReplicaPlans against cassandra-driver getReplicas on the real cluster', () => {
  let client: cassandra.Client;
  let topo: Topology;
  const keyspaces: Record<string, string> = {};

  beforeAll(async () => {
    client = new cassandra.Client({
      contactPoints: [`${HOST}:${PORT}`],
      policies: { loadBalancing: new cassandra.policies.loadBalancing.RoundRobinPolicy() },
    });
    await client.connect();
    topo = await readTopology(client);
    const dcs = [...new Set(topo.locations.map((l) => l.datacenter))];
    const nodes = topo.hostIds.length;
    keyspaces.h4_routing_simple1 = `{'class': 'SimpleStrategy', 'replication_factor': 1}`;
    keyspaces.h4_routing_simple3 = `{'class': 'SimpleStrategy', 'replication_factor': ${Math.min(3, nodes)}}`;
    keyspaces.h4_routing_nts = `{'class': 'NetworkTopologyStrategy', ${dcs.map((dc) => `'${dc}': 2`).join(', ')}}`;
    for (const [ks, replication] of Object.entries(keyspaces)) {
      await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = ${replication}`);
      await client.execute(`ALTER KEYSPACE ${ks} WITH replication = ${replication}`);
      await client.metadata.refreshKeyspace(ks);
    }
  });

  afterAll(async () => {
    await client?.shutdown();
  });

  it('reads a token ring from the system tables', () => {
    expect(topo.ring.size).toBeGreaterThan(0);
    console.log(
      `cluster: ${topo.hostIds.length} node(s), ${topo.ring.size} ring tokens, DCs ${[...new Set(topo.locations.map((l) => l.datacenter))].join(', ')}`,
    );
  });

  for (const ks of ['h4_routing_simple1', 'h4_routing_simple3', 'h4_routing_nts']) {
    it(`${ks}: the same replicas for ${KEYS} random keys`, async () => {
      const rs = await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [ks], { prepare: true });
      const strategy = parseReplication(rs.first().get('replication') as Record<string, string>);
      const plans = ReplicaPlans.build(topo.ring, strategy, topo.locations);
      const hl = new Int32Array(2);
      const mismatches: string[] = [];
      for (let i = 0; i < KEYS; i++) {
        const key = randomBytes(1 + (i % 24));
        murmur3TokenHiLo(key, 0, key.length, hl);
        const r = plans.rangeIndexOf(hl[0], hl[1]);
        const ours = Array.from(plans.replicas.subarray(plans.offsets[r], plans.offsets[r + 1]), (h) => topo.hostIds[h]);
        const theirs = (client.getReplicas(ks, key) ?? []).map((h) => String(h.hostId));
        const same =
          strategy.kind === 'simple'
            ? ours.join() === theirs.join()
            : ours[0] === theirs[0] && [...ours].sort().join() === [...theirs].sort().join();
        if (!same) mismatches.push(`key ${key.toString('hex')}: ours ${ours.join(' ')}, cassandra-driver ${theirs.join(' ')}`);
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    });
  }
});
