/**
 * Topology rows -> hosts, as a pure function (no I/O), so bad rows can be tested without a server.
 *
 * system.local describes the node the control connection talks to (its address is the connection's);
 * system.peers / system.peers_v2 describe the others. A peer without a usable address is skipped; a host
 * without tokens is kept (it can still coordinate) but owns no ring range; tokens that are not signed 64-bit
 * integers are dropped one by one. Every skip is reported as a message, for the engine's 'log' event.
 */

/** One host as the topology tables describe it. */
export interface TopologyHost {
  /** "ip:port" of the native transport (cassandra-driver's Host.address). */
  address: string;
  ip: string;
  port: number;
  datacenter: string | null;
  rack: string | null;
  hostId: string | null;
  cassandraVersion: string | null;
  /** Ring tokens as decimal strings; only valid signed 64-bit integers. */
  tokens: string[];
  /** `schema_version` as a string, or null. */
  schemaVersion: string | null;
}

export interface ParsedTopology {
  /** The local host first (index 0), then the peers in row order, without duplicates. */
  hosts: TopologyHost[];
  /** One line per skipped row or dropped value. */
  problems: string[];
  partitioner: string | null;
}

type Row = Readonly<Record<string, unknown>>;

const TOKEN_RE = /^-?\d{1,19}$/;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

/**
 * Parses system.local (one row) and the peers rows. `control` is the control connection's
 * endpoint (system.local's own addresses may be 0.0.0.0 or a private interface). `peersV2`: the rows come
 * from system.peers_v2 (`native_address`, `native_port`), else from system.peers (`rpc_address`, the
 * default port). A peer whose rpc/native address is 0.0.0.0 (bound to every interface) is reached at its
 * `peer` address instead, as other drivers do.
 */
export function parseTopologyRows(
  local: Row | undefined,
  peers: readonly Row[],
  peersV2: boolean,
  control: { readonly host: string; readonly port: number },
  defaultPort: number,
): ParsedTopology {
  const problems: string[] = [];
  const hosts: TopologyHost[] = [];
  const seen = new Set<string>();
  const l = local ?? {};
  if (local === undefined) problems.push('system.local returned no row; the contacted host is kept without topology data');
  const first = hostOf(l, control.host, control.port, 'system.local', problems);
  hosts.push(first);
  seen.add(first.address);
  const table = peersV2 ? 'system.peers_v2' : 'system.peers';
  for (let i = 0; i < peers.length; i++) {
    const p = peers[i]!;
    const peerName = textOf(p['peer']);
    let ip = textOf(peersV2 ? p['native_address'] : p['rpc_address']);
    if (ip === '0.0.0.0' || ip === '::') ip = peerName;
    if (ip === null || ip === '') {
      problems.push(`${table} row ${i} (peer ${peerName ?? 'null'}) has no native address: skipped`);
      continue;
    }
    let port = defaultPort;
    if (peersV2) {
      const np = p['native_port'];
      if (typeof np === 'number' && Number.isInteger(np) && np > 0 && np < 65536) port = np;
    }
    const h = hostOf(p, ip, port, `${table} row ${i} (${ip})`, problems);
    if (seen.has(h.address)) {
      problems.push(`${table} row ${i}: duplicate address ${h.address}: skipped`);
      continue;
    }
    seen.add(h.address);
    hosts.push(h);
  }
  return { hosts, problems, partitioner: textOf(l['partitioner']) };
}

function hostOf(row: Row, ip: string, port: number, what: string, problems: string[]): TopologyHost {
  const tokens: string[] = [];
  const raw = row['tokens'];
  const list: unknown[] = Array.isArray(raw) ? raw : raw instanceof Set ? [...(raw as Set<unknown>)] : [];
  for (const t of list) {
    const s = textOf(t);
    if (s !== null && TOKEN_RE.test(s)) {
      const b = BigInt(s);
      if (b >= MIN_I64 && b <= MAX_I64) {
        tokens.push(s);
        continue;
      }
    }
    problems.push(`${what}: token ${JSON.stringify(s)} is not a signed 64-bit integer: dropped`);
  }
  if (tokens.length === 0) problems.push(`${what}: no tokens; the host owns no ring range`);
  return {
    address: `${ip}:${port}`,
    ip,
    port,
    datacenter: textOf(row['data_center']),
    rack: textOf(row['rack']),
    hostId: textOf(row['host_id']),
    cassandraVersion: textOf(row['release_version']),
    tokens,
    schemaVersion: textOf(row['schema_version']),
  };
}

/** A value's text form: strings as they are, InetAddress / Uuid via toString(); null for null/undefined. */
function textOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'object' && typeof (v as { toString?: unknown }).toString === 'function') {
    const s = String(v);
    return s === '[object Object]' ? null : s;
  }
  return null;
}
