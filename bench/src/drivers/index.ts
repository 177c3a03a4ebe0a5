// Driver adapters by name. An adapter whose driver cannot load fails in connect(), so the runner
// reports it and the CLI goes on with the other drivers.

import { CassandraDriverBench } from './cassandra-driver';
import type { BenchDriver } from './driver';
import { ScyllaNodeBench } from './scylladb-node';
import { ShardcqlBench } from './shardcql';

export type { BenchDriver } from './driver';

const factories: Record<string, () => BenchDriver> = {
  'cassandra-driver': () => new CassandraDriverBench(),
  shardcql: () => new ShardcqlBench(),
  'shardcql-nometrics': () => new ShardcqlBench('shardcql-nometrics', false),
  // Built from ../shared/peers/ by bench:setup (no registry serves it).
  'scylladb-node': () => new ScyllaNodeBench(),
};

export const DRIVER_NAMES = Object.keys(factories);

export function createDriver(name: string): BenchDriver {
  const make = factories[name];
  if (make === undefined) throw new Error(`unknown driver '${name}' (known: ${DRIVER_NAMES.join(', ')})`);
  return make();
}
