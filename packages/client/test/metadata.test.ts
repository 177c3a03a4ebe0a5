/**
 * client.metadata without a server: the schema type parser, caching and invalidation on SCHEMA_CHANGE,
 * isMetadataSyncEnabled: false, and tokens / token ranges checked against cassandra-driver's own classes.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error cassandra-driver ships no types for its internal tokenizer (the reference for split points).
import { Murmur3Tokenizer } from 'cassandra-driver/lib/tokenizer';
import { Metadata, TokenRange, type MetadataSource } from '../src/metadata';
import { parseSchemaType } from '../src/metadata/schema-type';
import { murmur3Tokenizer } from '../src/metadata/token';
import type { Row } from '@shardcql/core';

const noUdt = async (): Promise<null> => null;

describe('parseSchemaType', () => {
  it('native, collections, frozen, tuples, vectors, custom, quoted UDTs', async () => {
    expect(await parseSchemaType('ks', 'int', noUdt)).toEqual({ code: 9, info: null });
    expect(await parseSchemaType('ks', 'text', noUdt)).toEqual({ code: 10, info: null });
    expect(await parseSchemaType('ks', 'frozen<list<int>>', noUdt)).toEqual({
      code: 0x20,
      info: { code: 9, info: null },
      options: { frozen: true },
    });
    expect(await parseSchemaType('ks', 'map<text, frozen<set<uuid>>>', noUdt)).toEqual({
      code: 0x21,
      info: [
        { code: 10, info: null },
        { code: 0x22, info: { code: 12, info: null }, options: { frozen: true } },
      ],
      options: { frozen: false },
    });
    expect(await parseSchemaType('ks', 'frozen<tuple<int, text, map<int, int>>>', noUdt)).toMatchObject({
      code: 0x31,
      options: { frozen: true },
    });
    expect(await parseSchemaType('ks', 'vector<float, 3>', noUdt)).toEqual({
      code: 0,
      info: { subtype: { code: 8, info: null }, dimension: 3 },
      customTypeName: 'vector',
    });
    expect(await parseSchemaType('ks', "'org.apache.cassandra.db.marshal.BytesType'", noUdt)).toEqual({
      code: 0,
      info: 'org.apache.cassandra.db.marshal.BytesType',
    });
    expect(await parseSchemaType('ks', 'empty', noUdt)).toEqual({ code: 0, info: 'empty' });
    const asked: string[] = [];
    const udt = { keyspace: 'ks', name: 'My"Type', fields: [] };
    const resolve = async (ks: string, name: string): Promise<typeof udt | null> => {
      asked.push(`${ks}.${name}`);
      return name === 'My"Type' || name === 'addr' ? udt : null;
    };
    expect(await parseSchemaType('ks', 'frozen<"My""Type">', resolve)).toEqual({ code: 0x30, info: udt, options: { frozen: true } });
    expect(await parseSchemaType('ks', 'list<frozen<addr>>', resolve)).toMatchObject({
      code: 0x20,
      info: { code: 0x30, options: { frozen: true } },
    });
    expect(asked).toEqual(['ks.My"Type', 'ks.addr']);
    await expect(parseSchemaType('ks', 'nosuch', resolve)).rejects.toThrow(TypeError);
    await expect(parseSchemaType('ks', 'vector<float, x>', resolve)).rejects.toThrow(TypeError);
  });
});

/** A fake client answering system_schema queries from a table of rows; counts the queries. */
function fakeSource(sync: boolean): MetadataSource & { queries: string[]; comment: string } {
  const src = {
    queries: [] as string[],
    comment: 'one',
    connected: true,
    options: { isMetadataSyncEnabled: sync },
    hosts: { values: () => [] },
    clearPrepared: () => undefined,
    async querySystem(cql: string): Promise<Row[]> {
      src.queries.push(cql);
      const rows = (r: Record<string, unknown>[]): Row[] => r as unknown as Row[];
      if (cql.includes('system_virtual_schema')) return [];
      if (cql.includes('system_schema.keyspaces')) {
        return rows([
          {
            keyspace_name: 'ks',
            durable_writes: true,
            replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' },
          },
        ]);
      }
      if (cql.includes('system_schema.tables') && cql.includes("'ks'") && cql.includes("'t'")) {
        return rows([
          {
            keyspace_name: 'ks',
            table_name: 't',
            comment: src.comment,
            flags: ['compound'],
            caching: { keys: 'ALL' },
            compaction: { class: 'X', a: '1' },
          },
        ]);
      }
      if (cql.includes('system_schema.columns') && cql.includes("'t'")) {
        return rows([
          { column_name: 'k', kind: 'partition_key', position: 0, type: 'int' },
          { column_name: 'c', kind: 'clustering', position: 0, type: 'text', clustering_order: 'desc' },
          { column_name: 's', kind: 'static', position: -1, type: 'frozen<u>' },
        ]);
      }
      if (cql.includes('system_schema.types') && cql.includes("'u'"))
        return rows([{ keyspace_name: 'ks', type_name: 'u', field_names: ['a'], field_types: ['int'] }]);
      return [];
    },
  };
  return src;
}

