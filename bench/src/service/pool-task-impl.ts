// The piscina variant's task: the request's CPU work and its queries, in a pool thread. shardcql queries
// through the service's client (a handle from client.createHandle(), Client.fromHandle here: no connection
// of its own, the owner's shard workers); cassandra-driver and @scylladb/driver cannot share a client across
// threads, so each pool thread connects a client of its own (what their users do).

import { workerData } from 'piscina';
import type { ClientHandle } from '@shardcql/client';
import { bigintOf, loadModule, ServiceDb, type DbAddress } from './db';
import { serveRequest, type RequestShape } from './handler';

/** What the service gives every pool thread (piscina's workerData). */
export interface PoolData {
  address: DbAddress;
  shape: RequestShape;
  /** shardcql: the service client's handle. */
  handle: ClientHandle | null;
}

const data = workerData as PoolData;
let db: Promise<ServiceDb> | null = null;

async function openDb(): Promise<ServiceDb> {
  if (data.handle === null) return ServiceDb.open(data.address);
  const { Client } = await import('@shardcql/client');
  const handleDb = new ServiceDb(Client.fromHandle(data.handle), bigintOf('shardcql', await loadModule('shardcql')));
  await handleDb.prepare();
  return handleDb;
}

export default async function task(pk: number): Promise<number> {
  if (db === null) db = openDb();
  return serveRequest(await db, data.shape, pk);
}
