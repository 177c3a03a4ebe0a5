/**
 * The system-table queries the cluster runs through its control connection (cluster/): topology rows
 * (system.local, system.peers_v2 or system.peers), keyspace replication, and the schema agreement check
 * over their schema_version columns, and the wait that repeats that check. Text and row logic only; the
 * queries are run elsewhere.
 */

export const LOCAL_QUERY = "SELECT * FROM system.local WHERE key='local'";
export const PEERS_V2_QUERY = 'SELECT * FROM system.peers_v2';
export const PEERS_QUERY = 'SELECT * FROM system.peers';
export const KEYSPACES_QUERY = 'SELECT keyspace_name, replication FROM system_schema.keyspaces';
export const LOCAL_SCHEMA_QUERY = "SELECT schema_version FROM system.local WHERE key='local'";
export const PEERS_V2_SCHEMA_QUERY = 'SELECT peer, native_address, schema_version FROM system.peers_v2';
export const PEERS_SCHEMA_QUERY = 'SELECT peer, rpc_address, schema_version FROM system.peers';

type Row = Readonly<Record<string, unknown>>;

/** How often a schema agreement wait checks again. */
const SCHEMA_AGREEMENT_INTERVAL_MS = 200;

/**
 * A schema agreement wait (the owner's through its control connection, a handle's through each node): `round`
 * every 200 ms until it answers true (true), null (a check that ends the wait: false) or `maxWaitMs` passes
 * (false). Never rejects when `round` does not.
 */
export async function waitForAgreement(round: () => Promise<boolean | null>, maxWaitMs: number): Promise<boolean> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const agreed = await round();
    if (agreed !== false) return agreed === true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(SCHEMA_AGREEMENT_INTERVAL_MS, left)));
  }
}

/**
 * Whether every host's schema_version is the same: the local row's and each peer's, ignoring peers the
 * driver considers down (`isUp(address)` false, where address is the peer's native address, else `peer`),
 * as the other drivers do. Peers with a null schema_version (still bootstrapping) are ignored too.
 */
export function schemaVersionsAgree(
  local: Row | undefined,
  peers: readonly Row[],
  peersV2: boolean,
  isUp: (ip: string) => boolean,
): boolean {
  const versions = new Set<string>();
  const lv = local?.['schema_version'];
  if (lv !== null && lv !== undefined) versions.add(String(lv));
  for (const p of peers) {
    const v = p['schema_version'];
    if (v === null || v === undefined) continue;
    const a = p[peersV2 ? 'native_address' : 'rpc_address'] ?? p['peer'];
    if (a !== null && a !== undefined && !isUp(String(a))) continue;
    versions.add(String(v));
  }
  return versions.size <= 1;
}
