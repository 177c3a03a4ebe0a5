// The `auth` namespace: the built-in providers and a custom provider/authenticator pair.
import { auth, Client } from 'cassandra-driver';

const providers: auth.AuthProvider[] = [
  new auth.PlainTextAuthProvider('user', 'pass'),
  new auth.DsePlainTextAuthProvider('user', 'pass'),
  new auth.DsePlainTextAuthProvider('user', 'pass', 'proxyUser'),
];
const a: auth.Authenticator = providers[0].newAuthenticator('10.0.0.1:9042', 'org.apache.cassandra.auth.PasswordAuthenticator');
a.initialResponse((err: Error, token: Buffer) => console.log(err, token));
a.evaluateChallenge(Buffer.alloc(0), (err: Error, token: Buffer) => console.log(err, token));
a.onAuthenticationSuccess();
a.onAuthenticationSuccess(Buffer.alloc(0));

class TokenAuthenticator implements auth.Authenticator {
  constructor(private readonly token: string) {}
  initialResponse(callback: Function): void {
    callback(null, Buffer.from(this.token));
  }
  evaluateChallenge(challenge: Buffer, callback: Function): void {
    callback(null, challenge);
  }
  onAuthenticationSuccess(token?: Buffer): void {
    console.log(token);
  }
}
class TokenAuthProvider implements auth.AuthProvider {
  newAuthenticator(endpoint: string, name: string): auth.Authenticator {
    return new TokenAuthenticator(`${endpoint}/${name}`);
  }
}
const plain: auth.PlainTextAuthProvider = new auth.PlainTextAuthProvider('u', 'p');
const client = new Client({ contactPoints: ['h'], localDataCenter: 'dc1', authProvider: new TokenAuthProvider() });
const client2 = new Client({ contactPoints: ['h'], localDataCenter: 'dc1', authProvider: plain });
export { client, client2 };
