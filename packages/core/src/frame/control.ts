import { ByteReader, type ByteWriter } from '../bytes';
import { CodecError } from '../errors';

/**
 * Bodies of the connection-control messages: STARTUP, OPTIONS, REGISTER, AUTH_RESPONSE (requests;
 * spec section 4.1) and READY, AUTHENTICATE, SUPPORTED, EVENT, AUTH_CHALLENGE, AUTH_SUCCESS
 * (responses; section 4.2). None is on the per-request hot path.
 */

/** STARTUP: a [string map]; CQL_VERSION is mandatory, COMPRESSION optional (section 4.1.1). */
export function encodeStartup(w: ByteWriter, options: Readonly<Record<string, string>>): void {
  w.stringMap(options);
}

/** OPTIONS has an empty body (section 4.1.3); here for symmetry. */
export function encodeOptions(_w: ByteWriter): void {}

/** REGISTER: a [string list] of TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE (section 4.1.8). */
export function encodeRegister(w: ByteWriter, events: readonly string[]): void {
  w.stringList(events);
}

/** AUTH_RESPONSE: the SASL token as [bytes]; null is a null token (section 4.1.2). */
export function encodeAuthResponse(w: ByteWriter, token: Uint8Array | null): void {
  w.bytes(token);
}

/** SUPPORTED: a [string multimap] (section 4.2.4). */
export function decodeSupported(body: Buffer, start: number, end: number): Record<string, string[]> {
  return new ByteReader(body, start, end).stringMultimap();
}

/** AUTHENTICATE: the server's IAuthenticator class name as [string] (section 4.2.3). */
export function decodeAuthenticate(body: Buffer, start: number, end: number): string {
  return new ByteReader(body, start, end).string();
}

/** AUTH_CHALLENGE: a [bytes] token, copied out of the receive buffer (section 4.2.7). */
export function decodeAuthChallenge(body: Buffer, start: number, end: number): Buffer | null {
  const b = new ByteReader(body, start, end).bytes();
  return b === null ? null : Buffer.from(b);
}

/** AUTH_SUCCESS: a [bytes] final token, maybe null, copied (section 4.2.8). */
export function decodeAuthSuccess(body: Buffer, start: number, end: number): Buffer | null {
  return decodeAuthChallenge(body, start, end);
}

/** MOVED_NODE is in older specs and ScyllaDB's code; kept rather than rejected. */
export type TopologyChange = 'NEW_NODE' | 'REMOVED_NODE' | 'MOVED_NODE';
export type StatusChange = 'UP' | 'DOWN';
export type SchemaChange = 'CREATED' | 'UPDATED' | 'DROPPED';
export type SchemaChangeTarget = 'KEYSPACE' | 'TABLE' | 'TYPE' | 'FUNCTION' | 'AGGREGATE';

export type CqlEvent =
  | { type: 'TOPOLOGY_CHANGE'; change: TopologyChange; address: string; port: number }
  | { type: 'STATUS_CHANGE'; change: StatusChange; address: string; port: number }
  | {
      type: 'SCHEMA_CHANGE';
      change: SchemaChange;
      target: SchemaChangeTarget;
      keyspace: string;
      /** Table, type, function or aggregate name; null for KEYSPACE. */
      name: string | null;
      /** Argument types (CQL type strings) for FUNCTION and AGGREGATE, else null. */
      argTypes: string[] | null;
    };

/** EVENT (section 4.2.6). Unknown event types or change kinds are a CodecError. */
export function decodeEvent(body: Buffer, start: number, end: number): CqlEvent {
  const r = new ByteReader(body, start, end);
  const type = r.string();
  switch (type) {
    case 'TOPOLOGY_CHANGE': {
      const change = r.string();
      if (change !== 'NEW_NODE' && change !== 'REMOVED_NODE' && change !== 'MOVED_NODE') {
        throw new CodecError(`unknown TOPOLOGY_CHANGE kind '${change}'`);
      }
      const inet = r.inet();
      return { type, change, address: inet.address, port: inet.port };
    }
    case 'STATUS_CHANGE': {
      const change = r.string();
      if (change !== 'UP' && change !== 'DOWN') throw new CodecError(`unknown STATUS_CHANGE kind '${change}'`);
      const inet = r.inet();
      return { type, change, address: inet.address, port: inet.port };
    }
    case 'SCHEMA_CHANGE': {
      const change = r.string();
      if (change !== 'CREATED' && change !== 'UPDATED' && change !== 'DROPPED') {
        throw new CodecError(`unknown SCHEMA_CHANGE kind '${change}'`);
      }
      const target = r.string();
      const keyspace = r.string();
      switch (target) {
        case 'KEYSPACE':
          return { type, change, target, keyspace, name: null, argTypes: null };
        case 'TABLE':
        case 'TYPE':
          return { type, change, target, keyspace, name: r.string(), argTypes: null };
        case 'FUNCTION':
        case 'AGGREGATE': {
          const name = r.string();
          return { type, change, target, keyspace, name, argTypes: r.stringList() };
        }
        default:
          throw new CodecError(`unknown SCHEMA_CHANGE target '${target}'`);
      }
    }
    default:
      throw new CodecError(`unknown event type '${type}'`);
  }
}
