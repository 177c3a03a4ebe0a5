// Keyspaces of this run's own. The test node is shared (developers, agents, two `vitest` runs at once): a
// fixed name let one run's `DROP KEYSPACE` or fill land in the middle of another run of the same file.
import { Client } from '../../src/index';
import { PATIENT_MS } from './busy-server';
import { localDataCenter } from './local-dc';

/** `<base>_<pid>`: one name per test process (vitest runs each file in one), short of the 48-character limit. */
export function ownKeyspace(base: string): string {
  return `${base}_${process.pid}`;
}

/** Drops the keyspaces in an afterAll (they are per run, so nothing else would); never fails the file. */
export async function dropKeyspaces(names: readonly string[], client?: Client): Promise<void> {
  const c = client ?? new Client({ contactPoints: ['127.0.0.1'], localDataCenter: await localDataCenter(), shardcql: { workers: 1 } });
  try {
    for (const ks of names) await c.execute(`DROP KEYSPACE IF EXISTS ${ks}`, [], { readTimeout: PATIENT_MS }).catch(() => undefined);
  } finally {
    if (client === undefined) await c.shutdown();
  }
}
