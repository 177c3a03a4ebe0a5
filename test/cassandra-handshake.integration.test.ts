// The first conversation with the real Cassandra 5.0 that `npm test` starts (scripts/db.mjs):
// OPTIONS -> SUPPORTED, STARTUP -> READY, with frames written by hand (native_protocol_v4.spec §2, §4.1.1,
// §4.1.4, §4.2.2, §4.2.4), so the test stands on nothing but node:net. No Cassandra: the test fails.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

const HOST = process.env.SHARDCQL_TEST_HOST ?? '127.0.0.1';
const PORT = Number(process.env.SHARDCQL_TEST_PORT ?? 9042);

const OPCODE = { ERROR: 0x00, STARTUP: 0x01, READY: 0x02, AUTHENTICATE: 0x03, OPTIONS: 0x05, SUPPORTED: 0x06 } as const;

interface Frame {
  version: number;
  flags: number;
  stream: number;
  opcode: number;
  body: Buffer;
}

/** A v4 request frame: version 0x04, flags, stream (i16), opcode, length (i32), body (§2). */
function requestFrame(stream: number, opcode: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header[0] = 0x04;
  header[1] = 0x00;
  header.writeInt16BE(stream, 2);
  header[4] = opcode;
  header.writeUInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}

/** [string map] of §3: u16 count, then [string] key/value pairs (u16 length + UTF-8). */
function stringMap(entries: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(2);
  count.writeUInt16BE(Object.keys(entries).length);
  parts.push(count);
  for (const [k, v] of Object.entries(entries)) {
    for (const s of [k, v]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(2);
      len.writeUInt16BE(b.length);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

/** [string multimap] of §3: u16 count, then [string] key + [string list]. */
function readStringMultimap(body: Buffer): Record<string, string[]> {
  let pos = 0;
  const str = (): string => {
    const n = body.readUInt16BE(pos);
    pos += 2;
    const s = body.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  const out: Record<string, string[]> = {};
  const count = body.readUInt16BE(pos);
  pos += 2;
  for (let i = 0; i < count; i++) {
    const key = str();
    const n = body.readUInt16BE(pos);
    pos += 2;
    const list: string[] = [];
    for (let j = 0; j < n; j++) list.push(str());
    out[key] = list;
  }
  expect(pos).toBe(body.length);
  return out;
}

/** One connection that hands out whole response frames in order. */
class RawConnection {
  private buf = Buffer.alloc(0);
  private readonly frames: Frame[] = [];
  private waiter: ((f: Frame) => void) | null = null;
  private failure: Error | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 9) {
        const length = this.buf.readUInt32BE(5);
        if (this.buf.length < 9 + length) break;
        const frame: Frame = {
          version: this.buf[0]!,
          flags: this.buf[1]!,
          stream: this.buf.readInt16BE(2),
          opcode: this.buf[4]!,
          body: Buffer.from(this.buf.subarray(9, 9 + length)),
        };
        this.buf = this.buf.subarray(9 + length);
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = null;
          w(frame);
        } else this.frames.push(frame);
      }
    });
    socket.on('error', (e) => {
      this.failure = e;
    });
  }

  static open(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', (e) =>
        reject(new Error(`cannot reach Cassandra at ${host}:${port} (${e.message}); run the tests with \`npm test\`, which starts it`)),
      );
    });
  }

  send(frame: Buffer): void {
    this.socket.write(frame);
  }

  next(timeoutMs = 10_000): Promise<Frame> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = (f) => {
        clearTimeout(timer);
        resolve(f);
      };
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('Cassandra 5.0 native protocol handshake (real server)', () => {
  let conn: RawConnection | null = null;
  afterEach(() => {
    conn?.close();
    conn = null;
  });

  it('answers OPTIONS with SUPPORTED listing protocol versions including 5/v5, CQL_VERSION and COMPRESSION', async () => {
    conn = await RawConnection.open(HOST, PORT);
    // The literal bytes of a v4 OPTIONS on stream 0.
    const options = requestFrame(0, OPCODE.OPTIONS);
    expect([...options]).toEqual([0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00]);
    conn.send(options);
    const res = await conn.next();
    expect(res.version).toBe(0x84); // response direction bit + v4 (§2.1)
    expect(res.stream).toBe(0);
    expect(res.opcode).toBe(OPCODE.SUPPORTED);
    const supported = readStringMultimap(res.body);
    expect(supported.PROTOCOL_VERSIONS).toEqual(expect.arrayContaining(['3/v3', '4/v4', '5/v5']));
    expect(supported.CQL_VERSION?.length).toBeGreaterThan(0);
    expect(supported.CQL_VERSION?.[0]).toMatch(/^3\.\d+\.\d+$/);
    expect(supported.COMPRESSION).toEqual(expect.arrayContaining(['lz4']));
  });

  it('answers STARTUP {CQL_VERSION: 3.0.0} with READY on the same stream', async () => {
    conn = await RawConnection.open(HOST, PORT);
    conn.send(requestFrame(1, OPCODE.STARTUP, stringMap({ CQL_VERSION: '3.0.0' })));
    const res = await conn.next();
    expect(res.version).toBe(0x84);
    expect(res.stream).toBe(1);
    // READY without authentication; AUTHENTICATE would mean the test bed runs with --auth.
    expect(res.opcode).toBe(OPCODE.READY);
    expect(res.body.length).toBe(0);
  });

  it('rejects a protocol version it does not speak with a v4-or-lower ERROR (protocol negotiation, §8 of v5 spec)', async () => {
    conn = await RawConnection.open(HOST, PORT);
    const frame = requestFrame(0, OPCODE.OPTIONS);
    frame[0] = 0x07; // no such version
    conn.send(frame);
    const res = await conn.next();
    expect(res.opcode).toBe(OPCODE.ERROR);
    expect(res.body.readInt32BE(0)).toBe(0x000a); // Protocol error
    expect(res.version & 0x80).toBe(0x80);
    expect(res.version & 0x7f).toBeLessThanOrEqual(5);
  });
});
