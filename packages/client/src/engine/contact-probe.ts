/**
 * The contact points, tried from the engine's thread before any shard worker starts.
 *
 * A worker thread takes 40-150 ms to start on a busy machine, and stopping it after a failure more: a connect
 * that cannot succeed (nothing listening, a wrong localDataCenter, a keyspace that does not exist) would take
 * that long to fail where cassandra-driver fails in 1-45 ms. So one plain connection is opened here first, in
 * cassandra-driver's order (control-connection.js, client.js _connect): each contact point in turn until one
 * completes the handshake and, when `localDataCenter` is given, finds it among the hosts' data centers; then
 * the load-balancing policies' data center (checkDataCenters) and the session keyspace (`USE`) are checked. The connection is closed afterwards; the worker opens the
 * control connection to the contact point that passed. The cost on success is one handshake (a few ms).
 */
import {
  ArgumentError,
  ByteWriter,
  NoHostAvailableError,
  consistencies,
  decodeError,
  decodeResult,
  defaultCodecOptions,
  encodeQuery,
  newQueryParameters,
  opcodes,
  type CqlEvent,
} from '@shardcql/core';
import { Connection, type ConnectionListener, type ConnectionOptions } from '@shardcql/shard-worker';

/** A contact point with its address. */
export interface ProbeTarget {
  host: string;
  port: number;
  servername: string | null;
}

export type ProbeOptions = Omit<ConnectionOptions, 'host' | 'port' | 'servername' | 'keyspace' | 'localPort'>;

/** What the probe learnt: the first target that passed (index into the targets), and the errors of those before. */
export interface ProbeOutcome {
  first: number;
  innerErrors: Record<string, Error>;
}

/** The probe sends no request but its own control ones: nothing for a listener to hear. */
const QUIET: ConnectionListener = {
  onResponse: () => undefined,
  onFailure: () => undefined,
  onEvent: (_e: CqlEvent) => undefined,
  onClose: () => undefined,
};

const PROBE_TIMEOUT_MS = 12_000;

/**
 * Tries `targets` in order. Resolves with the first that passed; rejects with what cassandra-driver gives:
 * NoHostAvailableError keyed "ip:port" when none passed (the socket's own error, `code: 'ECONNREFUSED'`
 * included; the ArgumentError of a wrong `localDataCenter`), the server's ResponseError itself when the
 * keyspace is refused (client.js sets it after the control connection, unwrapped), an AuthenticationError
 * as is (shardcql's choice: a wrong password is wrong on every host).
 */
export async function probeContactPoints(
  targets: readonly ProbeTarget[],
  options: ProbeOptions,
  localDataCenter: string | null,
  keyspace: string | null,
  checkDataCenters: ((dcs: string[]) => void) | null,
): Promise<ProbeOutcome> {
  const innerErrors: Record<string, Error> = {};
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    const address = `${t.host}:${t.port}`;
    let conn: Connection;
    try {
      conn = await Connection.open(
        {
          ...options,
          host: t.host,
          port: t.port,
          servername: t.servername,
          keyspace: null,
          localPort: null,
          heartbeatIntervalMs: 0,
          metrics: null,
        },
        QUIET,
      );
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (err.name === 'AuthenticationError') throw err;
      innerErrors[address] = err;
      continue;
    }
    try {
      const dcs = new Set<string>();
      for (const cql of ['SELECT data_center FROM system.local', 'SELECT data_center FROM system.peers']) {
        for (const row of await rows(conn, cql)) if (typeof row['data_center'] === 'string') dcs.add(row['data_center']);
      }
      if (localDataCenter !== null && !dcs.has(localDataCenter)) {
        // cassandra-driver's words (control-connection.js setPeersInfo).
        innerErrors[address] = new ArgumentError(
          `localDataCenter was configured as '${localDataCenter}', but only found hosts in data centers: [${[...dcs].join(', ')}]`,
        );
        continue;
      }
      // The load-balancing policies' own checks come next in cassandra-driver (profileManager.init), unwrapped.
      checkDataCenters?.([...dcs]);
      if (keyspace !== null) await conn.useKeyspace(keyspace, PROBE_TIMEOUT_MS);
      return { first: i, innerErrors };
    } catch (e) {
      // A ResponseError of USE and a policy's ArgumentError go to the caller as is; a connection lost meanwhile
      // counts for this host.
      if (e instanceof Error && (e.name === 'ResponseError' || e.name === 'ArgumentError')) throw e;
      innerErrors[address] = e instanceof Error ? e : new Error(String(e));
    } finally {
      void conn.close();
    }
  }
  throw new NoHostAvailableError(innerErrors);
}

async function rows(conn: Connection, cql: string): Promise<Array<Record<string, unknown>>> {
  const p = newQueryParameters();
  p.consistency = consistencies.one;
  const w = new ByteWriter(128);
  encodeQuery(w, conn.protocolVersion, cql, p, defaultCodecOptions());
  const res = await conn.request(opcodes.query, w.toBuffer(), PROBE_TIMEOUT_MS);
  if (res.opcode === opcodes.error) throw decodeError(res.body, 0, res.body.length, conn.protocolVersion);
  const r = decodeResult(res.body, 0, res.body.length, conn.protocolVersion, defaultCodecOptions(), null);
  return r.kind === 2 ? (r.rows as unknown as Array<Record<string, unknown>>) : [];
}
