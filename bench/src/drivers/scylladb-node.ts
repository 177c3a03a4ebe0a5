// ScyllaDB's Node.js driver (@scylladb/driver, built on scylla-rust-driver, cassandra-driver API), used as its
// docs recommend for throughput: one Client, prepared statements, and bigint columns as its default has them
// (0.6: BigInt, encoding.useBigIntAsLong defaults to true and a Long is refused; Long otherwise). No registry
// here serves it: `npm run bench:setup` builds it from ../shared/peers/ into SCYLLADB_DRIVER_DIR (git-ignored,
// never a dependency of the project). Loaded at connect(), so a missing build is reported as this driver's
// failure and the CLI goes on with the others.

import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { checkRow, INSERT_CQL, LOCAL_DC, SELECT_CQL, type BenchDriver, type ConnectOptions } from './driver';

/** Where bench:setup builds it (bench/peers/setup.mjs and bench/peers/scylladb-node/peer.mjs use the same path). */
export const SCYLLADB_DRIVER_DIR =
  process.env['SCYLLADB_DRIVER_DIR'] ?? join(resolve(__dirname, '..', '..'), '.peers', 'scylladb-driver', 'nodejs-rs-driver');

interface ScyllaRow {
  [column: string]: unknown;
}
interface ScyllaClient {
  connect(): Promise<void>;
  execute(query: string, params?: unknown[], options?: { prepare?: boolean }): Promise<{ rows: ScyllaRow[] }>;
  shutdown(): Promise<void>;
}
interface ScyllaLong {
  fromNumber(n: number): unknown;
}
export interface ScyllaModule {
  Client: new (options: Record<string, unknown>) => ScyllaClient;
  types: { Long: ScyllaLong };
  defaultOptions?: () => { encoding?: { useBigIntAsLong?: boolean } };
}

/** A number as the driver's default bigint value: BigInt or Long (see the header). */
export function bigintEncoder(module: ScyllaModule): (n: number) => unknown {
  if (module.defaultOptions?.().encoding?.useBigIntAsLong === true) return BigInt;
  const L = module.types.Long;
  return (n) => L.fromNumber(n);
}

/** The built driver, or a thrown Error saying how to build it. */
export function loadScyllaDriver(): { module: ScyllaModule; version: string } {
  const req = createRequire(join(SCYLLADB_DRIVER_DIR, 'package.json'));
  try {
    const version = (req('./package.json') as { version: string }).version;
    return { module: req('./main.js') as ScyllaModule, version };
  } catch (e) {
    throw new Error(
      `@scylladb/driver is not built in ${SCYLLADB_DRIVER_DIR} (npm run bench:setup -- --only scylladb-node): ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

const PREPARED = { prepare: true } as const;

export class ScyllaNodeBench implements BenchDriver {
  readonly name = 'scylladb-node';
  private client!: ScyllaClient;
  private big!: (n: number) => unknown;

  async connect(contactPoint: string, port: number, options: ConnectOptions): Promise<void> {
    if (options.compression !== 'none') {
      throw new Error(`the scylladb-node adapter does not set protocol compression (asked: ${options.compression})`);
    }
    const { module } = loadScyllaDriver();
    this.big = bigintEncoder(module);
    // Host and port in the contact point, as its docs and bench/peers/scylladb-node/peer.mjs do (its
    // client-options.js marks protocolOptions.port "TODO: Add support").
    this.client = new module.Client({ contactPoints: [`${contactPoint}:${port}`], localDataCenter: LOCAL_DC });
    await this.client.connect();
  }

  async run(cql: string): Promise<void> {
    await this.client.execute(cql);
  }

  async prepare(): Promise<void> {
    const b = this.big;
    await this.client.execute(INSERT_CQL, [b(-1), b(-2), b(-3)], PREPARED);
    await this.client.execute(SELECT_CQL, [b(-1)], PREPARED);
  }

  insert(pk: number): Promise<unknown> {
    const b = this.big;
    return this.client.execute(INSERT_CQL, [b(pk), b(2 * pk), b(3 * pk)], PREPARED);
  }

  async select(pk: number): Promise<void> {
    const rs = await this.client.execute(SELECT_CQL, [this.big(pk)], PREPARED);
    checkRow(pk, rs.rows[0]);
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

export default ScyllaNodeBench;
