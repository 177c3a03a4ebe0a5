// The Client, as cassandra-driver's index.d.ts declares it: constructor, every overload of every method in its
// promise and callback forms, the fields an application reads, and its events.
import * as cassandra from 'cassandra-driver';
import { Client, types, ExecutionProfile, ValueCallback, EmptyCallback, ArrayOrObject, Host, HostMap, DseClientOptions } from 'cassandra-driver';

const client = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'datacenter1', keyspace: 'ks' });
const client2: cassandra.Client = new cassandra.Client({ contactPoints: ['h1', 'h2:9043'], localDataCenter: 'dc1' } as DseClientOptions);
const version: number = cassandra.version; // kept: version is a string at run time in both drivers ('4.10.0'); cassandra-driver declares number
const defaults: cassandra.ClientOptions = cassandra.defaultOptions();

async function promises(): Promise<void> {
  await client.connect();
  const rs: types.ResultSet = await client.execute('SELECT * FROM t');
  const rs2 = await client.execute('SELECT * FROM t WHERE id = ?', [1]);
  const rs3 = await client.execute('SELECT * FROM t WHERE id = :id', { id: 1 }, { prepare: true });
  const rs4 = await client.execute('SELECT * FROM t', undefined, { fetchSize: 10 });
  const rs5 = await client.execute('SELECT * FROM t', [], { consistency: types.consistencies.localQuorum, prepare: true });
  const b: types.ResultSet = await client.batch(['INSERT INTO t (a) VALUES (1)', { query: 'INSERT INTO t (a) VALUES (?)', params: [2] }]);
  const b2 = await client.batch([{ query: 'UPDATE c SET n = n + 1 WHERE k = ?', params: [1] }], { prepare: true, counter: true });
  const b3 = await client.batch([{ query: 'INSERT INTO t (a) VALUES (?)' }], { logged: false });
  await client.shutdown();
  void rs; void rs2; void rs3; void rs4; void rs5; void b; void b2; void b3;
}

function callbacks(): void {
  client.connect((err) => {
    if (err) console.error(err.message);
  });
  client.connect((err: Error) => console.log(err.stack));
  const onResult: ValueCallback<types.ResultSet> = (err, rs) => {
    if (err) return console.error(err);
    console.log(rs.rowLength, rs.rows.length, rs.first().id);
  };
  client.execute('SELECT * FROM t', onResult);
  // cassandra-driver's overloads leave an unannotated callback here without a contextual type (TS7006).
  client.execute('SELECT * FROM t', (err: Error, result: types.ResultSet) => {
    if (err) throw err;
    const row = result.first();
    console.log(row.name, row['v'] + 1);
  });
  client.execute('SELECT * FROM t', (err: Error, rs: types.ResultSet) => {
    console.log(err, rs.rows[0].get('name'));
  });
  client.execute('SELECT * FROM t WHERE a = ?', [1], (err, rs) => console.log(err, rs.rows));
  client.execute('SELECT * FROM t WHERE a = ?', { a: 1 }, (err: Error, rs: types.ResultSet) => console.log(err, rs.info));
  client.execute('SELECT * FROM t WHERE a = ?', [1], { prepare: true }, (err, rs) => console.log(err, rs.pageState));
  client.execute('SELECT * FROM t WHERE a = ?', [1], {}, function (err: Error, rs: types.ResultSet) {
    console.log(err.message, rs.columns.length);
  });
  client.batch(['INSERT INTO t (a) VALUES (1)'], (err) => console.log(err));
  client.batch(['INSERT INTO t (a) VALUES (1)'], { prepare: true }, (err: Error, rs: types.ResultSet) => console.log(err, rs.wasApplied()));
  client.batch([{ query: 'INSERT INTO t (a) VALUES (?)', params: [1] }], {}, (err, rs) => console.log(err, rs.info.queriedHost));
  client.shutdown((err) => console.log(err));
  client.shutdown((err: Error) => console.log(err));
  const done: EmptyCallback = (err) => console.log(err);
  client.shutdown(done);
}

function eachRow(): void {
  client.eachRow('SELECT * FROM t', (n, row) => console.log(n, row.a));
  client.eachRow('SELECT * FROM t', (n: number, row: types.Row) => console.log(n + 1, row.get('a')));
  client.eachRow('SELECT * FROM t WHERE a = ?', [1], (n, row) => console.log(n, row.keys()));
  client.eachRow('SELECT * FROM t WHERE a = ?', [1], (n, row) => console.log(n, row), (err, rs) => console.log(err, rs.rowLength));
  client.eachRow('SELECT * FROM t WHERE a = ?', { a: 1 }, { prepare: true, autoPage: true }, (n, row) => console.log(n, row.values()));
  client.eachRow('SELECT * FROM t', [], { prepare: true, fetchSize: 100 }, (n: number, row: types.Row) => {
    console.log(n, row.a);
  }, (err: Error, rs: types.ResultSet) => {
    if (rs.nextPage) rs.nextPage();
    console.log(err);
  });
  client.eachRow('SELECT * FROM t', [], { autoPage: false }, (n, row) => console.log(n, row), (err, result) => {
    if (result && result.nextPage) result.nextPage();
  });
}

