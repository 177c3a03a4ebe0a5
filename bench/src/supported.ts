// What a server offers in SUPPORTED (native_protocol_v4.spec sections 4.1.3 and 4.2.4): one OPTIONS
// request on a throw-away v4 connection. The CLI uses it to refuse a --compression run the server would
// silently answer uncompressed (drivers fall back to no compression when it is not offered).

import { connect } from 'node:net';

const HEADER = 9;
const OPCODE_OPTIONS = 0x05;
const OPCODE_SUPPORTED = 0x06;
const OPCODE_ERROR = 0x00;

/** Parses a [string multimap] body. */
function parseStringMultimap(b: Buffer): Record<string, string[]> {
  let p = 0;
  const u16 = (): number => {
    if (p + 2 > b.length) throw new Error('SUPPORTED body truncated');
    const v = b.readUInt16BE(p);
    p += 2;
    return v;
  };
  const str = (): string => {
    const n = u16();
    if (p + n > b.length) throw new Error('SUPPORTED body truncated');
    const s = b.toString('utf8', p, p + n);
    p += n;
    return s;
  };
  const out: Record<string, string[]> = {};
  for (let i = u16(); i > 0; i--) {
    const k = str();
    const vs: string[] = [];
    for (let j = u16(); j > 0; j--) vs.push(str());
    out[k] = vs;
  }
  return out;
}

/** The SUPPORTED multimap of the server at host:port (protocol v4, which Cassandra 4+, ScyllaDB and the stub serve). */
export function fetchSupported(host: string, port: number, timeoutMs = 10_000): Promise<Record<string, string[]>> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, v?: Record<string, string[]>): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(v!);
    };
    const timer = setTimeout(() => done(new Error(`OPTIONS to ${host}:${port}: no answer in ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('connect', () => sock.write(Buffer.from([0x04, 0, 0, 0, OPCODE_OPTIONS, 0, 0, 0, 0])));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < HEADER) return;
      const len = buf.readUInt32BE(5);
      if (buf.length < HEADER + len) return;
      const op = buf[4];
      const body = buf.subarray(HEADER, HEADER + len);
      if (op === OPCODE_SUPPORTED) {
        try {
          done(null, parseStringMultimap(body));
        } catch (e) {
          done(e instanceof Error ? e : new Error(String(e)));
        }
      } else if (op === OPCODE_ERROR) {
        done(new Error(`OPTIONS to ${host}:${port}: server error ${body.length >= 4 ? body.readInt32BE(0) : '?'}`));
      } else {
        done(new Error(`OPTIONS to ${host}:${port}: unexpected opcode ${op}`));
      }
    });
  });
}
