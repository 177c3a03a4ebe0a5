/**
 * TLS on every connection, against the test bed started with `npm run db -- start --tls` (a throw-away CA in
 * .db/tls/ca.pem). The CI node runs without TLS, so this file runs only with SHARDCQL_TEST_TLS=1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Client, errors } from '@shardcql/client';

const ON = process.env['SHARDCQL_TEST_TLS'] === '1';
const CA = join(__dirname, '..', '..', '..', '.db', 'tls', 'ca.pem');

describe.skipIf(!ON)('TLS against Cassandra (SHARDCQL_TEST_TLS=1, db started with --tls)', () => {
  it('connects with the test bed CA and runs prepared statements over TLS', async () => {
    const client = new Client({
      contactPoints: ['127.0.0.1'],
      localDataCenter: 'dc1',
      sslOptions: { ca: [readFileSync(CA)], rejectUnauthorized: true },
      shardcql: { workers: 2 },
    });
    try {
      await client.connect();
      const rs = await client.execute('SELECT release_version FROM system.local WHERE key = ?', ['local'], { prepare: true });
      expect(String(rs.first()!['release_version'])).toMatch(/^5\./);
      const many = await Promise.all(
        Array.from({ length: 500 }, () => client.execute('SELECT key FROM system.local WHERE key = ?', ['local'], { prepare: true })),
      );
      expect(many.length).toBe(500);
    } finally {
      await client.shutdown();
    }
  });

  it("a host name contact point is verified by that name (the test bed certificate names localhost), and the user's checkServerIdentity decides on every connection", async () => {
    const checked: string[] = [];
    const client = new Client({
      contactPoints: ['localhost'],
      localDataCenter: 'dc1',
      sslOptions: {
        ca: [readFileSync(CA)],
        rejectUnauthorized: true,
        checkServerIdentity: (hostname: string, cert: PeerCertificate) => {
          checked.push(hostname);
          return checkServerIdentity(hostname, cert);
        },
      },
      shardcql: { workers: 2 },
    });
    try {
      await client.connect();
      const many = await Promise.all(
        Array.from({ length: 200 }, () => client.execute('SELECT key FROM system.local WHERE key = ?', ['local'], { prepare: true })),
      );
      expect(many.length).toBe(200);
    } finally {
      await client.shutdown();
    }
    // The control connection and one per worker at least; all of them to the contact point, by its name.
    expect(checked.length).toBeGreaterThanOrEqual(3);
    expect(new Set(checked)).toEqual(new Set(['localhost']));
  });

  it('refuses a server whose certificate is not signed by a trusted CA, with a typed error', async () => {
    const client = new Client({
      contactPoints: ['127.0.0.1'],
      localDataCenter: 'dc1',
      sslOptions: { rejectUnauthorized: true },
      shardcql: { workers: 1 },
    });
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.NoHostAvailableError);
    const inner = Object.values((err as { innerErrors: Record<string, Error> }).innerErrors)[0]!;
    expect(inner.message).toMatch(/certificate/i);
    await client.shutdown();
  });

  it('refuses plain TCP to a TLS-only node with a typed error, never a hang', async () => {
    const client = new Client({
      contactPoints: ['127.0.0.1'],
      localDataCenter: 'dc1',
      socketOptions: { connectTimeout: 3000 },
      shardcql: { workers: 1 },
    });
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.NoHostAvailableError);
    await client.shutdown();
  });
});
