import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { CodecError, ResponseError } from '../src/errors';
import {
  decodeAuthChallenge,
  decodeAuthenticate,
  decodeAuthSuccess,
  decodeEvent,
  decodeSupported,
  encodeAuthResponse,
  encodeOptions,
  encodeRegister,
  encodeStartup,
} from '../src/frame/control';
import { nextVersionToTry, parseSupportedVersions, protocolVersions } from '../src/frame/negotiation';

function bytesOf(fn: (w: ByteWriter) => void): string {
  const w = new ByteWriter(8);
  fn(w);
  return w.toBuffer().toString('hex');
}

function body(fn: (w: ByteWriter) => void): Buffer {
  const w = new ByteWriter(8);
  w.raw(Buffer.from([0xaa, 0xbb])); // decoders must honour start/end
  fn(w);
  w.u8(0xcc);
  return w.toBuffer();
}

const inet4 = (w: ByteWriter): void => {
  w.u8(4);
  w.raw(Buffer.from([10, 0, 0, 7]));
  w.i32(9042);
};

describe('request bodies (spec section 4.1)', () => {
  it('STARTUP is a [string map]', () => {
    expect(bytesOf((w) => encodeStartup(w, { CQL_VERSION: '3.0.0' }))).toBe(
      '0001' + '000b' + Buffer.from('CQL_VERSION').toString('hex') + '0005' + Buffer.from('3.0.0').toString('hex'),
    );
  });
  it('OPTIONS is empty, REGISTER a [string list], AUTH_RESPONSE [bytes]', () => {
    expect(bytesOf((w) => encodeOptions(w))).toBe('');
    expect(bytesOf((w) => encodeRegister(w, ['STATUS_CHANGE']))).toBe('0001000d' + Buffer.from('STATUS_CHANGE').toString('hex'));
    expect(bytesOf((w) => encodeAuthResponse(w, Buffer.from([0, 0x61, 0, 0x62])))).toBe('0000000400610062');
    expect(bytesOf((w) => encodeAuthResponse(w, null))).toBe('ffffffff');
  });
});

