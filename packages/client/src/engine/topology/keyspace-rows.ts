/**
 * system_schema.keyspaces rows -> replication strategies, as a pure function. A keyspace whose replication
 * class is unknown or whose factors do not parse is reported and left out: requests for it are routed
 * without replica awareness, never failed.
 */
import { parseReplication, type ReplicationStrategy } from '@shardcql/core';

export interface ParsedKeyspaces {
  strategies: Map<string, ReplicationStrategy>;
  problems: string[];
}

export function parseKeyspaceRows(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): ParsedKeyspaces {
  const strategies = new Map<string, ReplicationStrategy>();
  const problems: string[] = [];
  for (const row of rows) {
    const name = row['keyspace_name'];
    if (typeof name !== 'string' || name === '') {
      problems.push('system_schema.keyspaces: a row without keyspace_name: skipped');
      continue;
    }
    const repl = replicationMap(row['replication']);
    if (repl === null) {
      problems.push(`keyspace ${name}: no replication map: no replica-aware routing for it`);
      continue;
    }
    try {
      strategies.set(name, parseReplication(repl));
    } catch (e) {
      problems.push(`keyspace ${name}: ${(e as Error).message}: no replica-aware routing for it`);
    }
  }
  return { strategies, problems };
}

function replicationMap(v: unknown): Record<string, string> | null {
  if (v === null || typeof v !== 'object') return null;
  const out: Record<string, string> = {};
  const entries: Iterable<[unknown, unknown]> = v instanceof Map ? v.entries() : Object.entries(v as Record<string, unknown>);
  for (const [k, val] of entries) out[String(k)] = String(val);
  return out;
}
