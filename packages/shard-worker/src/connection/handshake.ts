/**
 * The CQL handshake of one connection, once its socket is up: OPTIONS (the server's SUPPORTED), STARTUP with the
 * compression both sides have, the SASL exchange when the server asks (AUTHENTICATE), then `USE keyspace`.
 * Spec v4 sections 4.1.1-4.1.2, 4.2.2-4.2.8. Cold path (once per connection).
 */
import {
  AuthenticationError,
  ByteWriter,
  DriverInternalError,
  decodeAuthChallenge,
  decodeAuthenticate,
  decodeAuthSuccess,
  decodeError,
  decodeSupported,
  encodeAuthResponse,
  encodeStartup,
  opcodes,
} from '@shardcql/core';
import { PlainTextAuthenticator, type Authenticator } from './authenticator';
import type { ConnectionOptions, ControlResponse } from './options';

export const DRIVER_NAME = 'shardcql';
// STARTUP's DRIVER_VERSION: the package's own version, so the server's client list tells releases apart.
export const DRIVER_VERSION: string = (require('../../package.json') as { version: string }).version;

/** Spec section 9 error code of a refused login. */
const BAD_CREDENTIALS = 0x0100;
const EMPTY = new Uint8Array(0);

/** What the handshake needs of its connection (Connection implements it). */
export interface HandshakeChannel {
  readonly address: string;
  readonly protocolVersion: number;
  supported: Record<string, string[]>;
  /** A control request; its answer whatever the opcode (ERROR included). */
  request(opcode: number, body: Uint8Array, timeoutMs?: number): Promise<ControlResponse>;
  useKeyspace(keyspace: string, timeoutMs?: number): Promise<void>;
  /** STARTUP will ask for `name`: the connection makes its compressor (v5: used once the framing starts). */
  chooseCompression(name: 'lz4' | 'snappy'): void;
  /** STARTUP is written: with v4, every frame from now on compresses its body (flag 0x01), both ways. */
  startV4Compression(): void;
}

/** Runs the handshake on `c`; throws the server's error (typed) or a DriverInternalError. */
export async function handshake(c: HandshakeChannel, o: ConnectionOptions): Promise<void> {
  const w = new ByteWriter(512);
  const supported = await c.request(opcodes.options, EMPTY);
  expect(c, supported, opcodes.supported, 'OPTIONS');
  c.supported = decodeSupported(supported.body, 0, supported.body.length);

  const startup: Record<string, string> = { CQL_VERSION: '3.0.0', DRIVER_NAME, DRIVER_VERSION, ...o.startupOptions };
  const offered = c.supported['COMPRESSION'] ?? [];
  const compression = o.compression;
  // v5 framing compresses with LZ4 only (spec v5 section 2.2).
  const compress = compression !== 'none' && offered.includes(compression) && !(c.protocolVersion >= 5 && compression !== 'lz4');
  if (compress) {
    startup['COMPRESSION'] = compression;
    c.chooseCompression(compression);
  }
  encodeStartup(w, startup);
  const pending = c.request(opcodes.startup, w.view());
  if (compress && c.protocolVersion < 5) c.startV4Compression();
  const r = await pending;
  if (r.opcode === opcodes.authenticate) await authenticate(c, r, w, o);
  else expect(c, r, opcodes.ready, 'STARTUP');

  if (o.keyspace !== null && o.keyspace !== '') await c.useKeyspace(o.keyspace);
}

/** SASL exchange after AUTHENTICATE (spec v4 sections 4.2.3, 4.2.7, 4.2.8). */
async function authenticate(c: HandshakeChannel, first: ControlResponse, w: ByteWriter, o: ConnectionOptions): Promise<void> {
  const cls = decodeAuthenticate(first.body, 0, first.body.length);
  const auth: Authenticator | null =
    o.authenticator ?? (o.credentials !== null ? new PlainTextAuthenticator(o.credentials.username, o.credentials.password) : null);
  if (auth === null) {
    throw new AuthenticationError(`Host ${c.address} requires authentication, but no authenticator found in the options`);
  }
  let token = await auth.initialResponse(cls);
  for (;;) {
    w.reset();
    encodeAuthResponse(w, token);
    const r = await c.request(opcodes.authResponse, w.view());
    switch (r.opcode) {
      case opcodes.authChallenge:
        token = await auth.evaluateChallenge(decodeAuthChallenge(r.body, 0, r.body.length));
        break;
      case opcodes.authSuccess:
        auth.onAuthenticationSuccess(decodeAuthSuccess(r.body, 0, r.body.length));
        return;
      case opcodes.error: {
        const e = decodeError(r.body, 0, r.body.length, c.protocolVersion);
        if (e.code === BAD_CREDENTIALS) {
          const ae = new AuthenticationError(e.message);
          ae.additionalInfo = e;
          ae.coordinator = c.address;
          throw ae;
        }
        throw e;
      }
      default:
        throw new DriverInternalError(`unexpected opcode ${r.opcode} from ${c.address} during authentication`);
    }
  }
}

/** Throws the server's error, or a DriverInternalError for an unexpected opcode. */
function expect(c: HandshakeChannel, r: ControlResponse, opcode: number, what: string): void {
  if (r.opcode === opcode) return;
  if (r.opcode === opcodes.error) {
    const e = decodeError(r.body, 0, r.body.length, c.protocolVersion);
    e.coordinator = c.address;
    throw e;
  }
  throw new DriverInternalError(`unexpected opcode ${r.opcode} from ${c.address} in answer to ${what}`);
}
