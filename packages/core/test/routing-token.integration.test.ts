// The token Cassandra computes (`SELECT token(pk)`) equals murmur3Token / murmur3TokenHiLo of the serialized
// partition key, for 10,000 random keys of six key shapes (bigint, text, blob, uuid, int, composite
// (int, text)). cassandra-driver is only the client here; the serialization below is our own minimal one
// (native_protocol_v4.spec §6: bigint 8 bytes BE, int 4 bytes BE, text UTF-8, blob raw, uuid 16 bytes),
// and composite keys go through buildRoutingKey. No Cassandra: the test fails.
import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRoutingKey, murmur3Token, murmur3TokenHiLo, tokenFromHiLo } from '@shardcql/core';

const HOST = process.env.SHARDCQL_TEST_HOST ?? '127.0.0.1';
const PORT = Number(process.env.SHARDCQL_TEST_PORT ?? 9042);
// This run's own: the tables are dropped and counted, which a concurrent run of this file on the shared node would upset.
const KS = `h4_routing_${process.pid}`;
const TOTAL_KEYS = 10_000;

type Row = cassandra.types.Row;
interface Shape {
  table: string;
  ddl: string;
  pk: string; // the select list of the key columns
  random(i: number): unknown[];
  serialize(row: Row): Buffer;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function randomInt32(): number {
  return randomBytes(4).readInt32BE(0);
}

const ALPHABET = ['a', 'Z', '0', ' ', 'é', 'ß', '中', '文', '😀', 'ÿ', '\u0080', '~'];
function randomText(): string {
  const n = 1 + (randomBytes(1)[0] % 40);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomBytes(1)[0] % ALPHABET.length];
  return s;
}

const shapes: Shape[] = [
  {
    table: 't_bigint',
    ddl: 'pk bigint PRIMARY KEY, v int',
    pk: 'pk',
    random: () => [cassandra.types.Long.fromString(randomBytes(8).readBigInt64BE(0).toString()), 1],
    serialize: (r) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt((r.get('pk') as cassandra.types.Long).toString()));
      return b;
    },
  },
  {
    table: 't_text',
    ddl: 'pk text PRIMARY KEY, v int',
    pk: 'pk',
    random: () => [randomText(), 1],
    serialize: (r) => Buffer.from(r.get('pk') as string, 'utf8'),
  },
  {
    table: 't_blob',
    ddl: 'pk blob PRIMARY KEY, v int',
    pk: 'pk',
    random: () => [randomBytes(1 + (randomBytes(1)[0] % 48)), 1],
    serialize: (r) => r.get('pk') as Buffer,
  },
  {
    table: 't_uuid',
    ddl: 'pk uuid PRIMARY KEY, v int',
    pk: 'pk',
    random: () => [cassandra.types.Uuid.random(), 1],
    serialize: (r) => Buffer.from((r.get('pk') as cassandra.types.Uuid).getBuffer()),
  },
  {
    table: 't_int',
    ddl: 'pk int PRIMARY KEY, v int',
    pk: 'pk',
    random: () => [randomInt32(), 1],
    serialize: (r) => int32(r.get('pk') as number),
  },
  {
    table: 't_composite',
    ddl: 'a int, b text, v int, PRIMARY KEY ((a, b))',
    pk: 'a, b',
    random: () => [randomInt32(), randomText(), 1],
    serialize: (r) => buildRoutingKey([int32(r.get('a') as number), Buffer.from(r.get('b') as string, 'utf8')]),
  },
];

describe('murmur3Token against the real Cassandra token(pk)', () => {
  let client: cassandra.Client;

  beforeAll(async () => {
    client = new cassandra.Client({
      contactPoints: [`${HOST}:${PORT}`],
      policies: { loadBalancing: new cassandra.policies.loadBalancing.RoundRobinPolicy() },
    });
    await client.connect();
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    for (const s of shapes) {
      await client.execute(`DROP TABLE IF EXISTS ${KS}.${s.table}`);
      await client.execute(`CREATE TABLE ${KS}.${s.table} (${s.ddl})`);
    }
  });

  afterAll(async () => {
    await client?.execute(`DROP KEYSPACE IF EXISTS ${KS}`).catch(() => undefined);
    await client?.shutdown();
  });

  it(`${TOTAL_KEYS} random keys of 6 key types`, async () => {
    const perTable = Math.ceil(TOTAL_KEYS / shapes.length);
    const hl = new Int32Array(2);
    let compared = 0;
    const mismatches: string[] = [];
    for (const s of shapes) {
      const cols = s.pk.split(', ');
      // Distinct keys only (short random texts and ints could repeat), so every insert is one row.
      const params: unknown[][] = [];
      const seen = new Set<string>();
      for (let i = 0; params.length < perTable; i++) {
        const p = s.random(i);
        const id = p
          .slice(0, cols.length)
          .map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : String(v)))
          .join('|');
        if (seen.has(id)) continue;
        seen.add(id);
        params.push(p);
      }
      const insert = `INSERT INTO ${KS}.${s.table} (${[...cols, 'v'].join(', ')}) VALUES (${cols.map(() => '?').join(', ')}, ?)`;
      await cassandra.concurrent.executeConcurrent(client, insert, params, { concurrencyLevel: 128 });

      let rows = 0;
      const result = await client.execute(`SELECT token(${s.pk}) AS t, ${s.pk} FROM ${KS}.${s.table}`, [], {
        prepare: true,
        fetchSize: 2000,
      });
      for await (const row of result) {
        rows++;
        const key = s.serialize(row);
        const expected = BigInt((row.get('t') as cassandra.types.Long).toString());
        murmur3TokenHiLo(key, 0, key.length, hl);
        const fast = tokenFromHiLo(hl[0], hl[1]);
        const reference = murmur3Token(key);
        if (reference !== expected || fast !== expected) {
          mismatches.push(`${s.table} key ${key.toString('hex')}: cassandra ${expected}, murmur3Token ${reference}, hi/lo ${fast}`);
        }
      }
      expect(rows, s.table).toBe(perTable);
      compared += rows;
    }
    console.log(`compared ${compared} Cassandra tokens with murmur3Token: ${mismatches.length} mismatches`);
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(TOTAL_KEYS);
  });
});
