/** The `auth` namespace of cassandra-driver (`lib/auth/index.js`), without DSE GSSAPI. */
export { Authenticator, AuthProvider, type AuthCallback } from './provider';
export { PlainTextAuthProvider, PlainTextAuthenticator, DsePlainTextAuthProvider } from './plain-text-auth-provider';
export { NoAuthProvider } from './no-auth-provider';
