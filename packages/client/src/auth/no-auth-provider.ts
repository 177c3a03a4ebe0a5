/** Used when no credentials are given; a server that asks for authentication then fails the handshake. */
import { AuthenticationError } from '@shardcql/core';
import { AuthProvider, Authenticator, type AuthCallback } from './provider';

export class NoAuthProvider extends AuthProvider {
  override newAuthenticator(endpoint: string, name: string): Authenticator {
    return new NoAuthAuthenticator(endpoint, name);
  }
}

class NoAuthAuthenticator extends Authenticator {
  constructor(
    private readonly endpoint: string,
    readonly name: string,
  ) {
    super();
  }
  override initialResponse(callback: AuthCallback): void {
    callback(new AuthenticationError(`Host ${this.endpoint} requires authentication, but no authenticator found in the options`));
  }
}
