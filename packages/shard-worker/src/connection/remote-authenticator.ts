/**
 * A SASL authenticator whose steps run on the engine's thread, where the application's custom AuthProvider
 * (cassandra-driver's `auth.AuthProvider`, an object with code that cannot be posted to a worker) lives.
 * Each step is one message there and one back; only connection handshakes authenticate, so this is never on
 * the request path. PlainTextAuthProvider does not come here: its credentials are plain data and the worker
 * answers SASL PLAIN itself.
 */
import type { Authenticator } from './authenticator';

/** What the worker gives a remote authenticator: a way to ask the engine's thread one step. */
export interface AuthChannel {
  ask(
    session: number,
    step: 'initial' | 'challenge',
    address: string,
    authenticatorClass: string,
    token: Buffer | null,
  ): Promise<Uint8Array | null>;
  tell(session: number, address: string, token: Buffer | null): void;
}

let nextSession = 1;

export class RemoteAuthenticator implements Authenticator {
  /** One handshake: the engine keeps one provider Authenticator per session (as cassandra-driver per connection). */
  private readonly session = nextSession++;
  private authenticatorClass = '';

  constructor(
    private readonly channel: AuthChannel,
    private readonly address: string,
  ) {}

  initialResponse(authenticatorClass: string): Promise<Uint8Array | null> {
    this.authenticatorClass = authenticatorClass;
    return this.channel.ask(this.session, 'initial', this.address, authenticatorClass, null);
  }

  evaluateChallenge(challenge: Buffer | null): Promise<Uint8Array | null> {
    return this.channel.ask(this.session, 'challenge', this.address, this.authenticatorClass, challenge);
  }

  onAuthenticationSuccess(token: Buffer | null): void {
    this.channel.tell(this.session, this.address, token);
  }
}
