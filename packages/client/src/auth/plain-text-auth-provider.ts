/**
 * PasswordAuthenticator (SASL PLAIN: "\0user\0password"). The engine's connections authenticate with
 * the recorded credentials (client-options.ts maps this provider to EngineOptions.credentials).
 */
import { AuthProvider, Authenticator, type AuthCallback } from './provider';

export class PlainTextAuthProvider extends AuthProvider {
  constructor(
    readonly username: string,
    readonly password: string,
  ) {
    super();
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- cassandra-driver's signature (the names show in the .d.ts)
  override newAuthenticator(endpoint: string, name: string): Authenticator {
    return new PlainTextAuthenticator(this.username, this.password);
  }
}

export class PlainTextAuthenticator extends Authenticator {
  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {
    super();
  }
  override initialResponse(callback: AuthCallback): void {
    callback(
      null,
      Buffer.concat([Buffer.from([0]), Buffer.from(this.username, 'utf8'), Buffer.from([0]), Buffer.from(this.password, 'utf8')]),
    );
  }
  override evaluateChallenge(challenge: Buffer, callback: AuthCallback): void {
    callback(null, null);
  }
}

/**
 * DSE's PLAIN provider, for API compatibility: the engine authenticates with the user and password; the
 * authorization id (DSE proxy authorization) is recorded but not sent.
 */
export class DsePlainTextAuthProvider extends PlainTextAuthProvider {
  constructor(
    username: string,
    password: string,
    readonly authorizationId?: string,
  ) {
    super(username, password);
  }
}