describe('Metadata caching', () => {
  it('keeps objects per keyspace until a SCHEMA_CHANGE names them; concurrent lookups share one query', async () => {
    const src = fakeSource(true);
    const m = new Metadata(src);
    await m.refreshKeyspaces();
    const [a, b] = await Promise.all([m.getTable('ks', 't'), m.getTable('ks', 't')]);
    expect(a).toBe(b);
    expect(a!.comment).toBe('one');
    expect(a!.clusteringOrder).toEqual(['DESC']);
    expect(a!.columnsByName['s']!.isStatic).toBe(true);
    expect(a!.columnsByName['s']!.type).toEqual({
      code: 0x30,
      info: { keyspace: 'ks', name: 'u', fields: [{ name: 'a', type: { code: 9, info: null } }] },
      options: { frozen: true },
    });
    expect(a!.compactionClass).toBe('X');
    expect(a!.compactionOptions).toEqual({ a: '1' });
    expect(a!.caching).toBe('{"keys":"ALL"}');
    const tableQueries = (): number => src.queries.filter((q) => q.includes('system_schema.tables')).length;
    expect(tableQueries()).toBe(1);
    expect(await m.getTable('ks', 't')).toBe(a);
    src.comment = 'two';
    await m.onSchemaChange({ type: 'SCHEMA_CHANGE', change: 'UPDATED', target: 'TABLE', keyspace: 'ks', name: 'other' });
    expect(await m.getTable('ks', 't')).toBe(a);
    await m.onSchemaChange({ type: 'SCHEMA_CHANGE', change: 'UPDATED', target: 'TABLE', keyspace: 'ks', name: 't' });
    const c = await m.getTable('ks', 't');
    expect(c).not.toBe(a);
    expect(c!.comment).toBe('two');
    expect(tableQueries()).toBe(2);
    // Misses are not kept; unknown keyspaces are null without a query.
    const before = src.queries.length;
    expect(await m.getTable('nope', 't')).toBeNull();
    expect(src.queries.length).toBe(before);
    expect(await m.getTable('ks', 'missing')).toBeNull();
    expect(await m.getTable('ks', 'missing')).toBeNull();
    expect(src.queries.filter((q) => q.includes("'missing'") && q.includes('system_schema.tables'))).toHaveLength(2);
    await m.onSchemaChange({ type: 'SCHEMA_CHANGE', change: 'DROPPED', target: 'KEYSPACE', keyspace: 'ks', name: null });
    expect(m.keyspaces['ks']).toBeUndefined();
    expect(await m.getTable('ks', 't')).toBeNull();
  });

  it('isMetadataSyncEnabled: false queries every time and keeps nothing', async () => {
    const src = fakeSource(false);
    const m = new Metadata(src);
    const a = await m.getTable('ks', 't');
    const b = await m.getTable('ks', 't');
    expect(a).not.toBe(b);
    expect(a!.name).toBe('t');
    expect(Object.keys(m.keyspaces)).toEqual([]);
  });

  it('a keyspace created or dropped while a full load is in flight is not undone when that load lands', async () => {
    // The full load answers with the schema as it was when it was read: before CREATE ks2 and DROP ks.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const ksRow = (name: string): Record<string, unknown> => ({
      keyspace_name: name,
      durable_writes: true,
      replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' },
    });
    const src = fakeSource(true);
    src.querySystem = async (cql: string): Promise<Row[]> => {
      if (cql === 'SELECT * FROM system_schema.keyspaces') {
        await gate;
        return [ksRow('ks'), ksRow('old')] as unknown as Row[];
      }
      if (cql.includes('system_schema.keyspaces') && cql.includes("'ks2'")) return [ksRow('ks2')] as unknown as Row[];
      return [];
    };
    const m = new Metadata(src);
    const full = m.refreshKeyspaces();
    await m.onSchemaChange({ type: 'SCHEMA_CHANGE', change: 'CREATED', target: 'KEYSPACE', keyspace: 'ks2', name: null });
    await m.onSchemaChange({ type: 'SCHEMA_CHANGE', change: 'DROPPED', target: 'KEYSPACE', keyspace: 'ks', name: null });
    release();
    await full;
    expect(Object.keys(m.keyspaces).sort()).toEqual(['ks2', 'old']);
    // With nothing in flight, a later full load is the truth again.
    await m.refreshKeyspaces();
    expect(Object.keys(m.keyspaces).sort()).toEqual(['ks', 'old']);
  });

  it('of two overlapping full loads, the older one landing last does not replace the newer one', async () => {
    const gates: Array<() => void> = [];
    const answers = [
      ['ks', 'old'],
      ['ks', 'new'],
    ];
    let n = 0;
    const src = fakeSource(true);
    src.querySystem = async (cql: string): Promise<Row[]> => {
      if (cql !== 'SELECT * FROM system_schema.keyspaces') return [];
      const names = answers[n++]!;
      await new Promise<void>((r) => gates.push(r));
      return names.map((k) => ({
        keyspace_name: k,
        durable_writes: true,
        replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' },
      })) as unknown as Row[];
    };
    const m = new Metadata(src);
    const first = m.refreshKeyspaces();
    const second = m.refreshKeyspaces();
    await new Promise((r) => setTimeout(r, 0));
    gates[1]!();
    await second;
    gates[0]!();
    await first;
    expect(Object.keys(m.keyspaces).sort()).toEqual(['ks', 'new']);
  });

  it('before connect: a DriverError', async () => {
    const src = fakeSource(true);
    src.connected = false;
    const m = new Metadata(src);
    await expect(m.getTable('ks', 't')).rejects.toThrow(/not been initialized/);
    expect(await m.checkSchemaAgreement()).toBe(false);
  });

  it("checkSchemaAgreement is the engine's one check (the client's), false when it fails", async () => {
    const src = fakeSource(true);
    const answers: (boolean | Error)[] = [true, false, new Error('control connection lost')];
    let asked = 0;
    src.checkSchemaAgreement = async () => {
      const a = answers[asked++]!;
      if (a instanceof Error) throw a;
      return a;
    };
    const m = new Metadata(src);
    expect(await m.checkSchemaAgreement()).toBe(true);
    expect(await m.checkSchemaAgreement()).toBe(false);
    expect(await m.checkSchemaAgreement()).toBe(false);
    expect(asked).toBe(3);
  });
});

