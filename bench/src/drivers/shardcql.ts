// shardcql through its cassandra-driver-shaped facade (@shardcql/client), with its defaults (one shard
// worker per CPU the client may use, minus one, at least one; per-shard metrics on) or, as
// 'shardcql-nometrics', with the per-shard counters off, to measure what they cost. Loaded dynamically so
// that a failure to load is reported and the CLI goes on with the other drivers.

import { checkRow, INSERT_CQL, LOCAL_DC, MAX_REQUESTS_PER_CONNECTION, SELECT_CQL, type BenchDriver, type ConnectOptions } from './driver';

/** The part of the facade the benchmark uses (the cassandra-driver surface). */
interface FacadeRow {
  [column: string]: unknown;
}
interface FacadeResultSet {
  rows: FacadeRow[];
}
interface FacadeClient {
  connect(): Promise<void>;
  execute(query: string, params?: unknown[], options?: { prepare?: boolean }): Promise<FacadeResultSet>;
  shutdown(): Promise<void>;
}
interface FacadeLong {
  fromNumber(n: number): unknown;
}
interface FacadeModule {
  Client: new (options: Record<string, unknown>) => FacadeClient;
  types: { Long: FacadeLong };
}

const PREPARED = { prepare: true } as const;
const CLIENT_MODULE = '@shardcql/client';

export class ShardcqlBench implements BenchDriver {
  constructor(
    readonly name = 'shardcql',
    private readonly metrics = true,
  ) {}
  private client!: FacadeClient;
  private Long!: FacadeLong;

  async connect(contactPoint: string, port: number, options: ConnectOptions): Promise<void> {
    const mod = (await import(CLIENT_MODULE)) as Partial<FacadeModule>;
    if (typeof mod.Client !== 'function' || typeof mod.types?.Long?.fromNumber !== 'function') {
      throw new Error(`${CLIENT_MODULE} does not export Client and types.Long yet`);
    }
    this.Long = mod.types.Long;
    this.client = new mod.Client({
      contactPoints: [contactPoint],
      localDataCenter: LOCAL_DC,
      protocolOptions: { port },
      pooling: { maxRequestsPerConnection: MAX_REQUESTS_PER_CONNECTION },
      // shardcql falls back to no compression when the server does not offer the one asked: the CLI
      // checks the server's SUPPORTED first, so a row labelled lz4 was compressed.
      shardcql: { metrics: this.metrics, compression: options.compression },
    });
    await this.client.connect();
  }

  async run(cql: string): Promise<void> {
    await this.client.execute(cql);
  }

  async prepare(): Promise<void> {
    const L = this.Long;
    await this.client.execute(INSERT_CQL, [L.fromNumber(-1), L.fromNumber(-2), L.fromNumber(-3)], PREPARED);
    await this.client.execute(SELECT_CQL, [L.fromNumber(-1)], PREPARED);
  }

  insert(pk: number): Promise<unknown> {
    const L = this.Long;
    return this.client.execute(INSERT_CQL, [L.fromNumber(pk), L.fromNumber(2 * pk), L.fromNumber(3 * pk)], PREPARED);
  }

  async select(pk: number): Promise<void> {
    const rs = await this.client.execute(SELECT_CQL, [this.Long.fromNumber(pk)], PREPARED);
    checkRow(pk, rs.rows[0]);
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

export default ShardcqlBench;
