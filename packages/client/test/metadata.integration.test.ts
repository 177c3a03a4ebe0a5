/**
 * client.metadata against the real Cassandra, compared with cassandra-driver's view of the same keyspace:
 * a keyspace with every kind of schema object (UDTs, tables with a composite partition key, DESC
 * clustering, static, collection, frozen, tuple, UDT, vector columns, secondary indexes, a materialized
 * view, functions, an aggregate) is read by both drivers and compared field by field on a normalized
 * projection. Also: unknown names give null, SCHEMA_CHANGE invalidation, isMetadataSyncEnabled: false,
 * the token ring.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cassandra from 'cassandra-driver';
import * as shardcql from '../src/index';
import { ddl } from './helpers/busy-server';
import { ownKeyspace } from './helpers/own-keyspace';

const KS = ownKeyspace('meta_md');
const OTHER_KS = `${KS}_other`;
const CONTACT = { contactPoints: ['127.0.0.1'], localDataCenter: 'dc1' };

type Obj = Record<string, unknown>;

/** A comparable picture of a column type: `{ code, info, frozen }` with UDTs and vectors spelled out. */
function normType(t: unknown): unknown {
  if (t === null || t === undefined) return null;
  const d = t as { code: number; info: unknown; options?: { frozen?: boolean }; customTypeName?: string };
  const frozen = d.options?.frozen ?? null;
  if (d.customTypeName === 'vector') {
    // cassandra-driver: info [subtype, dimension]; shardcql (core): info { subtype, dimension }.
    const i = d.info as unknown;
    const [sub, dim] = Array.isArray(i) ? i : [(i as Obj)['subtype'], (i as Obj)['dimension']];
    return { code: d.code, vector: [normType(sub), dim] };
  }
  let info: unknown = d.info;
  if (Array.isArray(info)) info = info.map(normType);
  else if (info !== null && typeof info === 'object') {
    const o = info as Obj;
    if (typeof o['code'] === 'number') info = normType(o);
    else
      info = {
        keyspace: o['keyspace'],
        name: o['name'],
        fields: (o['fields'] as Obj[]).map((f) => ({ name: f['name'], type: normType(f['type']) })),
      };
  }
  return { code: d.code, info, frozen };
}

function normColumn(c: Obj): unknown {
  return { name: c['name'], type: normType(c['type']), isStatic: c['isStatic'] ?? null };
}

function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (v instanceof Map) return plain(Object.fromEntries(v));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const out: Obj = {};
    for (const k of Object.keys(v).sort()) out[k] = plain((v as Obj)[k]);
    return out;
  }
  return v;
}

const COLLECTION_FIELDS = [
  'name',
  'bloomFilterFalsePositiveChance',
  'caching',
  'comment',
  'gcGraceSeconds',
  'compactionClass',
  'compactionOptions',
  'compression',
  'extensions',
  'crcCheckChance',
  'populateCacheOnFlush',
  'defaultTtl',
  'speculativeRetry',
  'minIndexInterval',
  'maxIndexInterval',
  'clusteringOrder',
  'nodesync',
  'readRepairChance',
  'localReadRepairChance',
];

function normCollection(t: Obj | null, extra: string[]): unknown {
  if (t === null) return null;
  const out: Obj = {};
  for (const f of [...COLLECTION_FIELDS, ...extra]) out[f] = plain(t[f]);
  out['columns'] = (t['columns'] as Obj[]).map(normColumn);
  const byName = t['columnsByName'] as Record<string, Obj>;
  out['columnsByName'] = Object.keys(byName)
    .sort()
    .map((k) => [k, normColumn(byName[k]!)]);
  out['partitionKeys'] = (t['partitionKeys'] as Obj[]).map(normColumn);
  out['clusteringKeys'] = (t['clusteringKeys'] as Obj[]).map(normColumn);
  // Keys are the same objects as in `columns` in both drivers.
  out['keysAreColumns'] = (t['partitionKeys'] as Obj[]).every((k) => (t['columns'] as Obj[]).includes(k));
  return out;
}

