// A throwaway CA and a server certificate for the DNS name 'localhost' only (no IP in its subjectAltName),
// and a TLS terminator on 127.0.0.1 in front of a plain CQL server (the Go stub), recording the SNI name of
// every handshake. A client that verifies this certificate against 127.0.0.1 is refused; one that uses
// the name 'localhost' is accepted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';

export interface TestCertificates {
  ca: Buffer;
  key: Buffer;
  cert: Buffer;
}

/** A CA and a certificate it signed for `dnsName` (subjectAltName DNS only), made with openssl. */
export function makeCertificates(dnsName = 'localhost'): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'shardcql-tls-'));
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    ssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=shardcql test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      `/CN=${dnsName}`,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:${dnsName}\n`);
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
      '-out',
      'server.pem',
    );
    return {
      ca: readFileSync(join(dir, 'ca.pem')),
      key: readFileSync(join(dir, 'server.key')),
      cert: readFileSync(join(dir, 'server.pem')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TlsProxy {
  readonly port: number;
  /** The SNI name of each TLS handshake that completed (null: the client sent none). */
  readonly servernames: Array<string | null>;
  close(): Promise<void>;
}

/** TLS on 127.0.0.1:`port` (0: any free port), each connection piped to the plain server at upstream. */
export function startTlsProxy(certs: TestCertificates, upstream: { host: string; port: number }, port = 0): Promise<TlsProxy> {
  const servernames: Array<string | null> = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: certs.key, cert: certs.cert }, (sock) => {
    const name = (sock as tls.TLSSocket & { servername?: string | false }).servername;
    servernames.push(typeof name === 'string' ? name : null);
    const up = net.connect(upstream.port, upstream.host);
    sockets.add(sock);
    sockets.add(up);
    const end = (): void => {
      sock.destroy();
      up.destroy();
    };
    sock.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    sock.pipe(up).pipe(sock);
  });
  // Refused handshakes are the point of some tests.
  server.on('tlsClientError', () => undefined);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        servernames,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
