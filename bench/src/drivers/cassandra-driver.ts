// DataStax cassandra-driver 4.x, used as its docs recommend for throughput: prepared statements
// (`prepare: true`), one connection per host (the v3+ default), Long values for bigint columns.

import { Client, types } from 'cassandra-driver';
import { checkRow, INSERT_CQL, LOCAL_DC, MAX_REQUESTS_PER_CONNECTION, SELECT_CQL, type BenchDriver, type ConnectOptions } from './driver';

const PREPARED = { prepare: true } as const;
const Long = types.Long;

export class CassandraDriverBench implements BenchDriver {
  readonly name = 'cassandra-driver';
  private client!: Client;

  async connect(contactPoint: string, port: number, options: ConnectOptions): Promise<void> {
    if (options.compression !== 'none') {
      // cassandra-driver 4.x has no compression option: its ClientOptions (index.d.ts) list none and its
      // STARTUP (lib/requests.js) carries CQL_VERSION, DRIVER_NAME, DRIVER_VERSION, NO_COMPACT, never COMPRESSION.
      throw new Error(`cassandra-driver does not implement protocol compression (asked: ${options.compression})`);
    }
    this.client = new Client({
      contactPoints: [contactPoint],
      localDataCenter: LOCAL_DC,
      protocolOptions: { port },
      pooling: { maxRequestsPerConnection: MAX_REQUESTS_PER_CONNECTION },
    });
    await this.client.connect();
  }

  async run(cql: string): Promise<void> {
    await this.client.execute(cql);
  }

  async prepare(): Promise<void> {
    // cassandra-driver prepares on first use: one execute of each statement prepares it (keys
    // outside the benchmark's range, on a table the runner has created).
    await this.client.execute(INSERT_CQL, [Long.fromNumber(-1), Long.fromNumber(-2), Long.fromNumber(-3)], PREPARED);
    await this.client.execute(SELECT_CQL, [Long.fromNumber(-1)], PREPARED);
  }

  insert(pk: number): Promise<unknown> {
    return this.client.execute(INSERT_CQL, [Long.fromNumber(pk), Long.fromNumber(2 * pk), Long.fromNumber(3 * pk)], PREPARED);
  }

  async select(pk: number): Promise<void> {
    const rs = await this.client.execute(SELECT_CQL, [Long.fromNumber(pk)], PREPARED);
    checkRow(pk, rs.rows[0]);
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

export default CassandraDriverBench;
