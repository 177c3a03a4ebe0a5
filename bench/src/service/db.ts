// The service's database access, the same for every driver: all three speak the cassandra-driver API
// (Client, execute(query, params, { prepare: true }), types.Long), so one class serves them; only how the
// client is made differs. The service's own keyspace (not the bench CLI's benchks), so runs against a shared
// Cassandra touch nothing of anyone else's.

import { LOCAL_DC, MAX_REQUESTS_PER_CONNECTION } from '../drivers/driver';
import { bigintEncoder, loadScyllaDriver, type ScyllaModule } from '../drivers/scylladb-node';

export const SERVICE_DRIVERS = ['shardcql', 'cassandra-driver', 'scylladb-node'] as const;
export type ServiceDriver = (typeof SERVICE_DRIVERS)[number];

export const SERVICE_KEYSPACE = 'shardcql_service_bench';
const KEYSPACE_CQL = `CREATE KEYSPACE IF NOT EXISTS ${SERVICE_KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`;
const TABLE_CQL = `CREATE TABLE IF NOT EXISTS ${SERVICE_KEYSPACE}.accounts (pk bigint PRIMARY KEY, v1 bigint, v2 bigint)`;
const SELECT_CQL = `SELECT pk, v1, v2 FROM ${SERVICE_KEYSPACE}.accounts WHERE pk = ?`;
const INSERT_CQL = `INSERT INTO ${SERVICE_KEYSPACE}.accounts (pk, v1, v2) VALUES (?, ?, ?)`;

interface CqlResult {
  rows: unknown[];
}
/** The part of the cassandra-driver Client surface the service uses (all three drivers have it). */
export interface CqlClient {
  connect(): Promise<void>;
  execute(query: string, params?: unknown[], options?: { prepare?: boolean }): Promise<CqlResult>;
  shutdown(): Promise<void>;
}
interface LongType {
  fromNumber(n: number): unknown;
}
interface CqlModule {
  Client: new (options: Record<string, unknown>) => CqlClient;
  types: { Long: LongType };
}

/** Where the service's database is. */
export interface DbAddress {
  driver: ServiceDriver;
  host: string;
  port: number;
}

const PREPARED = { prepare: true } as const;

export class ServiceDb {
  /** `big`: a number as the driver's bigint value (Long; BigInt for @scylladb/driver 0.6's default). */
  constructor(
    readonly client: CqlClient,
    private readonly big: (n: number) => unknown,
  ) {}

  /** Connects a new client of `a.driver` (the schema is made once per invocation by the CLI, see createSchema). */
  static async open(a: DbAddress): Promise<ServiceDb> {
    const mod = await loadModule(a.driver);
    const client = new mod.Client(clientOptions(a));
    await client.connect();
    const db = new ServiceDb(client, bigintOf(a.driver, mod));
    await db.prepare();
    return db;
  }

  /** Prepares both statements (keys outside the service's range). */
  async prepare(): Promise<void> {
    await this.insert(-1);
    await this.select(-1);
  }

  /** One row read; returns how many rows came back. */
  async select(pk: number): Promise<number> {
    const rs = await this.client.execute(SELECT_CQL, [this.big(pk)], PREPARED);
    return rs.rows.length;
  }

  insert(pk: number): Promise<CqlResult> {
    const b = this.big;
    return this.client.execute(INSERT_CQL, [b(pk), b(2 * pk), b(3 * pk)], PREPARED);
  }

  close(): Promise<void> {
    return this.client.shutdown();
  }
}

/** CREATE KEYSPACE/TABLE IF NOT EXISTS, once, before the services start. */
export async function createSchema(a: DbAddress): Promise<void> {
  const mod = await loadModule(a.driver);
  const client = new mod.Client(clientOptions(a));
  await client.connect();
  try {
    await client.execute(KEYSPACE_CQL);
    await client.execute(TABLE_CQL);
  } finally {
    await client.shutdown();
  }
}

export async function loadModule(driver: ServiceDriver): Promise<CqlModule> {
  switch (driver) {
    case 'shardcql':
      return (await import('@shardcql/client')) as unknown as CqlModule;
    case 'cassandra-driver':
      return (await import('cassandra-driver')) as unknown as CqlModule;
    case 'scylladb-node':
      return loadScyllaDriver().module as unknown as CqlModule;
  }
}

export function bigintOf(driver: ServiceDriver, mod: CqlModule): (n: number) => unknown {
  if (driver === 'scylladb-node') return bigintEncoder(mod as unknown as ScyllaModule);
  const L = mod.types.Long;
  return (n) => L.fromNumber(n);
}

/** Each driver's options as the bench CLI's adapters set them (src/drivers/). */
export function clientOptions(a: DbAddress): Record<string, unknown> {
  if (a.driver === 'scylladb-node') return { contactPoints: [`${a.host}:${a.port}`], localDataCenter: LOCAL_DC };
  return {
    contactPoints: [a.host],
    localDataCenter: LOCAL_DC,
    protocolOptions: { port: a.port },
    pooling: { maxRequestsPerConnection: MAX_REQUESTS_PER_CONNECTION },
  };
}
