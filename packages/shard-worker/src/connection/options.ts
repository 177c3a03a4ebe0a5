import type { ConnectionOptions as TlsConnectionOptions, PeerCertificate } from 'node:tls';
import type { CqlEvent } from '@shardcql/core';
import type { Authenticator } from './authenticator';
import type { Connection } from './connection';
import type { ConnectionMetrics } from '../metrics/connection-metrics';

export interface ConnectionOptions {
  host: string;
  port: number;
  /** Highest protocol version to try; the handshake falls back (v5 -> v4) on a protocol error. */
  maxProtocolVersion: 4 | 5;
  /** Asked in STARTUP only when SUPPORTED lists it; v5 framing compresses with LZ4 only. */
  compression: 'none' | 'lz4' | 'snappy';
  /** Bound on TCP (+TLS) connect and the whole handshake of one attempt. */
  connectTimeoutMs: number;
  /** An OPTIONS request after this long without writes; no answer within it closes the connection. 0 = off. */
  heartbeatIntervalMs: number;
  tls: TlsConnectionOptions | null;
  /**
   * The name the host was given by (a contact point's host name; `host` is its resolved address): TLS
   * verifies the certificate against it and sends it as SNI. `tls.servername` wins. Null: none known.
   */
  servername?: string | null;
  /**
   * Replaces `tls.checkServerIdentity` with a check that may answer later (the user's function runs on the
   * client's thread, remote to a shard worker): called once the chain is verified, before any CQL is sent;
   * an Error refuses the server as node's own check does. Not called with `rejectUnauthorized: false`, where
   * node would ignore its verdict.
   */
  serverIdentity?: ((hostname: string, cert: PeerCertificate) => Promise<Error | null>) | null;
  /** SASL PLAIN credentials, used when the server asks (AUTHENTICATE) and `authenticator` is not set. */
  credentials: { username: string; password: string } | null;
  /** `USE "keyspace"` after the handshake. */
  keyspace: string | null;
  /** Extra STARTUP options (e.g. APPLICATION_NAME, Scylla's LWT / tablets extensions). */
  startupOptions: Record<string, string>;
  /** Pending bytes that force a write before the end of the drain (cassandra-driver's socketOptions.coalescingThreshold). */
  coalescingThreshold: number;
  /** Bind the local port (Scylla shard-aware port: shard = port % nr_shards). EADDRINUSE is the caller's to retry. */
  localPort: number | null;
  tcpNoDelay: boolean;
  keepAlive: boolean;
  /** Stream ids usable on this connection, 1..32768 (default 32768). */
  maxRequestsPerConnection?: number;
  /** Timed-out ids still waiting for their late answer beyond which the connection is defunct and closes (default 1024). */
  maxOrphanedStreams?: number;
  /** How long `close()` waits for in-flight requests before it cuts them off (default 10000). */
  closeTimeoutMs?: number;
  /** Overrides `credentials`: a custom SASL exchange. */
  authenticator?: Authenticator | null;
  /** The connection's slot in the per-shard metrics buffer; null = no counting (shardcql.metrics: false). */
  metrics?: ConnectionMetrics | null;
}

export function defaultConnectionOptions(host: string, port = 9042): ConnectionOptions {
  return {
    host,
    port,
    maxProtocolVersion: 5,
    compression: 'none',
    connectTimeoutMs: 5000,
    heartbeatIntervalMs: 30000,
    tls: null,
    credentials: null,
    keyspace: null,
    startupOptions: {},
    coalescingThreshold: 65536,
    localPort: null,
    tcpNoDelay: true,
    keepAlive: true,
    maxRequestsPerConnection: 32768,
    maxOrphanedStreams: 1024,
    closeTimeoutMs: 10000,
    authenticator: null,
    metrics: null,
  };
}

/**
 * Fills what the caller left undefined (or null where a value is needed) with the defaults, so callers
 * that build the options from optional fields cannot put `undefined` where the connection expects null.
 */
export function resolveConnectionOptions(opts: ConnectionOptions): ConnectionOptions {
  const out = defaultConnectionOptions(opts.host, opts.port);
  const src = opts as unknown as Record<string, unknown>;
  const dst = out as unknown as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    const v = src[k];
    if (v !== undefined) dst[k] = v;
  }
  if (out.startupOptions === null) out.startupOptions = {};
  return out;
}

const EMPTY_BODY = new Uint8Array(0);

/**
 * One request as `Connection.send` takes it (and the writer appends it): a descriptor its caller owns and
 * refills for every send, so the request path allocates nothing. `body[start, end)` is copied into the write
 * buffer before `send` returns; the caller may then reuse both the descriptor and the body's memory.
 */
export class OutgoingRequest {
  /** The caller's name for the request; the listener's onResponse / onFailure get it back. */
  tag = 0;
  opcode = 0;
  /** Envelope flags (tracing, custom payload, warnings, beta). */
  flags = 0;
  body: Uint8Array = EMPTY_BODY;
  start = 0;
  end = 0;
  /** 0: no timeout; otherwise `onFailure(tag, TIMEOUT)` after this long without an answer. */
  timeoutMs = 0;
}

/**
 * An answer as the listener gets it: one object per connection, refilled for every answer. `body[start, end)`
 * (and the object itself) are valid only during the call: the body is a view of the socket chunk.
 */
export class IncomingAnswer {
  opcode = 0;
  flags = 0;
  body: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
}

/** Implemented once by the worker engine; no closures per request. */
export interface ConnectionListener {
  /** An answer for `tag`; `answer` and its body are valid only during the call (IncomingAnswer). */
  onResponse(tag: number, answer: IncomingAnswer): void;
  /** `tag` will get no answer: `kind` is a FailureKind (TIMEOUT, CONNECTION_LOST). */
  onFailure(tag: number, kind: number, message: string): void;
  /** A server event (stream -1; only after a REGISTER). */
  onEvent(event: CqlEvent): void;
  /** Once, when a connection that `open` resolved is closed: `error` null for `close()`. */
  onClose(conn: Connection, error: Error | null): void;
}

export type ConnectionState = 'connecting' | 'ready' | 'draining' | 'closed';

/** The answer to a control request (`Connection.request`); the body is a copy the caller owns. */
export interface ControlResponse {
  opcode: number;
  flags: number;
  body: Buffer;
}
