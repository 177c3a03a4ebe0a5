/**
 * The socket of one connection: TCP, or TLS with the user's server identity check, connected and (for TLS)
 * verified before any CQL byte is sent. Cold path (once per connection attempt): closures are fine here.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { DriverError } from '@shardcql/core';
import type { ConnectionOptions } from './options';

/** What the connection does with its socket while it connects (Connection implements it). */
export interface SocketOwner {
  readonly address: string;
  /** The socket exists (not connected yet): a close or the handshake timer may destroy it from now on. */
  socketCreated(socket: net.Socket): void;
  /**
   * Connected (and verified): called synchronously from the socket's event, so the owner's 'error' listener is
   * on before the socket can emit again. Returns the error that closed the connection meanwhile, or null.
   */
  socketReady(socket: net.Socket): Error | null;
  /** The error the socket closed with (or null): what a connect that was cut short rejects with. */
  readonly lastSocketError: Error | null;
}

/**
 * Connects `o.host:o.port` (from `o.localPort` when set). With TLS the server name (SNI and certificate check) is
 * `tls.servername`, else `o.servername`, else the host when it is a name; `o.serverIdentity` replaces node's
 * synchronous check with one asked after the handshake (the user's function may live on another thread).
 */
export function connectSocket(o: ConnectionOptions, owner: SocketOwner): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const target: net.TcpNetConnectOpts = { host: o.host, port: o.port };
    if (o.localPort !== null) target.localPort = o.localPort;
    /** What node's handshake asked to verify, when the verdict is left to opts.serverIdentity. */
    let identity: { hostname: string; cert: tls.PeerCertificate } | null = null;
    let socket: net.Socket;
    if (o.tls !== null) {
      const servername = o.tls.servername ?? o.servername ?? (net.isIP(o.host) === 0 ? o.host : undefined);
      const topts: tls.ConnectionOptions = { ...o.tls, ...target };
      if (servername !== undefined && servername !== null && net.isIP(servername) === 0) topts.servername = servername;
      if (o.serverIdentity != null && o.tls.rejectUnauthorized !== false) {
        // Node's check must answer synchronously; this one is asked after 'secureConnect' (below).
        topts.checkServerIdentity = (hostname, cert) => {
          identity = { hostname, cert };
          return undefined;
        };
      }
      socket = tls.connect(topts);
    } else {
      socket = net.connect(target);
    }
    owner.socketCreated(socket);
    const ready = o.tls !== null ? 'secureConnect' : 'connect';
    const onError = (err: Error): void => {
      socket.removeListener(ready, onConnect);
      reject(err);
    };
    const attach = (): void => {
      socket.removeListener('error', onError);
      const closedWith = owner.socketReady(socket);
      if (closedWith !== null) reject(closedWith);
      else resolve();
    };
    const refuse = (err: Error): void => {
      socket.removeListener('error', onError);
      socket.destroy();
      reject(err);
    };
    const onConnect = (): void => {
      const seen = identity as { hostname: string; cert: tls.PeerCertificate } | null;
      if (seen === null) {
        attach();
        return;
      }
      // The socket stays silent until the verdict; its errors and the handshake timer still end it meanwhile
      // (onError is attached until then).
      o.serverIdentity!(seen.hostname, seen.cert).then(
        (err) => {
          if (socket.destroyed) reject(owner.lastSocketError ?? new DriverError(`Connection to ${owner.address} closed`));
          else if (err === null) attach();
          else refuse(err);
        },
        (e: unknown) => refuse(e instanceof Error ? e : new DriverError(String(e))),
      );
    };
    socket.once('error', onError);
    socket.once(ready, onConnect);
  });
}