function streams(): void {
  const s = client.stream('SELECT * FROM t');
  s.on('readable', function (this: types.ResultStream) {
    let row: types.Row;
    while ((row = this.read())) console.log(row.a);
  });
  s.on('end', () => console.log('end'));
  s.on('error', (err: Error) => console.error(err));
  const s2: NodeJS.EventEmitter = client.stream('SELECT * FROM t WHERE a = ?', [1], { prepare: true });
  client.stream('SELECT * FROM t', [], {}, (err) => console.log(err));
  client.stream('SELECT * FROM t', undefined, undefined, (err: Error) => console.log(err));
  void s2;
}

class AppClient extends Client {
  constructor() {
    super({ contactPoints: ['h'], localDataCenter: 'dc1' });
  }
  async one(id: types.Uuid): Promise<types.Row> {
    return (await this.execute('SELECT * FROM t WHERE id = ?', [id], { prepare: true })).first();
  }
}
function generic<T>(rs: types.ResultSet, map: (row: types.Row) => T): T[] {
  return rs.rows.map(map);
}
async function wrapped(): Promise<string[]> {
  const rs = await client.execute('SELECT name FROM t');
  return generic(rs, (row) => row.name);
}
function asPromise(query: string): Promise<types.ResultSet> {
  return new Promise((resolve, reject) => client.execute(query, [], {}, (err, rs) => (err ? reject(err) : resolve(rs))));
}

function fields(): void {
  const hosts: HostMap = client.hosts;
  const ks: string = client.keyspace;
  const md: cassandra.metadata.Metadata = client.metadata;
  const m: cassandra.metrics.ClientMetrics = client.metrics;
  const state: cassandra.metadata.ClientState = client.getState();
  const replicas: Host[] = client.getReplicas('ks', Buffer.from([0, 1]));
  console.log(hosts.length, ks, md, m, state.getConnectedHosts(), replicas[0].address);
  hosts.forEach((h: Host, key: string) => console.log(key, h.datacenter, h.rack, h.isUp(), h.canBeConsideredAsUp()));
  const h: Host = hosts.get('127.0.0.1:9042');
  const keys: string[] = hosts.keys();
  const values: Host[] = hosts.values();
  console.log(h.address, h.cassandraVersion, h.tokens, h.hostId.toString(), h.getCassandraVersion()[0], keys, values);
  for (const host of state.getConnectedHosts()) {
    console.log(state.getOpenConnections(host), state.getInFlightQueries(host), state.toString());
  }
  h.on('up', () => console.log('up'));
  hosts.on('add', (host: Host) => console.log(host.address));
}

function events(): void {
  client.on('log', (level: string, loggerName: string, message: string, furtherInfo: any) => {
    console.log(level, loggerName, message, furtherInfo);
  });
  client.on('hostAdd', (host: Host) => console.log(host.address));
  client.on('hostRemove', (host) => console.log(host));
  client.on('hostUp', (host: Host) => console.log(host.datacenter));
  client.on('hostDown', (host: Host) => console.log(host.datacenter));
  client.once('connected', () => undefined);
  client.removeAllListeners('log');
  client.emit('log', 'info', 'x', 'y');
}

function profiles(): void {
  const p = new ExecutionProfile('time-series', { consistency: types.consistencies.localOne, readTimeout: 30000 });
  const p2 = new cassandra.ExecutionProfile('default', {});
  const c = new Client({ contactPoints: ['h'], localDataCenter: 'dc1', profiles: [p, p2] });
  c.execute('SELECT 1', [], { executionProfile: 'time-series' });
  c.execute('SELECT 1', [], { executionProfile: p });
  const name: string = p.name;
  const cl: types.consistencies | undefined = p.consistency;
  console.log(name, cl, p.readTimeout, p.retry, p.loadBalancing, p.serialConsistency);
}

const params: ArrayOrObject = [1, 'a'];
const named: ArrayOrObject = { a: 1 };
export { AppClient, wrapped, asPromise, promises, callbacks, eachRow, streams, fields, events, profiles, client2, version, defaults, params, named };
