/**
 * SASL authentication hooks (cassandra-driver `lib/auth/provider.js`; native protocol section 4.2.3,
 * AUTHENTICATE / AUTH_CHALLENGE / AUTH_RESPONSE / AUTH_SUCCESS).
 */
export type AuthCallback = (err: Error | null, token?: Buffer | null) => void;

export class Authenticator {
  initialResponse(callback: AuthCallback): void {
    callback(null, null);
  }
  evaluateChallenge(challenge: Buffer, callback: AuthCallback): void {
    throw new Error('Not implemented');
  }
  onAuthenticationSuccess(token?: Buffer | null): void {}
}

export class AuthProvider {
  newAuthenticator(endpoint: string, name: string): Authenticator {
    throw new Error('This method should be implemented');
  }
}