function normTable(t: unknown): unknown {
  if (t === null) return null;
  const o = t as Obj;
  const base = normCollection(o, ['replicateOnWrite', 'memtableFlushPeriod', 'indexInterval', 'isCompact', 'cdc', 'virtual']) as Obj;
  base['indexes'] = (o['indexes'] as Array<Obj & { isCompositesKind(): boolean; isKeysKind(): boolean; isCustomKind(): boolean }>)
    .map((i) => ({
      name: i['name'],
      target: i['target'],
      kind: i['kind'],
      options: plain(i['options']),
      composites: i.isCompositesKind(),
      keys: i.isKeysKind(),
      custom: i.isCustomKind(),
    }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return base;
}

function normView(v: unknown): unknown {
  return v === null ? null : normCollection(v as Obj, ['tableName', 'whereClause', 'includeAllColumns']);
}

function normUdt(u: unknown): unknown {
  if (u === null) return null;
  const o = u as Obj;
  return {
    keyspace: o['keyspace'],
    name: o['name'],
    fields: (o['fields'] as Obj[]).map((f) => ({ name: f['name'], type: normType(f['type']) })),
  };
}

function normFunction(f: unknown): unknown {
  if (f === null || f === undefined) return null;
  const o = f as Obj;
  const out: Obj = {};
  for (const k of [
    'name',
    'keyspaceName',
    'signature',
    'argumentNames',
    'body',
    'calledOnNullInput',
    'language',
    'deterministic',
    'monotonic',
    'monotonicOn',
    'stateFunction',
    'finalFunction',
    'initConditionRaw',
    'initCondition',
  ])
    out[k] = plain(o[k]);
  out['argumentTypes'] = (o['argumentTypes'] as unknown[]).map(normType);
  out['returnType'] = normType(o['returnType']);
  out['stateType'] = normType(o['stateType']);
  return out;
}

function bySignature(list: unknown[]): unknown[] {
  return list.map(normFunction).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const SCHEMA = [
  `CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1} AND durable_writes = true`,
  `CREATE TYPE ${KS}.address (street text, zip int, tags set<text>)`,
  `CREATE TYPE ${KS}.person (name text, home frozen<address>, phones list<text>)`,
  `CREATE TYPE ${KS}.point (x double, y double)`,
  `CREATE TABLE ${KS}.events (
     tenant text, day date, bucket int, ts timeuuid, seq int,
     owner text static, payload blob, tags set<text>, attrs map<text, int>,
     history list<frozen<tuple<int, text>>>, addr frozen<address>, who frozen<person>, pt point, people list<frozen<person>>,
     fixed frozen<map<text, list<int>>>, emb vector<float, 3>, dur duration, v varint, dec decimal, "Quoted" inet,
     PRIMARY KEY ((tenant, day, bucket), ts, seq))
   WITH CLUSTERING ORDER BY (ts DESC, seq ASC) AND comment = 'meta test table' AND default_time_to_live = 3600
   AND gc_grace_seconds = 7200 AND caching = {'keys': 'ALL', 'rows_per_partition': '10'}
   AND compaction = {'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': '64'}
   AND compression = {'class': 'DeflateCompressor', 'chunk_length_in_kb': '32'}
   AND bloom_filter_fp_chance = 0.05 AND speculative_retry = '95p' AND memtable_flush_period_in_ms = 60000`,
  `CREATE INDEX events_payload_idx ON ${KS}.events (payload)`,
  `CREATE INDEX events_attr_keys_idx ON ${KS}.events (KEYS(attrs))`,
  `CREATE INDEX events_attr_entries_idx ON ${KS}.events (ENTRIES(attrs))`,
  `CREATE INDEX events_fixed_idx ON ${KS}.events (FULL(fixed))`,
  `CREATE TABLE ${KS}.counters (id uuid PRIMARY KEY, hits counter)`,
  `CREATE TABLE ${KS}.users (id int PRIMARY KEY, email text, name text, age int)`,
  `CREATE OR REPLACE FUNCTION ${KS}.plus(a int, b int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS 'return a + b;'`,
  `CREATE OR REPLACE FUNCTION ${KS}.plus(a bigint, b bigint) CALLED ON NULL INPUT RETURNS bigint LANGUAGE java AS 'return a == null ? b : a + b;'`,
  `CREATE OR REPLACE FUNCTION ${KS}.halve(s int) RETURNS NULL ON NULL INPUT RETURNS double LANGUAGE java AS 'return s / 2.0;'`,
  `CREATE OR REPLACE AGGREGATE ${KS}.total(int) SFUNC plus STYPE int INITCOND 0`,
  `CREATE OR REPLACE AGGREGATE ${KS}.half_total(int) SFUNC plus STYPE int FINALFUNC halve INITCOND 0`,
];
const VIEW = `CREATE MATERIALIZED VIEW ${KS}.users_by_email AS SELECT id, email, name FROM ${KS}.users
  WHERE email IS NOT NULL AND id IS NOT NULL PRIMARY KEY (email, id) WITH CLUSTERING ORDER BY (id DESC) AND comment = 'by email'`;

describe('metadata (real Cassandra, compared with cassandra-driver)', () => {
  let client: shardcql.Client;
  let noSync: shardcql.Client;
  let ref: cassandra.Client;
  let viewsEnabled = true;

  beforeAll(async () => {
    client = new shardcql.Client(CONTACT);
    noSync = new shardcql.Client({ ...CONTACT, isMetadataSyncEnabled: false });
    ref = new cassandra.Client(CONTACT);
    await Promise.all([client.connect(), noSync.connect(), ref.connect()]);
    await ddl(client, `DROP KEYSPACE IF EXISTS ${KS}`);
    for (const q of SCHEMA) await ddl(client, q);
    try {
      await ddl(client, VIEW);
    } catch (err) {
      // Cassandra 5 refuses views unless materialized_views_enabled: the rest is still tested.
      viewsEnabled = false;
      console.warn(`materialized view refused by the node: ${(err as Error).message}`);
    }
    await ref.metadata.refreshKeyspace(KS);
  });

  afterAll(async () => {
    await client?.execute(`DROP KEYSPACE IF EXISTS ${KS}`).catch(() => undefined);
    await Promise.all([client?.shutdown(), noSync?.shutdown(), ref?.shutdown()]);
  });

  it('keyspaces are loaded when connect() resolves, as with cassandra-driver (not some time later)', async () => {
    const fresh = new shardcql.Client(CONTACT);
    const emitted: string[][] = [];
    fresh.on('connected', () => emitted.push(Object.keys(fresh.metadata.keyspaces)));
    try {
      await fresh.connect();
      expect(fresh.metadata.keyspaces['system']).toBeDefined();
      expect(fresh.metadata.keyspaces['system_schema']).toBeDefined();
      expect(emitted).toHaveLength(1);
      expect(emitted[0]).toContain('system');
    } finally {
      await fresh.shutdown();
    }
  });

  it('keyspaces match', async () => {
    const pick = (k: Obj | undefined): unknown =>
      k && {
        name: k['name'],
        durableWrites: k['durableWrites'],
        strategy: k['strategy'],
        strategyOptions: plain(k['strategyOptions']),
        virtual: k['virtual'],
      };
    expect(pick(client.metadata.keyspaces[KS] as unknown as Obj)).toEqual(pick((ref.metadata.keyspaces as Record<string, Obj>)[KS]));
    expect(client.metadata.keyspaces[KS]!.strategy).toBe('org.apache.cassandra.locator.SimpleStrategy');
    // Both views freshly read: other tests (or processes) may have created or dropped keyspaces since connect,
    // and each driver hears those events at its own pace. Other work on the node can also create or drop one
    // between the two reads: read both again (a few times at most) until no DDL fell between them.
    let ours: string[] = [];
    let refNames: string[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      await Promise.all([client.metadata.refreshKeyspaces(), ref.metadata.refreshKeyspaces()]);
      ours = Object.keys(client.metadata.keyspaces).sort();
      refNames = Object.keys(ref.metadata.keyspaces).sort();
      if (JSON.stringify(ours) === JSON.stringify(refNames)) break;
    }
    expect(ours).toEqual(refNames);
    expect(ours).toContain(KS);
    expect(client.metadata.keyspaces['system_views']?.virtual).toBe(true);
  });

  for (const table of ['events', 'counters', 'users']) {
    it(`table ${table} matches`, async () => {
      const ours = await client.metadata.getTable(KS, table);
      const theirs = await ref.metadata.getTable(KS, table);
      expect(ours).not.toBeNull();
      expect(normTable(ours)).toEqual(normTable(theirs));
      // Sync off: same content, fetched on demand.
      expect(normTable(await noSync.metadata.getTable(KS, table))).toEqual(normTable(theirs));
    });
  }

  it('the events table has what was declared', async () => {
    const t = (await client.metadata.getTable(KS, 'events'))!;
    expect(t.partitionKeys.map((c) => c.name)).toEqual(['tenant', 'day', 'bucket']);
    expect(t.clusteringKeys.map((c) => c.name)).toEqual(['ts', 'seq']);
    expect(t.clusteringOrder).toEqual(['DESC', 'ASC']);
    expect(t.columnsByName['owner']!.isStatic).toBe(true);
    expect(t.columnsByName['Quoted']!.type).toEqual({ code: shardcql.types.dataTypes.inet, info: null });
    expect(t.columnsByName['attrs']!.type).toEqual({
      code: 0x21,
      info: [
        { code: 0x0a, info: null },
        { code: 9, info: null },
      ],
      options: { frozen: false },
    });
    expect(t.columnsByName['addr']!.type.code).toBe(0x30);
    expect(t.columnsByName['addr']!.type.options).toEqual({ frozen: true });
    expect(t.comment).toBe('meta test table');
    expect(t.defaultTtl).toBe(3600);
    expect(t.gcGraceSeconds).toBe(7200);
    expect(t.bloomFilterFalsePositiveChance).toBe(0.05);
    expect(t.compactionClass).toContain('LeveledCompactionStrategy');
    expect(t.compression?.['class']).toContain('DeflateCompressor');
    expect(t.memtableFlushPeriod).toBe(60000);
    expect(t.indexes.map((i) => i.target).sort()).toEqual(['entries(attrs)', 'full(fixed)', 'keys(attrs)', 'payload']);
    expect(t.virtual).toBe(false);
    // Cached: the same object until a schema change.
    expect(await client.metadata.getTable(KS, 'events')).toBe(t);
    expect(await noSync.metadata.getTable(KS, 'events')).not.toBe(await noSync.metadata.getTable(KS, 'events'));
  });

  it('a virtual table matches', async () => {
    const ours = await client.metadata.getTable('system_views', 'settings');
    const theirs = await ref.metadata.getTable('system_views', 'settings');
    expect(ours?.virtual).toBe(true);
    const pick = (t: Obj | null): unknown =>
      t && { virtual: t['virtual'], columns: (t['columns'] as Obj[]).map(normColumn), pk: (t['partitionKeys'] as Obj[]).map(normColumn) };
    expect(pick(ours as unknown as Obj)).toEqual(pick(theirs as unknown as Obj));
  });

  it('UDTs match', async () => {
    for (const name of ['address', 'person', 'point']) {
      const ours = await client.metadata.getUdt(KS, name);
      expect(ours).not.toBeNull();
      expect(normUdt(ours)).toEqual(normUdt(await ref.metadata.getUdt(KS, name)));
      expect(normUdt(await noSync.metadata.getUdt(KS, name))).toEqual(normUdt(ours));
    }
  });

  it('materialized view matches', async (ctx) => {
    if (!viewsEnabled) ctx.skip();
    const ours = await client.metadata.getMaterializedView(KS, 'users_by_email');
    const theirs = await ref.metadata.getMaterializedView(KS, 'users_by_email', undefined as never);
    expect(ours?.tableName).toBe('users');
    expect(ours?.clusteringOrder).toEqual(['DESC']);
    expect(normView(ours)).toEqual(normView(theirs));
    expect(normView(await noSync.metadata.getMaterializedView(KS, 'users_by_email'))).toEqual(normView(theirs));
  });

  it('functions and aggregates match', async () => {
    const fs = await client.metadata.getFunctions(KS, 'plus');
    expect(fs).toHaveLength(2);
    expect(bySignature(fs)).toEqual(bySignature(await ref.metadata.getFunctions(KS, 'plus')));
    const f = await client.metadata.getFunction(KS, 'plus', ['int', 'int']);
    expect(f?.argumentNames).toEqual(['a', 'b']);
    expect(normFunction(f)).toEqual(normFunction(await ref.metadata.getFunction(KS, 'plus', ['int', 'int'])));
    const byCode = await client.metadata.getFunction(KS, 'plus', [
      { code: 2, info: null },
      { code: 2, info: null },
    ]);
    expect(byCode?.signature).toEqual(['bigint', 'bigint']);
    for (const name of ['total', 'half_total']) {
      const as = await client.metadata.getAggregates(KS, name);
      expect(as).toHaveLength(1);
      expect(bySignature(as)).toEqual(bySignature(await ref.metadata.getAggregates(KS, name)));
      const a = await client.metadata.getAggregate(KS, name, ['int']);
      expect(normFunction(a)).toEqual(normFunction(await ref.metadata.getAggregate(KS, name, ['int'])));
    }
    expect((await client.metadata.getAggregate(KS, 'half_total', ['int']))?.finalFunction).toBe('halve');
    expect(bySignature(await noSync.metadata.getFunctions(KS, 'plus'))).toEqual(bySignature(fs));
  });

  it('unknown keyspace or object: null (or empty), as cassandra-driver', async () => {
    for (const c of [client, noSync]) {
      const m = c.metadata;
      expect(await m.getTable('meta_no_such_ks', 'x')).toBeNull();
      expect(await m.getTable(KS, 'no_such_table')).toBeNull();
      expect(await m.getUdt(KS, 'no_such_type')).toBeNull();
      expect(await m.getUdt('meta_no_such_ks', 'address')).toBeNull();
      expect(await m.getMaterializedView(KS, 'no_such_view')).toBeNull();
      expect(await m.getFunctions(KS, 'no_such_fn')).toEqual([]);
      expect(await m.getFunction(KS, 'plus', ['text'])).toBeNull();
      expect(await m.getAggregates('meta_no_such_ks', 'total')).toEqual([]);
      expect(await m.getAggregate(KS, 'total', ['bigint'])).toBeNull();
    }
    expect(await ref.metadata.getTable('meta_no_such_ks', 'x')).toBeNull();
    expect(await ref.metadata.getTable(KS, 'no_such_table')).toBeNull();
    expect(client.metadata.getTokenRangesForHost('meta_no_such_ks', client.hosts.values()[0]!)).toBeNull();
    await expect(client.metadata.getFunction(KS, '', [])).rejects.toBeInstanceOf(shardcql.errors.ArgumentError);
    await expect(client.metadata.getFunction(KS, 'plus', 'int' as never)).rejects.toBeInstanceOf(shardcql.errors.ArgumentError);
  });

  it('callback forms', async () => {
    const t = await new Promise<unknown>((resolve, reject) =>
      client.metadata.getTable(KS, 'users', (err, v) => (err ? reject(err) : resolve(v))),
    );
    expect((t as { name: string }).name).toBe('users');
    const missing = await new Promise<unknown>((resolve, reject) =>
      client.metadata.getUdt(KS, 'nope', (err, v) => (err ? reject(err) : resolve(v))),
    );
    expect(missing).toBeNull();
    const agreed = await new Promise<unknown>((resolve, reject) =>
      client.metadata.checkSchemaAgreement((err, v) => (err ? reject(err) : resolve(v))),
    );
    expect(agreed).toBe(true);
    await new Promise<void>((resolve, reject) => client.metadata.refreshKeyspace(KS, (err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve, reject) => client.metadata.refreshKeyspaces((err) => (err ? reject(err) : resolve())));
    expect(client.metadata.keyspaces[KS]).toBeDefined();
  });

  it('a DDL through this client: the next getTable shows it', async () => {
    const before = (await client.metadata.getTable(KS, 'users'))!;
    expect(before.columnsByName['nickname']).toBeUndefined();
    await ddl(client, `ALTER TABLE ${KS}.users ADD nickname text`);
    const after = (await client.metadata.getTable(KS, 'users'))!;
    expect(after).not.toBe(before);
    expect(after.columnsByName['nickname']?.type).toEqual({ code: 0x0a, info: null });
    await ddl(client, `ALTER TABLE ${KS}.users WITH comment = 'changed'`);
    expect((await client.metadata.getTable(KS, 'users'))!.comment).toBe('changed');
    await ddl(client, `CREATE TABLE ${KS}.later (k int PRIMARY KEY)`);
    expect((await client.metadata.getTable(KS, 'later'))?.name).toBe('later');
  });

  it('a DDL by another client: the SCHEMA_CHANGE event invalidates the cache', async () => {
    const before = (await client.metadata.getTable(KS, 'counters'))!;
    expect(before.comment).toBe('');
    await ref.execute(`ALTER TABLE ${KS}.counters WITH comment = 'from the other driver'`);
    await ref.execute(`CREATE TYPE ${KS}.later_type (x int)`);
    let comment: string | null = null;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      comment = (await client.metadata.getTable(KS, 'counters'))!.comment;
      if (comment === 'from the other driver') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(comment).toBe('from the other driver');
    expect((await client.metadata.getUdt(KS, 'later_type'))?.fields.map((f) => f.name)).toEqual(['x']);
    // A keyspace created elsewhere appears, a dropped one disappears.
    await ref.execute(`CREATE KEYSPACE IF NOT EXISTS ${OTHER_KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await waitFor(() => client.metadata.keyspaces[OTHER_KS] !== undefined);
    await ref.execute(`DROP KEYSPACE ${OTHER_KS}`);
    await waitFor(() => client.metadata.keyspaces[OTHER_KS] === undefined);
  });

  it('isMetadataSyncEnabled: false keeps nothing', async () => {
    expect(Object.keys(noSync.metadata.keyspaces)).toEqual([]);
    await noSync.metadata.refreshKeyspaces();
    expect(noSync.metadata.keyspaces[KS]).toBeDefined();
  });

  it('token ring: ranges, replicas, newToken, as cassandra-driver', async () => {
    const ours = [...client.metadata.getTokenRanges()].map(String).sort();
    const theirs = [...ref.metadata.getTokenRanges()].map(String).sort();
    expect(ours.length).toBeGreaterThan(0);
    expect(ours).toEqual(theirs);
    const key = Buffer.from('some partition key');
    expect(client.metadata.newToken(key).toString()).toBe(ref.metadata.newToken(key).toString());
    expect(client.metadata.newToken([key, key]).toString()).toBe(ref.metadata.newToken([key, key]).toString());
    expect(client.metadata.newToken('-42').toString()).toBe('-42');
    const t1 = client.metadata.newToken('-1000');
    const t2 = client.metadata.newToken('1000');
    const range = client.metadata.newTokenRange(t1, t2);
    const refRange = ref.metadata.newTokenRange(ref.metadata.newToken('-1000'), ref.metadata.newToken('1000'));
    expect(range.splitEvenly(3).map(String)).toEqual(refRange.splitEvenly(3).map(String));
    expect(range.contains(client.metadata.newToken('0'))).toBe(true);
    expect(range.contains(t1)).toBe(false);
    expect(client.metadata.getReplicas(KS, key).map((h) => h.address)).toEqual(ref.metadata.getReplicas(KS, key).map((h) => h.address));
    expect(client.metadata.getReplicas(KS, range).map((h) => h.address)).toEqual(
      ref.metadata.getReplicas(KS, refRange).map((h) => h.address),
    );
    const host = client.hosts.values()[0]!;
    const refHost = ref.hosts.values()[0]!;
    const forHost = [...client.metadata.getTokenRangesForHost(KS, host)!].map(String).sort();
    expect(forHost).toEqual([...ref.metadata.getTokenRangesForHost(KS, refHost)!].map(String).sort());
    expect(shardcql.token.TokenRange).toBeDefined();
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  // The event is debounced and the refresh is a query: on a busy machine that can take seconds.
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}
