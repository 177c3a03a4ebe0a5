/**
 * SASL authentication hooks (cassandra-driver `lib/auth/provider.js`; native protocol section 4.2.3,
 * AUTHENTICATE / AUTH_CHALLENGE / AUTH_RESPONSE / AUTH_SUCCESS).
 */
export type AuthCallback = (err: Error | null, token?: Buffer | null) => void;
/**
 * The parameter type of the public methods: cassandra-driver declares `Function`, so a callback written as
 * `(err: Error, token: Buffer) => ...` is accepted; it is called as an AuthCallback.
 */
type AnyAuthCallback = AuthCallback | ((err: Error, token: Buffer) => void);

/* eslint-disable @typescript-eslint/no-unused-vars -- cassandra-driver's signatures: the parameters are for subclasses (their names show in the .d.ts) */
export class Authenticator {
  initialResponse(callback: AnyAuthCallback): void {
    (callback as AuthCallback)(null, null);
  }
  evaluateChallenge(challenge: Buffer, callback: AnyAuthCallback): void {
    throw new Error('Not implemented');
  }
  onAuthenticationSuccess(token?: Buffer | null): void {}
}

export class AuthProvider {
  newAuthenticator(endpoint: string, name: string): Authenticator {
    throw new Error('This method should be implemented');
  }
}
/* eslint-enable @typescript-eslint/no-unused-vars */