describe('tokens', () => {
  const ref = new Murmur3Tokenizer();
  it('hash, parse and split as cassandra-driver', () => {
    for (const s of ['', 'a', 'hello world', '0123456789abcdef0123']) {
      expect(murmur3Tokenizer.hash(Buffer.from(s)).toString()).toBe(ref.hash(Buffer.from(s)).toString());
    }
    const cases: Array<[string, string, number]> = [
      ['-100', '100', 3],
      ['100', '-100', 4],
      ['-9223372036854775808', '-9223372036854775808', 5],
      ['9000000000000000000', '-9000000000000000000', 7],
    ];
    for (const [s, e, n] of cases) {
      const ours = new TokenRange(murmur3Tokenizer.parse(s), murmur3Tokenizer.parse(e)).splitEvenly(n).map(String);
      const theirs = ref.split(ref.parse(s), ref.parse(e), n).map(String);
      expect(ours.slice(1).map((r) => r.slice(1, r.indexOf(',')))).toEqual(theirs);
    }
  });

  it('ranges: contains, wrap, unwrap, empty', () => {
    const t = (v: string) => murmur3Tokenizer.parse(v);
    const wrapped = new TokenRange(t('100'), t('-100'));
    expect(wrapped.isWrappedAround()).toBe(true);
    expect(wrapped.contains(t('200'))).toBe(true);
    expect(wrapped.contains(t('-200'))).toBe(true);
    expect(wrapped.contains(t('0'))).toBe(false);
    expect(wrapped.unwrap().map(String)).toEqual([']100, -9223372036854775808]', ']-9223372036854775808, -100]']);
    expect(new TokenRange(t('5'), t('5')).isEmpty()).toBe(true);
    const min = murmur3Tokenizer.minToken();
    expect(new TokenRange(min, min).contains(t('123'))).toBe(true);
    expect(() => murmur3Tokenizer.parse('9223372036854775808')).toThrow();
    expect(() => new TokenRange(t('5'), t('5')).splitEvenly(2)).toThrow();
  });
});
