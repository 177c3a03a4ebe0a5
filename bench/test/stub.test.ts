// The stub against the real cassandra-driver: handshake (with its protocol downgrade), control
// connection (system.local, peers, schema tables), DDL, prepared INSERT/SELECT with values checked.

import { Client, types } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSERT_CQL, SELECT_CQL } from '../src/drivers/driver';
import { startStub, type StubProcess } from '../../test/simulator/stub';

describe('cql-stub with cassandra-driver', () => {
  let stub: StubProcess;
  let client: Client;

  beforeAll(async () => {
    stub = await startStub({ host: '127.0.0.2', port: 0 });
    client = new Client({ contactPoints: ['127.0.0.2'], localDataCenter: 'datacenter1', protocolOptions: { port: stub.port } });
    await client.connect();
  }, 120_000); // the first run builds the Go binary

  afterAll(async () => {
    await client?.shutdown();
    await stub?.stop();
  });

  it('connects with protocol v4 and reads the local node', () => {
    const hosts = client.getState().getConnectedHosts();
    expect(hosts.map((h) => h.address)).toEqual([`127.0.0.2:${stub.port}`]);
    expect(hosts[0]!.datacenter).toBe('datacenter1');
    expect(hosts[0]!.cassandraVersion).toBe('5.0.0');
    // Internal field: cassandra-driver has no public getter for the negotiated version.
    expect((client as unknown as { controlConnection: { protocolVersion: number } }).controlConnection.protocolVersion).toBe(4);
  });

  it('runs DDL and prepared INSERT/SELECT with bigint values and routing metadata', async () => {
    await client.execute("CREATE KEYSPACE IF NOT EXISTS benchks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await client.execute('CREATE TABLE IF NOT EXISTS benchks.benchtab (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)');
    const L = types.Long;
    const ins = await client.execute(INSERT_CQL, [L.fromNumber(5), L.fromNumber(10), L.fromNumber(15)], { prepare: true });
    expect(ins.rows).toBeUndefined();
    for (const pk of [0, 7, -3, 2 ** 40]) {
      const rs = await client.execute(SELECT_CQL, [L.fromNumber(pk)], { prepare: true });
      expect(rs.rows).toHaveLength(1);
      const row = rs.rows[0]!;
      expect([row['pk'].toNumber(), row['v1'].toNumber(), row['v2'].toNumber()]).toEqual([pk, 2 * pk, 3 * pk]);
    }
    const table = await client.metadata.getTable('benchks', 'benchtab');
    expect(table?.partitionKeys.map((c) => c.name)).toEqual(['pk']);
  });

  it('answers concurrent requests in one pipeline', async () => {
    const L = types.Long;
    const rs = await Promise.all(Array.from({ length: 2000 }, (_, i) => client.execute(SELECT_CQL, [L.fromNumber(i)], { prepare: true })));
    rs.forEach((r, i) => expect(r.rows[0]!['v2'].toNumber()).toBe(3 * i));
  });

  it('reports syntax errors and unknown tables with their error codes', async () => {
    await expect(client.execute('garbage statement')).rejects.toMatchObject({ code: types.responseErrorCodes.syntaxError });
    await expect(client.execute('SELECT * FROM nope.missing')).rejects.toMatchObject({ code: types.responseErrorCodes.invalid });
  });
});
