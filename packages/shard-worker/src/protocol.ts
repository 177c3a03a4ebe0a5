/**
 * Control messages between the engine (any requesting thread's side) and a shard worker, over
 * `postMessage`. Only rare events travel this way (connect, keyspace, prepare-on-all, events, state
 * changes, shutdown); every request and answer goes through the SharedArrayBuffer rings instead
 * (record layouts in @shardcql/core ring/records.ts).
 */
import type { ConnectionOptions as TlsConnectionOptions, PeerCertificate } from 'node:tls';
import type { CqlEvent } from '@shardcql/core';

/** One connection the worker must own. `conn` is the engine-wide index that ring records target. */
export interface ConnectionSpec {
  conn: number;
  host: string;
  port: number;
  localPort: number | null;
  /** The host name the host was given by (a contact point), for TLS verification and SNI; absent: none. */
  servername?: string | null;
  /**
   * The delays (ms) between this connection's reconnection attempts, drawn by the engine from the user's
   * policies.reconnection (connection-set/schedule.ts, sampleSchedule: the policy cannot be posted); the last one
   * repeats. Absent: cassandra-driver's default schedule, 1 s doubling to 10 min.
   */
  reconnectDelays?: number[];
}

export interface WorkerConnectionOptions {
  maxProtocolVersion: 4 | 5;
  keyspace: string | null;
  connectTimeoutMs: number;
  heartbeatIntervalMs: number;
  coalescingThreshold: number;
  compression: 'none' | 'lz4' | 'snappy';
  credentials: { username: string; password: string } | null;
  /** Without `checkServerIdentity` (a function cannot be posted): see remoteServerIdentity. */
  tls: TlsConnectionOptions | null;
  /**
   * The user's sslOptions.checkServerIdentity stays on the engine's thread: each TLS handshake asks it there
   * with a 'tls-check' message and waits for the 'tls-check-answer' before sending any CQL.
   */
  remoteServerIdentity?: boolean;
  startupOptions: Record<string, string>;
  /** Stream ids per connection (pooling.maxRequestsPerConnection); beyond it a request fails BUSY (not sent). */
  maxRequestsPerConnection?: number;
  /**
   * A custom AuthProvider lives on the engine's thread (it is an object with code, not clonable): SASL
   * steps are asked from there with 'auth' messages (connection/remote-authenticator.ts). Handshakes only.
   */
  remoteAuth?: boolean;
  /**
   * The engine's per-shard metrics buffer (@shardcql/core ring/metrics-layout.ts); the worker writes the slots of the
   * connections it owns. Absent or null: no counting (`shardcql.metrics: false`).
   */
  metrics?: SharedArrayBuffer | null;
}

/** A requester's ring pair (requests in, answers out) and the doorbell the requester sleeps on. */
export interface RequesterRings {
  requester: number;
  requests: SharedArrayBuffer;
  responses: SharedArrayBuffer;
  responseBell: SharedArrayBuffer;
}

export interface WorkerInit {
  workerIndex: number;
  /** The doorbell this worker sleeps on; every requester rings it after publishing requests. */
  requestBell: SharedArrayBuffer;
  requesters: RequesterRings[];
}

export interface SerializedError {
  name: string;
  message: string;
  code: number | string | null;
  fields: Record<string, unknown>;
}

export interface ControlAnswer {
  conn: number;
  opcode: number;
  flags: number;
  body: Uint8Array | null;
  error: SerializedError | null;
}

export type ToWorker =
  | { type: 'connect'; id: number; connections: ConnectionSpec[]; options: WorkerConnectionOptions }
  | { type: 'add-requester'; rings: RequesterRings }
  | { type: 'remove-requester'; requester: number }
  /** Runs one control request on the given connections (null: all ready ones) and answers with each result. */
  | { type: 'request-all'; id: number; opcode: number; body: Uint8Array; conns: number[] | null }
  /** Future (re)connections issue `USE keyspace` after their handshake. */
  | { type: 'set-keyspace'; keyspace: string }
  /**
   * The engine dropped these connections (their host left the cluster): close them, cancel their
   * reconnection timers and forget their slots. No 'connection-state' is needed for them.
   */
  | { type: 'close-connections'; conns: number[] }
  /**
   * The server says these connections' host is UP again (STATUS_CHANGE): for each slot that is down and
   * waiting on a reconnection timer, cancel the timer and try now (the backoff restarts from its first delay).
   */
  | { type: 'reconnect-now'; conns: number[] }
  | { type: 'shutdown'; id: number; graceMs: number }
  /** The engine's answer to an 'auth' step: the token to send (or null), or the provider's error. */
  | { type: 'auth-answer'; ask: number; token: Uint8Array | null; error: SerializedError | null }
  /** The engine's answer to a 'tls-check': null accepts the server, an error refuses it. */
  | { type: 'tls-check-answer'; ask: number; error: SerializedError | null }
  | { type: 'crash-for-test' };

export interface ConnectResult {
  conn: number;
  ok: boolean;
  protocolVersion: number;
  supported: Record<string, string[]> | null;
  error: SerializedError | null;
}

export type FromWorker =
  | { type: 'started'; workerIndex: number }
  | { type: 'connected'; id: number; results: ConnectResult[] }
  | { type: 'request-all-done'; id: number; answers: ControlAnswer[] }
  /** `shard`: when up, the shard the server says the connection serves (SUPPORTED SCYLLA_SHARD), else -1. */
  | { type: 'connection-state'; conn: number; up: boolean; error: SerializedError | null; shard: number }
  | { type: 'event'; conn: number; event: CqlEvent }
  | { type: 'log'; level: 'verbose' | 'info' | 'warning' | 'error'; message: string }
  | { type: 'shutdown-done'; id: number }
  /**
   * One SASL step of connection handshake `session` (remoteAuth): 'initial' and 'challenge' want an
   * 'auth-answer' with the same `ask` ('id' would be taken for the answer to an engine call); 'success'
   * ends the session (no answer).
   */
  | {
      type: 'auth';
      ask: number;
      session: number;
      step: 'initial' | 'challenge' | 'success';
      address: string;
      authenticatorClass: string;
      token: Uint8Array | null;
    }
  /** A TLS handshake's server identity, for the user's checkServerIdentity (remoteServerIdentity): answer 'tls-check-answer'. */
  | { type: 'tls-check'; ask: number; hostname: string; cert: PeerCertificate };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const fields: Record<string, unknown> = {};
    for (const k of Object.keys(e)) {
      const v = (e as unknown as Record<string, unknown>)[k];
      if (k !== 'code' && typeof v !== 'function') fields[k] = v;
    }
    const code = (e as { code?: unknown }).code;
    return { name: e.name, message: e.message, code: typeof code === 'number' || typeof code === 'string' ? code : null, fields };
  }
  return { name: 'Error', message: String(e), code: null, fields: {} };
}
