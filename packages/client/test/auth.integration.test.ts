/**
 * PasswordAuthenticator, against the test bed started with `npm run db -- start --auth` (cassandra/cassandra).
 * The CI node runs without authentication, so this file runs only with SHARDCQL_TEST_AUTH=1.
 */
import { describe, expect, it } from 'vitest';
import { Client, auth, errors } from '@shardcql/client';

const ON = process.env['SHARDCQL_TEST_AUTH'] === '1';
const base = { contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', shardcql: { workers: 1 } };

describe.skipIf(!ON)('authentication against Cassandra (SHARDCQL_TEST_AUTH=1, db started with --auth)', () => {
  it('connects with `credentials` and with a PlainTextAuthProvider', async () => {
    for (const opts of [
      { credentials: { username: 'cassandra', password: 'cassandra' } },
      { authProvider: new auth.PlainTextAuthProvider('cassandra', 'cassandra') },
    ]) {
      const client = new Client({ ...base, ...opts });
      try {
        await client.connect();
        const rs = await client.execute('SELECT release_version FROM system.local WHERE key = ?', ['local'], { prepare: true });
        expect(String(rs.first()!['release_version'])).toMatch(/^5\./);
      } finally {
        await client.shutdown();
      }
    }
  });

  it("connects with a custom AuthProvider, which stays on this thread and answers the workers' SASL steps", async () => {
    let created = 0;
    let succeeded = 0;
    class Provider extends auth.AuthProvider {
      override newAuthenticator(): auth.Authenticator {
        created++;
        return new (class extends auth.Authenticator {
          override initialResponse(cb: (err: Error | null, token?: Buffer | null) => void): void {
            setImmediate(() => cb(null, Buffer.from('\0cassandra\0cassandra')));
          }
          override evaluateChallenge(_c: Buffer, cb: (err: Error | null, token?: Buffer | null) => void): void {
            cb(null, Buffer.from('\0cassandra\0cassandra'));
          }
          override onAuthenticationSuccess(): void {
            succeeded++;
          }
        })();
      }
    }
    const client = new Client({ ...base, authProvider: new Provider() });
    try {
      await client.connect();
      const rs = await client.execute('SELECT release_version FROM system.local WHERE key = ?', ['local'], { prepare: true });
      expect(String(rs.first()!['release_version'])).toMatch(/^5\./);
      expect(created).toBeGreaterThanOrEqual(1);
      // The direct lane's connection may still be in its handshake (it opens in the background; Cassandra's
      // password check is bcrypt, slow on a busy machine): wait by the clock, up to 15 s.
      for (const end = Date.now() + 15_000; succeeded < created && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
      expect(succeeded).toBe(created);
    } finally {
      await client.shutdown();
    }
  });

  it('fails connect() with AuthenticationError on a wrong password, and without credentials, never hangs', async () => {
    for (const opts of [{ credentials: { username: 'cassandra', password: 'wrong' } }, {}]) {
      const client = new Client({ ...base, ...opts });
      const t0 = Date.now();
      const err = await client.connect().catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(
        err instanceof errors.AuthenticationError ||
          (err instanceof errors.NoHostAvailableError &&
            Object.values(err.innerErrors).some((e) => e instanceof errors.AuthenticationError || /authentic/i.test((e as Error).message))),
      ).toBe(true);
      await client.shutdown();
    }
  });
});
