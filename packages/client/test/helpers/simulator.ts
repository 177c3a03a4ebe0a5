// The ScyllaDB simulator's own count of EXECUTEs (test/simulator: `SELECT * FROM simulator.misrouted`, one row
// per node and shard), summed over its rows.
import type { Client } from '@shardcql/client';

export interface MisroutedTotals {
  executes: number;
  /** Reached a node that is not a replica of the key. */
  wrongNode: number;
  /** Reached a connection whose shard does not own the key's token. */
  wrongShard: number;
}

export async function misroutedTotals(client: Client): Promise<MisroutedTotals> {
  const rs = await client.execute('SELECT * FROM simulator.misrouted');
  const out = { executes: 0, wrongNode: 0, wrongShard: 0 };
  for (const r of rs.rows) {
    out.executes += Number(String(r['executes']));
    out.wrongNode += Number(String(r['wrong_node']));
    out.wrongShard += Number(String(r['wrong_shard']));
  }
  return out;
}
