// `client.metadata` and the `metadata` and `token` namespaces: every method in promise and callback forms.
import { metadata, types, token, Client, Host } from 'cassandra-driver';

declare const client: Client;
const md: metadata.Metadata = client.metadata;

async function promises(host: Host): Promise<void> {
  const ks: { [name: string]: { name: string; strategy: string } } = md.keyspaces;
  console.log(ks['system'].strategy);
  const table: metadata.TableMetadata = await md.getTable('ks', 't');
  const colNames: string[] = table.columns.map((c: metadata.ColumnInfo) => c.name);
  const col: metadata.ColumnInfo = table.columnsByName['id'];
  const dti: metadata.DataTypeInfo = col.type;
  const code: types.dataTypes = dti.code;
  const frozen: boolean = dti.options.frozen || dti.options.reversed; // kept: options is set only on collection, tuple and UDT types here (a run-time difference: cassandra-driver sets it on every column type)
  const pk: metadata.ColumnInfo[] = table.partitionKeys.concat(table.clusteringKeys);
  const order: string[] = table.clusteringOrder;
  const idx: metadata.Index[] = table.indexes;
  if (idx.length > 0) {
    const i = idx[0];
    const kind: metadata.IndexKind = i.kind;
    console.log(i.name, i.target, i.options, kind === metadata.IndexKind.composites, i.isCompositesKind(), i.isCustomKind(), i.isKeysKind()); // kept: metadata.IndexKind is undefined at run time in cassandra-driver too (TypeError there); the type metadata.IndexKind exists
  }
  console.log(table.name, table.comment, table.caching, table.bloomFilterFalsePositiveChance, table.compactionClass, table.compactionOptions,
    table.compression.class, table.crcCheckChange, table.defaultTtl, table.extensions, table.gcGraceSeconds, table.localReadRepairChance, // kept: crcCheckChange is a typo of cassandra-driver's declaration: the property is crcCheckChance in both drivers
    table.maxIndexInterval, table.minIndexInterval, table.populateCacheOnFlush, table.readRepairChance, table.speculativeRetry,
    table.indexInterval, table.isCompact, table.memtableFlushPeriod, table.replicateOnWrite, table.cdc, table.virtual);
  const dc: metadata.DataCollection = table;
  const udt: metadata.Udt = await md.getUdt('ks', 'address');
  const fields: metadata.ColumnInfo[] = udt.fields;
  const fns: metadata.SchemaFunction[] = await md.getFunctions('ks', 'f');
  const fn: metadata.SchemaFunction = await md.getFunction('ks', 'f', ['int']);
  const fn2 = await md.getFunction('ks', 'f', [{ code: types.dataTypes.int, info: null }]);
  console.log(fn.argumentNames, fn.argumentTypes[0].code, fn.body, fn.calledOnNullInput, fn.keyspaceName, fn.language, fn.name, fn.returnType, fn.signature, fn2, fns);
  const aggs: metadata.Aggregate[] = await md.getAggregates('ks', 'a');
  const agg: metadata.Aggregate = await md.getAggregate('ks', 'a', ['int']);
  console.log(agg.argumentTypes, agg.finalFunction, agg.initCondition, agg.keyspaceName, agg.returnType, agg.signature, agg.stateFunction, agg.stateType, aggs);
  const trace: metadata.QueryTrace = await md.getTrace(types.Uuid.random());
  const trace2 = await md.getTrace(types.Uuid.random(), types.consistencies.all);
  console.log(trace.requestType, trace.coordinator.toString(), trace.parameters, trace.startedAt, trace.duration, trace.clientAddress, trace2.events[0].activity, trace.events[0].id);
  await md.refreshKeyspace('ks');
  await md.refreshKeyspaces();
  await md.refreshKeyspaces(false);
  md.clearPrepared();
  const replicas: Host[] = md.getReplicas('ks', Buffer.from([1]));
  const t: token.Token = md.newToken([Buffer.from('a')]);
  const t2 = md.newToken(Buffer.from([1]));
  const t3 = md.newToken('1234');
  const range: token.TokenRange = md.newTokenRange(t, t2);
  const replicas2: Host[] = md.getReplicas('ks', t3).concat(md.getReplicas('ks', range));
  const ranges: Set<token.TokenRange> = md.getTokenRanges();
  const forHost: Set<token.TokenRange> | null = md.getTokenRangesForHost('ks', host);
  console.log(dc, udt, fields, colNames, col, code, frozen, pk, order, replicas, replicas2, ranges, forHost);
}

function callbacks(): void {
  md.getTable('ks', 't', (err: Error, table: metadata.TableMetadata) => console.log(err, table.name));
  md.getTable('ks', 't', (err, table) => console.log(err, table.columns));
  md.getUdt('ks', 'u', (err, udt) => console.log(err, udt.fields));
  md.getFunctions('ks', 'f', (err: Error, fns: metadata.SchemaFunction[]) => console.log(err, fns.length));
  md.getFunction('ks', 'f', ['int'], (err, fn) => console.log(err, fn.body));
  md.getAggregates('ks', 'a', (err, aggs) => console.log(err, aggs.length));
  md.getAggregate('ks', 'a', ['int'], (err: Error, agg: metadata.Aggregate) => console.log(err, agg.stateType));
  md.getMaterializedView('ks', 'v', (err: Error, view: metadata.MaterializedView) => console.log(err, view.tableName, view.whereClause, view.includeAllColumns));
  md.getTrace(types.Uuid.random(), (err, trace) => console.log(err, trace.duration));
  md.getTrace(types.Uuid.random(), types.consistencies.one, (err: Error, trace: metadata.QueryTrace) => console.log(err, trace));
  md.refreshKeyspace('ks', (err) => console.log(err));
  md.refreshKeyspaces((err: Error) => console.log(err));
  md.refreshKeyspaces(true, (err) => console.log(err));
}

function tokens(t: token.Token, r: token.TokenRange): void {
  const cmp: number = t.compare(t);
  const eq: boolean = t.equals(t);
  const type: { code: types.dataTypes; info: any } = t.getType();
  const value: any = t.getValue();
  const start: token.Token = r.start;
  const end: token.Token = r.end;
  const flags: boolean[] = [r.contains(t), r.equals(r), r.isEmpty(), r.isWrappedAround()];
  const parts: token.TokenRange[] = r.splitEvenly(4).concat(r.unwrap());
  console.log(cmp, eq, type, value, start, end, flags, parts, r.compare(r));
}

function state(s: metadata.ClientState, h: Host): string {
  return `${s.getConnectedHosts().length} ${s.getInFlightQueries(h)} ${s.getOpenConnections(h)} ${s.toString()}`;
}
export { promises, callbacks, tokens, state };
