/**
 * The connection options the engine's connections are opened with: the workers' (posted to them), the contact
 * probe's (contact-probe.ts) and the direct lane's (direct-lane.ts), all from the engine's options plus what the
 * first connection taught (protocol version, ScyllaDB's LWT mark and tablets).
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { DRIVER_NAME, DRIVER_VERSION, type WorkerConnectionOptions } from '@shardcql/shard-worker';
import type { ProbeOptions } from '../contact-probe';
import type { EngineState } from '../engine-state';

export class ConnectionOptions {
  private clonableTls: TlsOptions | null = null;

  constructor(private readonly e: EngineState) {}

  /**
   * sslOptions as posted to the workers: without checkServerIdentity (a function does not clone), which then
   * runs on the engine's thread when a worker asks (auth-relay.ts). The same object when there is none.
   */
  private get workerTls(): TlsOptions | null {
    const t = this.e.options.sslOptions;
    if (t === null || typeof t.checkServerIdentity !== 'function') return t;
    if (this.clonableTls === null) {
      const { checkServerIdentity: _local, ...rest } = t;
      this.clonableTls = rest;
    }
    return this.clonableTls;
  }

  private startup(): Record<string, string> {
    const o = this.e.options;
    const startup: Record<string, string> = { CQL_VERSION: '3.0.0', DRIVER_NAME, DRIVER_VERSION };
    if (o.applicationName !== null) startup['APPLICATION_NAME'] = o.applicationName;
    if (o.applicationVersion !== null) startup['APPLICATION_VERSION'] = o.applicationVersion;
    if (o.clientId !== null) startup['CLIENT_ID'] = o.clientId;
    if (this.e.lwtMark !== null) startup['SCYLLA_LWT_ADD_METADATA_MARK'] = this.e.lwtMark.value;
    if (this.e.tabletsRouting) startup['TABLETS_ROUTING_V1'] = '';
    return startup;
  }

  worker(): WorkerConnectionOptions {
    const o = this.e.options;
    const version = this.e.version;
    return {
      maxProtocolVersion: version === 0 ? o.maxProtocolVersion : (version as 4 | 5),
      keyspace: this.e.keyspace,
      connectTimeoutMs: o.connectTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      coalescingThreshold: o.coalescingThreshold,
      compression: o.compression,
      credentials: o.credentials,
      tls: this.workerTls,
      remoteServerIdentity: this.workerTls !== o.sslOptions,
      startupOptions: this.startup(),
      remoteAuth: this.e.workers.auth.remote,
      maxRequestsPerConnection: o.maxRequestsPerConnection,
      metrics: this.e.metricsReader !== null ? this.e.metricsReader.buffer : null,
    };
  }

  /** The probe's connection options (contact-probe.ts): the workers' ones, without compression or heartbeats. */
  probe(): ProbeOptions {
    const w = this.worker();
    return {
      maxProtocolVersion: w.maxProtocolVersion,
      compression: 'none',
      connectTimeoutMs: w.connectTimeoutMs,
      heartbeatIntervalMs: 0,
      tls: this.e.options.sslOptions,
      credentials: w.credentials,
      startupOptions: w.startupOptions,
      coalescingThreshold: w.coalescingThreshold,
      tcpNoDelay: true,
      keepAlive: false,
      closeTimeoutMs: 1000,
    };
  }

  /** The lane's connections are opened on the engine's thread: the user's sslOptions as given, functions included. */
  lane(): WorkerConnectionOptions {
    return { ...this.worker(), tls: this.e.options.sslOptions, remoteServerIdentity: false };
  }
}
