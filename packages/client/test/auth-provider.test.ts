// Custom AuthProviders (cassandra-driver's `auth.AuthProvider` / `auth.Authenticator`, callback style) stay on
// the thread that made the client; the shard workers ask it for each SASL step (auth/engine-authenticator.ts),
// and the direct lane uses it directly. Against the stub with `-auth cassandra:cassandra` (SASL PLAIN, the
// PasswordAuthenticator exchange). The same provider against a real Cassandra: auth.integration.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, auth, errors, types } from '@shardcql/client';
import { startStub, type StubProcess } from '../../../test/simulator/stub';

const INSERT = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';

/** SASL PLAIN computed asynchronously, counting what the driver asks of it. */
class CountingProvider extends auth.AuthProvider {
  created: Array<{ endpoint: string; name: string }> = [];
  successes = 0;
  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly failWith: Error | null = null,
  ) {
    super();
  }
  override newAuthenticator(endpoint: string, name: string): auth.Authenticator {
    this.created.push({ endpoint, name });
    const provider = this;
    const token = Buffer.from(`\0${this.user}\0${this.password}`);
    return new (class extends auth.Authenticator {
      override initialResponse(cb: (err: Error | null, token?: Buffer | null) => void): void {
        setImmediate(() => (provider.failWith !== null ? cb(provider.failWith) : cb(null, token)));
      }
      override evaluateChallenge(_challenge: Buffer, cb: (err: Error | null, token?: Buffer | null) => void): void {
        cb(null, token);
      }
      override onAuthenticationSuccess(): void {
        provider.successes++;
      }
    })();
  }
}

describe('a custom AuthProvider, against the stub with authentication', () => {
  let stub: StubProcess;
  const base = (): Record<string, unknown> => ({
    contactPoints: ['127.0.0.61'],
    localDataCenter: 'datacenter1',
    protocolOptions: { port: stub.port },
  });

  beforeAll(async () => {
    stub = await startStub({ host: '127.0.0.61', port: 0, extraArgs: ['-auth', 'cassandra:cassandra'] });
  }, 120_000);

  afterAll(async () => {
    await stub?.stop();
  });

  it('authenticates every worker connection and the direct lane through the provider on this thread', async () => {
    const provider = new CountingProvider('cassandra', 'cassandra');
    const client = new Client({ ...base(), authProvider: provider, shardcql: { workers: 2 } });
    try {
      await client.connect();
      // Sequential requests open the lane (its own handshake), a burst goes through the workers. The lane opens in
      // the background: go on until it has carried some (a fixed 50 could all finish first on a busy machine).
      const laneUsed = (): boolean => client.getShardMetrics().some((m) => m.worker === -1 && m.requests > 0);
      for (let i = 0; i < 50 || (i < 5000 && !laneUsed()); i++) {
        const k = types.Long.fromNumber(i);
        await client.execute(INSERT, [k, k, k], { prepare: true });
      }
      await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          client.execute(INSERT, [types.Long.fromNumber(i), types.Long.ONE, types.Long.ONE], { prepare: true }),
        ),
      );
      expect(laneUsed()).toBe(true);
      expect(provider.created.length).toBeGreaterThanOrEqual(2);
      expect(
        provider.created.every((c) => c.name === 'org.apache.cassandra.auth.PasswordAuthenticator' && c.endpoint.startsWith('127.0.0.61:')),
      ).toBe(true);
      expect(provider.successes).toBe(provider.created.length);
    } finally {
      await client.shutdown();
    }
  });

  it('fails connect() with AuthenticationError on wrong credentials, within seconds', async () => {
    for (const opts of [
      { authProvider: new CountingProvider('cassandra', 'wrong') },
      { credentials: { username: 'cassandra', password: 'wrong' } },
      {},
    ]) {
      const client = new Client({ ...base(), ...opts, shardcql: { workers: 1 } });
      const t0 = Date.now();
      const err = await client.connect().catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(err).toBeInstanceOf(errors.AuthenticationError);
      await client.shutdown();
    }
  });

  it('turns an error of the provider itself into AuthenticationError, and keeps the workers alive', async () => {
    const client = new Client({
      ...base(),
      authProvider: new CountingProvider('cassandra', 'cassandra', new Error('token service down')),
      shardcql: { workers: 1 },
    });
    const err = (await client.connect().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(errors.AuthenticationError);
    expect(err.message).toMatch(/token service down/);
    await client.shutdown();
    // A good client connects afterwards in the same process.
    const ok = new Client({ ...base(), credentials: { username: 'cassandra', password: 'cassandra' }, shardcql: { workers: 1 } });
    await ok.connect();
    await ok.execute(INSERT, [types.Long.ONE, types.Long.ONE, types.Long.ONE], { prepare: true });
    await ok.shutdown();
  });
});