describe('response bodies (spec section 4.2)', () => {
  it('SUPPORTED is a [string multimap]', () => {
    const b = body((w) => {
      w.u16(2);
      w.string('COMPRESSION');
      w.stringList(['snappy', 'lz4']);
      w.string('PROTOCOL_VERSIONS');
      w.stringList(['3/v3', '4/v4', '5/v5']);
    });
    expect(decodeSupported(b, 2, b.length - 1)).toEqual({ COMPRESSION: ['snappy', 'lz4'], PROTOCOL_VERSIONS: ['3/v3', '4/v4', '5/v5'] });
    expect(() => decodeSupported(b, 2, 10)).toThrow(CodecError);
  });
  it('AUTHENTICATE, AUTH_CHALLENGE, AUTH_SUCCESS', () => {
    const a = body((w) => w.string('org.apache.cassandra.auth.PasswordAuthenticator'));
    expect(decodeAuthenticate(a, 2, a.length - 1)).toBe('org.apache.cassandra.auth.PasswordAuthenticator');
    const c = body((w) => w.bytes(Buffer.from('tok')));
    const tok = decodeAuthChallenge(c, 2, c.length - 1)!;
    expect(tok.toString()).toBe('tok');
    c[6] = 0x21; // the token is a copy, not a view of the receive buffer
    expect(tok.toString()).toBe('tok');
    const s = body((w) => w.bytes(null));
    expect(decodeAuthSuccess(s, 2, s.length - 1)).toBeNull();
  });

  it('EVENT TOPOLOGY_CHANGE and STATUS_CHANGE', () => {
    const t = body((w) => {
      w.string('TOPOLOGY_CHANGE');
      w.string('NEW_NODE');
      inet4(w);
    });
    expect(decodeEvent(t, 2, t.length - 1)).toEqual({ type: 'TOPOLOGY_CHANGE', change: 'NEW_NODE', address: '10.0.0.7', port: 9042 });
    const s = body((w) => {
      w.string('STATUS_CHANGE');
      w.string('DOWN');
      w.u8(16);
      w.raw(Buffer.from('20010db8000000000000000000000001', 'hex'));
      w.i32(19042);
    });
    expect(decodeEvent(s, 2, s.length - 1)).toEqual({ type: 'STATUS_CHANGE', change: 'DOWN', address: '2001:db8::1', port: 19042 });
  });

  it('EVENT SCHEMA_CHANGE for every target', () => {
    const ks = body((w) => {
      w.string('SCHEMA_CHANGE');
      w.string('CREATED');
      w.string('KEYSPACE');
      w.string('ks');
    });
    expect(decodeEvent(ks, 2, ks.length - 1)).toEqual({
      type: 'SCHEMA_CHANGE',
      change: 'CREATED',
      target: 'KEYSPACE',
      keyspace: 'ks',
      name: null,
      argTypes: null,
    });
    for (const target of ['TABLE', 'TYPE'] as const) {
      const b = body((w) => {
        w.string('SCHEMA_CHANGE');
        w.string('UPDATED');
        w.string(target);
        w.string('ks');
        w.string('t1');
      });
      expect(decodeEvent(b, 2, b.length - 1)).toEqual({
        type: 'SCHEMA_CHANGE',
        change: 'UPDATED',
        target,
        keyspace: 'ks',
        name: 't1',
        argTypes: null,
      });
    }
    for (const target of ['FUNCTION', 'AGGREGATE'] as const) {
      const b = body((w) => {
        w.string('SCHEMA_CHANGE');
        w.string('DROPPED');
        w.string(target);
        w.string('ks');
        w.string('f');
        w.stringList(['int', 'map<text, int>']);
      });
      expect(decodeEvent(b, 2, b.length - 1)).toEqual({
        type: 'SCHEMA_CHANGE',
        change: 'DROPPED',
        target,
        keyspace: 'ks',
        name: 'f',
        argTypes: ['int', 'map<text, int>'],
      });
    }
  });

  it('EVENT: unknown kinds and truncation are CodecErrors', () => {
    for (const fn of [
      (w: ByteWriter) => {
        w.string('NOPE');
      },
      (w: ByteWriter) => {
        w.string('STATUS_CHANGE');
        w.string('SIDEWAYS');
        inet4(w);
      },
      (w: ByteWriter) => {
        w.string('SCHEMA_CHANGE');
        w.string('CREATED');
        w.string('INDEX');
        w.string('ks');
      },
      (w: ByteWriter) => {
        w.string('TOPOLOGY_CHANGE');
        w.string('NEW_NODE');
        w.u8(4);
      },
    ]) {
      const b = body(fn);
      expect(() => decodeEvent(b, 2, b.length - 1)).toThrow(CodecError);
    }
  });
});

describe('protocol version negotiation', () => {
  const cassandra = new ResponseError(
    0x000a,
    'Invalid or unsupported protocol version (6); supported versions are (3/v3, 4/v4, 5/v5, 6/v6-beta)',
  );
  it("parses the supported list of Cassandra's message", () => {
    expect(parseSupportedVersions(cassandra.message)).toEqual([
      { version: 3, beta: false },
      { version: 4, beta: false },
      { version: 5, beta: false },
      { version: 6, beta: true },
    ]);
    expect(parseSupportedVersions('Invalid or unsupported protocol version: 5')).toBeNull();
  });
  it('steps down to the highest listed non-beta version this driver speaks', () => {
    expect(nextVersionToTry(6, cassandra)).toBe(protocolVersions.v5);
    const c3 = new ResponseError(0x000a, 'Invalid or unsupported protocol version (5); supported versions are (3/v3, 4/v4, 5/v5-beta)');
    expect(nextVersionToTry(5, c3)).toBe(protocolVersions.v4);
    const only3 = new ResponseError(0x000a, 'Invalid or unsupported protocol version (4); supported versions are (3/v3)');
    expect(nextVersionToTry(4, only3)).toBeNull();
  });
  it('steps down by one without a list (ScyllaDB), and stops at v4', () => {
    const scylla = new ResponseError(0x000a, 'Invalid or unsupported protocol version: 5');
    expect(nextVersionToTry(5, scylla)).toBe(4);
    expect(nextVersionToTry(4, scylla)).toBeNull();
    const beta = new ResponseError(0x000a, 'Beta version of the protocol used (5/v5-beta), but USE_BETA flag is unset');
    expect(nextVersionToTry(5, beta)).toBe(4);
  });
  it('does not step down on other errors', () => {
    expect(nextVersionToTry(5, new ResponseError(0x000a, 'Unknown opcode 42'))).toBeNull();
    expect(nextVersionToTry(5, new ResponseError(0x0100, 'Bad credentials'))).toBeNull();
  });
});
