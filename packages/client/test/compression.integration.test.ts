import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '@shardcql/client';
import { localDataCenter } from './helpers/local-dc';
import { ddl } from './helpers/busy-server';
import { dropKeyspaces, ownKeyspace } from './helpers/own-keyspace';

const KS = ownKeyspace('shardcql_compression');

afterAll(() => dropKeyspaces([KS]));

describe.each([
  ['lz4', 5],
  ['lz4', 4],
  ['snappy', 4],
] as const)('compression %s on protocol v%i against Cassandra', (compression, maxVersion) => {
  it('round-trips a 200 KB value (several v5 frames, compressed bodies) and small rows', async () => {
    const client = new Client({
      contactPoints: ['127.0.0.1'],
      localDataCenter: await localDataCenter(),
      protocolOptions: { maxVersion },
      shardcql: { workers: 1, compression },
    });
    try {
      await client.connect();
      await ddl(client, `CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
      await ddl(client, `CREATE TABLE IF NOT EXISTS ${KS}.t (pk int PRIMARY KEY, v text)`);
      const big = 'shardcql '.repeat(22_000);
      await client.execute(`INSERT INTO ${KS}.t (pk, v) VALUES (?, ?)`, [maxVersion * 10, big], { prepare: true });
      const rs = await client.execute(`SELECT v FROM ${KS}.t WHERE pk = ?`, [maxVersion * 10], { prepare: true });
      expect(rs.first()!['v']).toBe(big);
      const small = await Promise.all(
        Array.from({ length: 200 }, (_, i) => client.execute(`SELECT pk FROM ${KS}.t WHERE pk = ?`, [i], { prepare: true })),
      );
      expect(small.length).toBe(200);
    } finally {
      await client.shutdown();
    }
  });
});

describe('compression option', () => {
  it('rejects an unknown compression name with a TypeError before connecting', () => {
    expect(() => new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', shardcql: { compression: 'zstd' as never } })).toThrow(
      TypeError,
    );
  });
});
