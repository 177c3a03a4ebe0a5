/**
 * SASL authentication hook (spec v4 section 4.2.3 AUTH_RESPONSE, 4.2.7 AUTH_CHALLENGE, 4.2.8 AUTH_SUCCESS).
 * The connection asks for the first token when the server sends AUTHENTICATE, then for an answer to
 * each AUTH_CHALLENGE, until AUTH_SUCCESS. Same shape as cassandra-driver's `auth.Authenticator`.
 */
export interface Authenticator {
  /**
   * The first token; `authenticatorClass` is the server's authenticator (from AUTHENTICATE). A promise is
   * fine: a custom provider may live on another thread (remote-authenticator.ts) or compute asynchronously.
   */
  initialResponse(authenticatorClass: string): Uint8Array | null | Promise<Uint8Array | null>;
  evaluateChallenge(challenge: Buffer | null): Uint8Array | null | Promise<Uint8Array | null>;
  onAuthenticationSuccess(token: Buffer | null): void;
}

/** SASL PLAIN (RFC 4616): `\0username\0password`, what PasswordAuthenticator expects. */
export class PlainTextAuthenticator implements Authenticator {
  private readonly token: Buffer;

  constructor(username: string, password: string) {
    const u = Buffer.from(username, 'utf8');
    const p = Buffer.from(password, 'utf8');
    this.token = Buffer.alloc(2 + u.length + p.length);
    u.copy(this.token, 1);
    p.copy(this.token, 2 + u.length);
  }

  initialResponse(_authenticatorClass: string): Uint8Array {
    return this.token;
  }

  /** PasswordAuthenticator never challenges; answering with the same token is what other drivers do. */
  evaluateChallenge(_challenge: Buffer | null): Uint8Array {
    return this.token;
  }

  onAuthenticationSuccess(_token: Buffer | null): void {}
}
