// The opt-in exact types (`strict`): a drop-in Client annotated as strict.Client gives null-aware results,
// `unknown` row values and Node-style callbacks. Every `@ts-expect-error` below is a check the drop-in types
// (cassandra-driver's) let through; the test fails if one of them stops being an error.
import { Client, types, type strict } from '@shardcql/client';

const client: strict.Client = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1' });

async function promises(): Promise<void> {
  const rs: strict.ResultSet = await client.execute('SELECT name, n FROM t WHERE id = ?', [1], { prepare: true });
  const row = rs.first();
  // @ts-expect-error the first row may be null
  console.log(row.name);
  if (row === null) return;
  // @ts-expect-error a value is unknown until checked
  const name: string = row.name;
  const checked: string = typeof row.name === 'string' ? row.name : '';
  // @ts-expect-error unknown + 1
  console.log(row['n'] + 1);
  // @ts-expect-error columns are null for results without rows
  console.log(rs.columns.length, name, checked);
  const ps: string | null = rs.pageState;
  const batch: strict.ResultSet = await client.batch(['INSERT INTO t (id) VALUES (1)']);
  for await (const r of rs) console.log(r.get('name'));
  console.log(ps, batch.info.queriedHost, rs.info.traceId);
}

function callbacks(): void {
  client.execute('SELECT 1', (err, rs) => {
    if (err !== null) return console.error(err.message);
    // @ts-expect-error no result on error: rs may be undefined
    console.log(rs.rows);
    console.log(rs?.first());
  });
  client.execute('SELECT 1', [], {}, (err: Error | null, rs?: strict.ResultSet) => console.log(err, rs));
  client.eachRow('SELECT 1', [], (n: number, row: strict.Row) => console.log(n, row.keys()), (err) => console.log(err));
  client.connect((err) => console.log(err === null));
  client.shutdown((err: Error | null) => console.log(err));
}

// The drop-in view of the same object still compiles cassandra-driver code.
const dropIn = client as unknown as Client;
async function dropInView(): Promise<types.Row> {
  return (await dropIn.execute('SELECT 1')).first();
}
export { promises, callbacks, dropInView };
