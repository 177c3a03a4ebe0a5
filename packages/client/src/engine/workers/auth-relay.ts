/**
 * What a worker's handshake asks of the engine's thread, where the application's functions live: the SASL
 * steps of a custom AuthProvider (auth/engine-authenticator.ts) and sslOptions.checkServerIdentity.
 */
import { serializeError, type Authenticator, type FromWorker } from '@shardcql/shard-worker';
import { AuthSessions, ProviderAuthenticator } from '../../auth/engine-authenticator';
import { checkServerIdentityFor } from '../../ssl-options';
import type { EngineOptions } from '../engine';
import type { WorkerHandle } from './worker-handle';

export class AuthRelay {
  /** A custom AuthProvider's handshakes (workers ask with 'auth' messages); null without one. */
  private readonly sessions: AuthSessions | null;

  constructor(private readonly options: EngineOptions) {
    const provider = options.authProvider ?? null;
    this.sessions = provider !== null && options.credentials === null ? new AuthSessions(provider) : null;
  }

  /** The workers' handshakes ask this thread (a custom AuthProvider). */
  get remote(): boolean {
    return this.sessions !== null;
  }

  /** One SASL step of a worker's handshake, answered by the application's AuthProvider on this thread. */
  onAuthStep(worker: WorkerHandle, m: Extract<FromWorker, { type: 'auth' }>): void {
    const sessions = this.sessions;
    if (sessions === null) {
      if (m.step !== 'success')
        worker.post({
          type: 'auth-answer',
          ask: m.ask,
          token: null,
          error: { name: 'AuthenticationError', message: 'no AuthProvider', code: null, fields: {} },
        });
      return;
    }
    sessions.step(worker.index, m).then(
      (token) => {
        if (m.step !== 'success') worker.post({ type: 'auth-answer', ask: m.ask, token, error: null });
      },
      (e: unknown) => {
        if (m.step !== 'success') worker.post({ type: 'auth-answer', ask: m.ask, token: null, error: serializeError(e) });
      },
    );
  }

  /** sslOptions.checkServerIdentity for a worker's TLS handshake (a function cannot be posted to it). */
  onTlsCheck(worker: WorkerHandle, m: Extract<FromWorker, { type: 'tls-check' }>): void {
    const tlsOpts = this.options.sslOptions;
    const verdict = tlsOpts !== null ? checkServerIdentityFor(tlsOpts, m.hostname, m.cert) : null;
    worker.post({ type: 'tls-check-answer', ask: m.ask, error: verdict === null ? null : serializeError(verdict) });
  }

  /** The direct lane's authenticator: the same provider the workers' handshakes use. */
  laneAuthenticator(address: string): Authenticator | null {
    return this.sessions !== null ? new ProviderAuthenticator(this.options.authProvider!, address) : null;
  }
}
