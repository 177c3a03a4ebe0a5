/**
 * Runs an application's AuthProvider (cassandra-driver's callback-style `auth.Authenticator`) for the
 * connection handshakes of shardcql's engine: directly for the direct lane's connections, and for the shard
 * workers' connections through their 'auth' messages (shard-worker connection/remote-authenticator.ts). One
 * provider Authenticator per handshake, created at its first step, as cassandra-driver does per connection.
 */
import { AuthenticationError } from '@shardcql/core';
import type { Authenticator as EngineAuthenticator } from '@shardcql/shard-worker';
import type { AuthProvider, Authenticator } from './provider';

/** One SASL step a worker asks for (its 'auth' message): the handshake `session` of that worker, and the token. */
export interface AuthStep {
  session: number;
  step: 'initial' | 'challenge' | 'success';
  address: string;
  authenticatorClass: string;
  token: Uint8Array | null;
}

/** Sessions of worker handshakes kept at most (a failed handshake never says it ended). */
const MAX_SESSIONS = 1024;

export class ProviderAuthenticator implements EngineAuthenticator {
  private auth: Authenticator | null = null;

  constructor(
    private readonly provider: AuthProvider,
    private readonly address: string,
  ) {}

  initialResponse(authenticatorClass: string): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => {
      try {
        this.auth = this.provider.newAuthenticator(this.address, authenticatorClass);
        this.auth.initialResponse(settle(resolve, reject, this.address));
      } catch (e) {
        reject(asAuthError(e, this.address));
      }
    });
  }

  evaluateChallenge(challenge: Buffer | null): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => {
      try {
        if (this.auth === null) throw new AuthenticationError(`Host ${this.address} sent a challenge before AUTHENTICATE`);
        this.auth.evaluateChallenge(challenge ?? Buffer.alloc(0), settle(resolve, reject, this.address));
      } catch (e) {
        reject(asAuthError(e, this.address));
      }
    });
  }

  onAuthenticationSuccess(token: Buffer | null): void {
    this.auth?.onAuthenticationSuccess(token);
  }
}

/** The engine's side of worker handshakes: session id -> the handshake's authenticator. */
export class AuthSessions {
  private readonly sessions = new Map<string, ProviderAuthenticator>();

  constructor(private readonly provider: AuthProvider) {}

  /** One step asked by worker `worker`; resolves with the token to send ('success' resolves with null). */
  step(worker: number, m: AuthStep): Promise<Uint8Array | null> {
    const { session, step, address, authenticatorClass, token } = m;
    const key = `${worker}:${session}`;
    const buf = token === null ? null : Buffer.from(token.buffer, token.byteOffset, token.byteLength);
    if (step === 'initial') {
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
      const a = new ProviderAuthenticator(this.provider, address);
      this.sessions.set(key, a);
      return a.initialResponse(authenticatorClass);
    }
    const a = this.sessions.get(key);
    if (step === 'success') {
      this.sessions.delete(key);
      a?.onAuthenticationSuccess(buf);
      return Promise.resolve(null);
    }
    if (a === undefined) return Promise.reject(new AuthenticationError(`no authentication under way with ${address}`));
    return a.evaluateChallenge(buf);
  }
}

function settle(resolve: (t: Uint8Array | null) => void, reject: (e: Error) => void, address: string) {
  return (err: Error | null, token?: Buffer | null): void => {
    if (err) reject(asAuthError(err, address));
    else resolve(token ?? null);
  };
}

function asAuthError(e: unknown, address: string): Error {
  if (e instanceof AuthenticationError) return e;
  return new AuthenticationError(`Authentication with ${address} failed in the AuthProvider: ${(e as Error)?.message ?? String(e)}`);
}
