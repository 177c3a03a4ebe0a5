// TLS without a TLS-enabled Cassandra: the Go stub behind a TLS terminator on 127.0.0.1 whose certificate names
// only 'localhost' (helpers/tls-proxy.ts). What is specified here: bad sslOptions are refused at construction
// with a TypeError naming the field; the user's checkServerIdentity decides, although the shard workers open the
// connections; a host name contact point is what the certificate is verified against and what SNI carries, on
// the workers' connections (the control connection included) and on the direct lane.
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, errors, types } from '@shardcql/client';
import { Connection, defaultConnectionOptions, type ConnectionListener } from '@shardcql/shard-worker';
import { startStub, type StubProcess } from '../../../test/simulator/stub';
import { makeCertificates, startTlsProxy, type TestCertificates, type TlsProxy } from './helpers/tls-proxy';

const INSERT = 'INSERT INTO benchks.benchtab (pk, v1, v2) VALUES (?, ?, ?)';

describe('sslOptions are checked at construction', () => {
  const make = (sslOptions: unknown): Client => new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', sslOptions } as never);

  it.each([
    ['yes', /sslOptions must be an object/],
    [true, /sslOptions must be an object/],
    [42, /sslOptions must be an object/],
    [['ca'], /sslOptions must be an object/],
    [Buffer.from('x'), /sslOptions must be an object/],
    [{ ca: 42 }, /sslOptions\.ca must be a string, a Buffer or an array/],
    [{ ca: ['pem', 7] }, /sslOptions\.ca must be/],
    [{ cert: {} }, /sslOptions\.cert must be/],
    [{ key: 1 }, /sslOptions\.key must be/],
    [{ rejectUnauthorized: 'yes' }, /sslOptions\.rejectUnauthorized must be a boolean/],
    [{ servername: 1 }, /sslOptions\.servername must be a string/],
    [{ checkServerIdentity: 'not a function' }, /sslOptions\.checkServerIdentity must be a function/],
    [{ minVersion: 1.2 }, /sslOptions\.minVersion must be a string/],
    [{ secureOptions: 1.5 }, /sslOptions\.secureOptions must be an integer/],
    [{ secureContext: tls.createSecureContext({}) }, /sslOptions\.secureContext is not supported: .*ca, cert and key/],
    [{ pskCallback: () => null }, /sslOptions\.pskCallback is not supported/],
    [{ lookup: () => undefined }, /sslOptions\.lookup cannot be passed to the shard worker threads/],
    [{ extra: { deep: () => 1 } }, /sslOptions\.extra cannot be passed to the shard worker threads/],
  ])('sslOptions %o: TypeError', (value, message) => {
    const e = (() => {
      try {
        make(value);
        return null;
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toMatch(message);
  });

  it.each([
    undefined,
    null,
    false,
    {},
    { rejectUnauthorized: false },
    { ca: [Buffer.from('pem')], cert: 'pem', key: [{ pem: 'k', passphrase: 'p' }] },
    { checkServerIdentity: () => undefined },
  ])('sslOptions %o: accepted', (value) => {
    expect(() => make(value)).not.toThrow();
  });
});

describe('TLS against the stub behind a TLS terminator (certificate for localhost only)', () => {
  let stub: StubProcess;
  let certs: TestCertificates;
  let proxy: TlsProxy;

  beforeAll(async () => {
    certs = makeCertificates('localhost');
    stub = await startStub({ host: '127.0.0.62', port: 0 });
    proxy = await startTlsProxy(certs, { host: stub.host, port: stub.port });
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await stub?.stop();
  });

  const tlsClient = (contactPoint: string, sslOptions: tls.ConnectionOptions, shardcql: { workers: number; directLane?: number }): Client =>
    new Client({ contactPoints: [contactPoint], localDataCenter: 'datacenter1', sslOptions, shardcql });

  /** Sequential inserts until the direct lane has carried some (it opens in the background), then a burst through the workers. */
  async function useLaneAndWorkers(client: Client): Promise<void> {
    const laneUsed = (): boolean => client.getShardMetrics().some((m) => m.worker === -1 && m.requests > 0);
    for (let i = 0; i < 20 || (i < 5000 && !laneUsed()); i++) {
      const k = types.Long.fromNumber(i);
      await client.execute(INSERT, [k, k, k], { prepare: true });
    }
    expect(laneUsed()).toBe(true);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        client.execute(INSERT, [types.Long.fromNumber(i), types.Long.ONE, types.Long.ONE], { prepare: true }),
      ),
    );
    expect(client.getShardMetrics().some((m) => m.worker >= 0 && m.requests > 0)).toBe(true);
  }

  it('a host name contact point is verified by its name and sent as SNI, on every connection (control, workers, lane)', async () => {
    const before = proxy.servernames.length;
    const client = tlsClient(`localhost:${proxy.port}`, { ca: [certs.ca], rejectUnauthorized: true }, { workers: 2 });
    try {
      await client.connect();
      await useLaneAndWorkers(client);
    } finally {
      await client.shutdown();
    }
    const names = proxy.servernames.slice(before);
    // The control connection, one per worker (connectionsPerHost defaults to the worker count), the lane.
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(new Set(names)).toEqual(new Set(['localhost']));
  });

  it('an address contact point is verified against the address: a certificate for a name only is refused, typed', async () => {
    const client = tlsClient(`127.0.0.1:${proxy.port}`, { ca: [certs.ca], rejectUnauthorized: true }, { workers: 1 });
    const err = await client.connect().catch((e: unknown) => e);
    await client.shutdown();
    expect(err).toBeInstanceOf(errors.NoHostAvailableError);
    const inner = Object.values((err as errors.NoHostAvailableError).innerErrors)[0] as Error;
    expect(inner.message).toMatch(/127\.0\.0\.1/);
  });

  it('sslOptions.servername set by the user wins over the contact point', async () => {
    const before = proxy.servernames.length;
    const client = tlsClient(
      `127.0.0.1:${proxy.port}`,
      { ca: [certs.ca], rejectUnauthorized: true, servername: 'localhost' },
      { workers: 1, directLane: 0 },
    );
    try {
      await client.connect();
      await client.execute('SELECT * FROM system.local');
    } finally {
      await client.shutdown();
    }
    expect(new Set(proxy.servernames.slice(before))).toEqual(new Set(['localhost']));
  });

  it("the user's checkServerIdentity decides on the workers' and the lane's connections: it can accept", async () => {
    const seen: Array<{ hostname: string; san: string | undefined; rawIsBuffer: boolean }> = [];
    const client = tlsClient(
      `127.0.0.1:${proxy.port}`,
      {
        ca: [certs.ca],
        rejectUnauthorized: true,
        // Node's own check would refuse 127.0.0.1 for this certificate; the user's accepts the name in it.
        checkServerIdentity: (hostname: string, cert: tls.PeerCertificate) => {
          seen.push({ hostname, san: cert.subjectaltname, rawIsBuffer: Buffer.isBuffer(cert.raw) });
          return cert.subjectaltname === 'DNS:localhost' ? undefined : new Error('unexpected certificate');
        },
      },
      { workers: 2 },
    );
    try {
      await client.connect();
      await useLaneAndWorkers(client);
    } finally {
      await client.shutdown();
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const s of seen) expect(s).toEqual({ hostname: '127.0.0.1', san: 'DNS:localhost', rawIsBuffer: true });
  });

  it("the user's checkServerIdentity can refuse: connect fails with its error, typed, never a DataCloneError", async () => {
    const client = tlsClient(
      `localhost:${proxy.port}`,
      { ca: [certs.ca], rejectUnauthorized: true, checkServerIdentity: () => new Error('pinned certificate mismatch') },
      { workers: 1 },
    );
    const err = await client.connect().catch((e: unknown) => e);
    await client.shutdown();
    expect(err).toBeInstanceOf(errors.NoHostAvailableError);
    const inner = Object.values((err as errors.NoHostAvailableError).innerErrors)[0] as Error;
    expect(inner.message).toMatch(/pinned certificate mismatch/);
  });

  describe('a connection whose server identity is decided elsewhere (serverIdentity, what a worker uses)', () => {
    const listener: ConnectionListener = {
      onResponse: () => undefined,
      onFailure: () => undefined,
      onEvent: () => undefined,
      onClose: () => undefined,
    };
    const open = (
      tlsOptions: tls.ConnectionOptions,
      serverIdentity: (h: string, c: tls.PeerCertificate) => Promise<Error | null>,
      connectTimeoutMs = 5000,
    ) =>
      Connection.open(
        { ...defaultConnectionOptions('127.0.0.1', proxy.port), maxProtocolVersion: 4, tls: tlsOptions, serverIdentity, connectTimeoutMs },
        listener,
      );

    it('an answer that never comes ends in the connect timeout, typed', async () => {
      const err = await open({ ca: [certs.ca] }, () => new Promise(() => undefined), 300).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(errors.OperationTimedOutError);
    });

    it('is not asked with rejectUnauthorized: false (node would ignore its verdict)', async () => {
      let asked = 0;
      const conn = await open({ rejectUnauthorized: false }, async () => {
        asked++;
        return new Error('refused');
      });
      await conn.close();
      expect(asked).toBe(0);
    });

    it('is asked once per handshake, after the chain is verified: a certificate from another CA never reaches it', async () => {
      let asked = 0;
      const other = makeCertificates('localhost');
      const err = await open({ ca: [other.ca] }, async () => {
        asked++;
        return null;
      }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/certificate/);
      expect(asked).toBe(0);
      const conn = await open({ ca: [certs.ca] }, async () => {
        asked++;
        return null;
      });
      await conn.close();
      expect(asked).toBe(1);
    });
  });
});
