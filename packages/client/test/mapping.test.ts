/**
 * mapping: the CQL the ModelMapper generates for each call shape, its parameters and options, table choice
 * from the key columns (read from system_schema.columns through execute), and the Result adapters.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '@shardcql/core';
import { mapping } from '../src/index';
import type { ResultSet } from '../src/result-set';
import type { BatchQuery } from '../src/client';
import type { QueryOptions } from '../src/execution-options';

const { Mapper, q, UnderscoreCqlToCamelCaseMappings, DefaultTableMappings } = mapping;

type Col = [name: string, kind: string, position: number, type: string];
const SCHEMA: Record<string, Col[]> = {
  users: [
    ['user_id', 'partition_key', 0, 'uuid'],
    ['name', 'regular', -1, 'text'],
    ['email_address', 'regular', -1, 'text'],
    ['tags', 'regular', -1, 'list<text>'],
  ],
  users_by_email: [
    ['email_address', 'partition_key', 0, 'text'],
    ['user_id', 'clustering', 0, 'uuid'],
    ['name', 'regular', -1, 'text'],
  ],
  videos: [
    ['user_id', 'partition_key', 0, 'uuid'],
    ['added', 'clustering', 0, 'timestamp'],
    ['video_id', 'clustering', 1, 'uuid'],
    ['title', 'regular', -1, 'text'],
  ],
  counters: [
    ['id', 'partition_key', 0, 'int'],
    ['hits', 'regular', -1, 'counter'],
  ],
};

interface Call {
  kind: 'execute' | 'batch';
  query: string | Array<{ query: string; params?: unknown }>;
  params?: unknown;
  options?: Record<string, unknown>;
}

function rs(rows: Array<Record<string, unknown>> | undefined, columns: string[] | null): ResultSet {
  return {
    rows,
    columns:
      columns?.map((name) => ({ name, type: { code: name === '[applied]' ? 4 : 13, info: null }, ksname: 'ks', tablename: 't' })) ?? null,
    pageState: null,
    wasApplied: () => !rows || rows.length === 0 || rows[0]!['[applied]'] !== false,
  } as unknown as ResultSet;
}

function fakeClient(answer?: (query: string, params: unknown) => ResultSet) {
  const calls: Call[] = [];
  let schemaReads = 0;
  const client = {
    keyspace: 'ks',
    calls,
    get schemaReads() {
      return schemaReads;
    },
    async execute(query: string, params?: unknown, options?: QueryOptions | null): Promise<ResultSet> {
      if (query.includes('system_schema.columns')) {
        schemaReads++;
        const table = (params as string[])[1]!;
        const cols = SCHEMA[table] ?? [];
        return rs(
          cols.map(([column_name, kind, position, type]) => ({ column_name, kind, position, type })),
          ['column_name', 'kind', 'position', 'type'],
        );
      }
      calls.push({ kind: 'execute', query, params, options: options as Record<string, unknown> });
      return answer ? answer(query, params) : rs(undefined, null);
    },
    async batch(queries: BatchQuery[], options?: QueryOptions | null): Promise<ResultSet> {
      calls.push({ kind: 'batch', query: queries as Call['query'], options: options as Record<string, unknown> });
      return rs(undefined, null);
    },
  };
  return client;
}

describe('mapping.TableMappings', () => {
  it('maps camelCase properties to snake_case columns and back', () => {
    const m = new UnderscoreCqlToCamelCaseMappings();
    expect(m.getColumnName('userId')).toBe('user_id');
    expect(m.getColumnName('emailAddressV2')).toBe('email_address_v2');
    expect(m.getPropertyName('user_id')).toBe('userId');
    expect(m.getPropertyName('a_b_c')).toBe('aBC');
    expect(m.getPropertyName('_private')).toBe('_private');
    const d = new DefaultTableMappings();
    expect(d.getColumnName('userId')).toBe('userId');
    expect(d.newObjectInstance()).toEqual({});
  });
});

describe('mapping.ModelMapper', () => {
  const uid = '00000000-0000-0000-0000-000000000001';
  const options = {
    models: {
      User: { tables: ['users', 'users_by_email'], mappings: new UnderscoreCqlToCamelCaseMappings() },
      Video: {
        tables: ['videos'],
        mappings: new UnderscoreCqlToCamelCaseMappings(),
        columns: {
          title: { name: 'name', toModel: (v: unknown) => String(v).toUpperCase(), fromModel: (v: unknown) => String(v).toLowerCase() },
        },
      },
      Counter: { tables: ['counters'] },
    },
  };

  it('get: picks the table whose primary key is given, selects, maps the row (column mappings, toModel)', async () => {
    const client = fakeClient(() => rs([{ user_id: uid, name: 'ann', email_address: 'a@x' }], ['user_id', 'name', 'email_address']));
    const users = new Mapper(client, options).forModel('User');
    const user = await users.get({ userId: uid });
    expect(user).toEqual({ userId: uid, name: 'ann', emailAddress: 'a@x' });
    expect(client.calls[0]).toMatchObject({
      query: 'SELECT * FROM ks.users WHERE "user_id" = ?',
      params: [uid],
      options: { prepare: true, isIdempotent: true },
    });
    await users.get({ emailAddress: 'a@x', userId: uid }, { fields: ['name'] }, 'slow');
    expect(client.calls[1]).toMatchObject({
      query: 'SELECT "name" FROM ks.users_by_email WHERE "email_address" = ? AND "user_id" = ?',
      params: ['a@x', uid],
      options: { executionProfile: 'slow' },
    });
    // Same shape again: no new schema read, same statement.
    const reads = client.schemaReads;
    await users.get({ userId: uid });
    expect(client.schemaReads).toBe(reads);
    await expect(users.get({ name: 'x' })).rejects.toThrow(ArgumentError);
    await expect(users.get({})).rejects.toThrow(ArgumentError);
  });

  it('find: operators, orderBy, limit; findAll; rows through toModel', async () => {
    const client = fakeClient(() => rs([{ user_id: uid, title: 'clip' }], ['user_id', 'title']));
    const videos = new Mapper(client, options).forModel('Video');
    const t0 = new Date(0);
    const t1 = new Date(1000);
    const result = await videos.find(
      { userId: uid, added: q.and(q.gte(t0), q.lt(t1)) },
      { orderBy: { added: 'desc' }, limit: 10 },
      { fetchSize: 5 },
    );
    expect(client.calls[0]).toMatchObject({
      query: 'SELECT * FROM ks.videos WHERE "user_id" = ? AND "added" >= ? AND "added" < ? ORDER BY "added" DESC LIMIT ?',
      params: [uid, t0, t1, 10],
      options: { prepare: true, fetchSize: 5 },
    });
    expect(result.toArray()).toEqual([{ userId: uid, name: 'CLIP' }]);
    expect([...result]).toEqual(result.toArray());
    expect(result.length).toBe(1);
    await videos.find({ userId: q.in_([uid]), videoId: q.gt(uid) });
    expect(client.calls[1]!.query).toBe('SELECT * FROM ks.videos WHERE "user_id" IN ? AND "video_id" > ?');
    expect(client.calls[1]!.params).toEqual([[uid], uid]);
    await videos.findAll({ fields: ['userId', 'name'], limit: 3 });
    expect(client.calls[2]).toMatchObject({ query: 'SELECT "user_id", "title" FROM ks.videos LIMIT ?', params: [3] });
    await expect(videos.find({ userId: uid }, { orderBy: { added: 'sideways' } })).rejects.toThrow(ArgumentError);
    expect(() => q.in_(1 as never)).toThrow(ArgumentError);
  });

  it('insert: one table, or a batch over every table with the whole primary key; ttl and ifNotExists', async () => {
    const client = fakeClient();
    const users = new Mapper(client, options).forModel('User');
    await users.insert({ userId: uid, name: 'ann' }, { ttl: 60, ifNotExists: true });
    expect(client.calls[0]).toMatchObject({
      kind: 'execute',
      query: 'INSERT INTO ks.users ("user_id", "name") VALUES (?, ?) IF NOT EXISTS USING TTL ?',
      params: [uid, 'ann', 60],
      options: { prepare: true, isIdempotent: false },
    });
    await users.insert({ userId: uid, name: 'ann', emailAddress: 'a@x' }, null, { timestamp: 5 });
    const batch = client.calls[1]!;
    expect(batch.kind).toBe('batch');
    expect(batch.query).toEqual([
      { query: 'INSERT INTO ks.users ("user_id", "name", "email_address") VALUES (?, ?, ?)', params: [uid, 'ann', 'a@x'] },
      { query: 'INSERT INTO ks.users_by_email ("user_id", "name", "email_address") VALUES (?, ?, ?)', params: [uid, 'ann', 'a@x'] },
    ]);
    expect(batch.options).toMatchObject({ prepare: true, isIdempotent: true, timestamp: 5, counter: false });
    await expect(users.insert({ userId: uid, name: 'ann', emailAddress: 'a@x' }, { ifNotExists: true })).rejects.toThrow(
      /cannot span multiple tables/,
    );
    await expect(users.insert({ name: 'x' })).rejects.toThrow(ArgumentError);
  });

  it('update: assignments, when / ifExists, ttl; counters are not idempotent; the not-applied row is mapped', async () => {
    const client = fakeClient((query) =>
      query.includes(' IF ') ? rs([{ '[applied]': false, name: 'bob' }], ['[applied]', 'name']) : rs(undefined, null),
    );
    const mapper = new Mapper(client, options);
    const users = mapper.forModel('User');
    const r1 = await users.update({ userId: uid, name: 'ann', tags: q.append(['t']) }, { ttl: 10 });
    expect(client.calls[0]).toMatchObject({
      query: 'UPDATE ks.users USING TTL ? SET "name" = ?, "tags" = "tags" + ? WHERE "user_id" = ?',
      params: [10, 'ann', ['t'], uid],
      options: { isIdempotent: false },
    });
    expect(r1.wasApplied()).toBe(true);
    expect(r1.first()).toBeNull();
    const r2 = await users.update({ userId: uid, name: 'ann' }, { when: { name: 'carl' } });
    expect(client.calls[1]).toMatchObject({
      query: 'UPDATE ks.users SET "name" = ? WHERE "user_id" = ? IF "name" = ?',
      params: ['ann', uid, 'carl'],
    });
    expect(r2.wasApplied()).toBe(false);
    expect(r2.first()).toEqual({ name: 'bob' });
    await users.update({ userId: uid, tags: q.prepend(['a']) }, { ifExists: true });
    expect(client.calls[2]!.query).toBe('UPDATE ks.users SET "tags" = ? + "tags" WHERE "user_id" = ? IF EXISTS');
    await expect(users.update({ userId: uid, name: 'a' }, { ifExists: true, when: { name: 'b' } })).rejects.toThrow(ArgumentError);
    await mapper.forModel('Counter').update({ id: 1, hits: q.incr(2) });
    expect(client.calls[3]).toMatchObject({
      query: 'UPDATE ks.counters SET "hits" = "hits" + ? WHERE "id" = ?',
      params: [2, 1],
      options: { isIdempotent: false },
    });
  });

  it('remove: by primary key, conditions, only some columns', async () => {
    const client = fakeClient();
    const videos = new Mapper(client, options).forModel('Video');
    const added = new Date(5);
    await videos.remove({ userId: uid, added, videoId: uid });
    expect(client.calls[0]).toMatchObject({
      query: 'DELETE FROM ks.videos WHERE "user_id" = ? AND "added" = ? AND "video_id" = ?',
      params: [uid, added, uid],
      options: { isIdempotent: true },
    });
    await videos.remove({ userId: uid, added, videoId: uid, name: 'X' }, { deleteOnlyColumns: true, when: { name: 'Y' } });
    expect(client.calls[1]).toMatchObject({
      query: 'DELETE "title" FROM ks.videos WHERE "user_id" = ? AND "added" = ? AND "video_id" = ? IF "title" = ?',
      params: [uid, added, uid, 'y'],
      options: { isIdempotent: false },
    });
    await expect(videos.remove({ userId: uid })).rejects.toThrow(ArgumentError);
  });

  it('mapWithQuery: runs the query with the handler params and maps rows', async () => {
    const client = fakeClient(() => rs([{ user_id: uid, email_address: 'z@x' }], ['user_id', 'email_address']));
    const users = new Mapper(client, options).forModel('User');
    const byEmail = users.mapWithQuery(
      'SELECT user_id, email_address FROM ks.users_by_email WHERE email_address = ?',
      (doc) => [doc['emailAddress']],
      'p1',
    );
    const result = await byEmail({ emailAddress: 'z@x' }, 'ignored');
    expect(client.calls[0]).toMatchObject({ params: ['z@x'], options: { prepare: true, executionProfile: 'p1' } });
    expect(result.first()).toEqual({ userId: uid, emailAddress: 'z@x' });
    expect(() => users.mapWithQuery('', () => [])).toThrow(ArgumentError);
  });

  it('a model without options maps to its own table in the client keyspace; no keyspace is an ArgumentError', async () => {
    const client = fakeClient();
    const mapper = new Mapper(client);
    await mapper.forModel('users').insert({ user_id: uid });
    expect(client.calls[0]!.query).toBe('INSERT INTO ks.users ("user_id") VALUES (?)');
    const noKs = fakeClient();
    (noKs as { keyspace?: string }).keyspace = undefined;
    expect(() => new Mapper(noKs).forModel('users')).toThrow(ArgumentError);
    expect(() => new Mapper(null as never)).toThrow(ArgumentError);
  });

  it('mapper.batch: items from modelMapper.batching become one BATCH with the combined options', async () => {
    const client = fakeClient();
    const mapper = new Mapper(client, options);
    const users = mapper.forModel('User');
    const videos = mapper.forModel('Video');
    const added = new Date(7);
    await mapper.batch(
      [
        users.batching.insert({ userId: uid, name: 'ann', emailAddress: 'a@x' }),
        videos.batching.update({ userId: uid, added, videoId: uid, name: 'Clip' }, { ttl: 5 }),
        videos.batching.remove({ userId: uid, added, videoId: uid }),
      ],
      { logged: false, executionProfile: 'p' },
    );
    const call = client.calls[0]!;
    expect(call.kind).toBe('batch');
    expect(call.query).toEqual([
      { query: 'INSERT INTO ks.users ("user_id", "name", "email_address") VALUES (?, ?, ?)', params: [uid, 'ann', 'a@x'] },
      { query: 'INSERT INTO ks.users_by_email ("user_id", "name", "email_address") VALUES (?, ?, ?)', params: [uid, 'ann', 'a@x'] },
      {
        query: 'UPDATE ks.videos USING TTL ? SET "title" = ? WHERE "user_id" = ? AND "added" = ? AND "video_id" = ?',
        params: [5, 'clip', uid, added, uid],
      },
      { query: 'DELETE FROM ks.videos WHERE "user_id" = ? AND "added" = ? AND "video_id" = ?', params: [uid, added, uid] },
    ]);
    expect(call.options).toMatchObject({ prepare: true, logged: false, counter: false, isIdempotent: true, executionProfile: 'p' });
    await mapper.batch([mapper.forModel('Counter').batching.update({ id: 1, hits: q.incr(1) })]);
    expect(client.calls[1]!.options).toMatchObject({ counter: true, isIdempotent: false });
    await expect(mapper.batch([])).rejects.toThrow(ArgumentError);
    await expect(mapper.batch([{} as never])).rejects.toThrow(ArgumentError);
  });
});
