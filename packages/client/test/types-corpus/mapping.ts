// The `mapping` namespace: Mapper, ModelMapper (every method, typed and untyped), batching, q operators,
// table mappings and Result.
import { mapping, types, Client } from 'cassandra-driver';
import Mapper = mapping.Mapper;
import ModelMapper = mapping.ModelMapper;
import q = mapping.q;

interface User {
  id: types.Uuid;
  name: string;
  email?: string;
}
declare const client: Client;

const mapper = new Mapper(client, {
  models: {
    User: { tables: ['users'], keyspace: 'ks', mappings: new mapping.UnderscoreCqlToCamelCaseMappings() },
    Video: {
      tables: [{ name: 'videos', isView: false }, { name: 'videos_by_user', isView: true }],
      columns: { video_id: 'videoId', tags: { name: 'tagList', toModel: (v: any) => v, fromModel: (v: any) => v } },
      mappings: new mapping.DefaultTableMappings(),
    },
  },
});
const mapper2 = new Mapper(client);
const userMapper: ModelMapper<User> = mapper.forModel<User>('User');
const anyMapper: mapping.ModelMapper = mapper.forModel('Video');
const name: string = userMapper.name;

async function crud(id: types.Uuid): Promise<void> {
  const user: User | null = await userMapper.get({ id });
  const user2 = await userMapper.get({ id }, { fields: ['id', 'name'] }, 'default');
  if (user2) console.log(user2.name);
  const video = await anyMapper.get({ videoId: id });
  console.log(video.title);
  const found: mapping.Result<User> = await userMapper.find({ name: 'a' }, { fields: ['id'], orderBy: { name: 'desc' }, limit: 10 }, { fetchSize: 10 });
  const all = await userMapper.findAll({ limit: 100 }, { executionProfile: 'default', pageState: undefined });
  const all2 = await userMapper.findAll();
  const first: User | null = found.first();
  const arr: User[] = all.toArray();
  all2.forEach((u: User, i: number) => console.log(u.name, i));
  all2.forEach(function (this: unknown, u) { console.log(u.id); }, {});
  for (const u of arr) console.log(u.email);
  const applied: boolean = (await userMapper.insert({ id, name: 'n' }, { ttl: 60, ifNotExists: true, fields: ['id', 'name'] })).wasApplied();
  await userMapper.insert({ id, name: 'n' });
  await userMapper.update({ id, name: q.incr(1) }, { ifExists: true, when: { name: 'x' }, ttl: 10, fields: ['name'], deleteOnlyColumns: false });
  await userMapper.update({ id, tags: q.append(['a']) }, undefined, { isIdempotent: true, logged: true, timestamp: types.Long.fromNumber(1) });
  await userMapper.remove({ id }, { ifExists: true, when: { name: 'x' }, fields: ['email'], deleteOnlyColumns: true });
  await userMapper.remove({ id }, {}, 'default');
  await userMapper.find({ id: q.in_([id]), age: q.gt(18) });
  await userMapper.find({ age: q.and(q.gte(18), q.lt(65)), score: q.lte(10), name: q.notEq('x') });
  await userMapper.update({ id, n: q.decr(1), list: q.prepend([1]), set: q.remove([2]) });
  const r = all.next(); // kept: mapping.Result has no next() at run time in either driver (cassandra-driver declares `extends Iterator<T>`); iterate it with for..of
  if (!r.done) console.log(r.value.name);
  console.log(user, first, applied);
}

async function withQuery(): Promise<void> {
  const byId = userMapper.mapWithQuery('SELECT * FROM users WHERE id = ?', (doc: { id: types.Uuid }) => [doc.id]);
  const result: mapping.Result<User> = await byId({ id: types.Uuid.random() });
  const byName = userMapper.mapWithQuery('SELECT * FROM users WHERE name = ?', (doc) => [doc.name], { fetchSize: 10 });
  const res2 = await byName({ name: 'x' }, 'default');
  const res3 = await byName({ name: 'x' }, { executionProfile: 'default' });
  const byEmail = anyMapper.mapWithQuery('SELECT * FROM videos WHERE email = ?', (doc: any) => [doc.email], 'default');
  console.log(result.first(), res2.toArray(), res3.wasApplied(), (await byEmail({ email: 'e' })).first());
}

async function batches(id: types.Uuid): Promise<void> {
  const items: mapping.ModelBatchItem[] = [
    userMapper.batching.insert({ id, name: 'n' }),
    userMapper.batching.insert({ id, name: 'n' }, { ttl: 5, ifNotExists: false, fields: ['id'] }),
    userMapper.batching.update({ id, name: 'x' }, { ifExists: true }),
    userMapper.batching.remove({ id }, { when: { name: 'x' } }),
  ];
  const batching: mapping.ModelBatchMapper = anyMapper.batching;
  const result: mapping.Result = await mapper.batch(items);
  const result2 = await mapper.batch(items, 'default');
  const result3 = await mapper2.batch([batching.insert({ id })], { logged: true, isIdempotent: true, timestamp: 1 });
  console.log(result.wasApplied(), result2.toArray(), result3.first());
}

class PrefixMappings implements mapping.TableMappings {
  getColumnName(propName: string): string {
    return `c_${propName}`;
  }
  getPropertyName(columnName: string): string {
    return columnName.slice(2);
  }
  newObjectInstance(): any {
    return {};
  }
}
class Camel extends mapping.UnderscoreCqlToCamelCaseMappings {
  getColumnName(propName: string): string {
    return super.getColumnName(propName);
  }
}
const mappings: mapping.TableMappings[] = [new PrefixMappings(), new Camel(), new mapping.DefaultTableMappings()];
const col: string = mappings[1].getColumnName('userId') + mappings[1].getPropertyName('user_id');
const obj: any = mappings[2].newObjectInstance();
const op: mapping.q.QueryOperator = q.in_([1, 2]);
const opts: mapping.MappingOptions = { models: { A: { tables: ['a'] } } };
const mopts: mapping.ModelOptions = { tables: ['a'], keyspace: 'ks', columns: { a: 'b' } };
const copts: mapping.ModelColumnOptions = { name: 'n', toModel: (v) => v, fromModel: (v) => v };
const eopts: mapping.MappingExecutionOptions = { executionProfile: 'x', isIdempotent: true, logged: false, timestamp: 1, fetchSize: 10, pageState: 1 }; // kept: pageState is a hex string or Buffer (cassandra-driver declares number, which no paging state is)
const fdi: mapping.FindDocInfo = { fields: ['a'], orderBy: { a: 'asc' }, limit: 1 };
const idi: mapping.InsertDocInfo = { fields: ['a'], ttl: 1, ifNotExists: true };
const udi: mapping.UpdateDocInfo = { fields: ['a'], ttl: 1, ifExists: true, when: { a: 1 }, orderBy: { a: 'asc' }, limit: 1, deleteOnlyColumns: true };
const rdi: mapping.RemoveDocInfo = { fields: ['a'], ttl: 1, ifExists: true, when: { a: 1 }, deleteOnlyColumns: true };
const mt: mapping.ModelTables = { name: 't', isView: false };
export { crud, withQuery, batches, name, col, obj, op, opts, mopts, copts, eopts, fdi, idi, udi, rdi, mt };
