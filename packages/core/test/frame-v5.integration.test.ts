import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { ResponseError } from '../src/errors';
import { createCompressor, type Compressor } from '../src/frame/compression';
import { decodeSupported, encodeStartup } from '../src/frame/control';
import { EnvelopeParser } from '../src/frame/envelope-parser';
import { beginEnvelope, endEnvelope } from '../src/frame/header';
import { nextVersionToTry } from '../src/frame/negotiation';
import { frameFlags, opcodes } from '../src/frame/opcodes';
import { V5FrameDecoder, V5FrameEncoder, V5_MAX_PAYLOAD } from '../src/frame/v5-framing';

/**
 * The framing layer against the real Cassandra 5.0 of the test bed (127.0.0.1:9042), over a bare
 * node:net socket: handshake unframed, then v5 frames (plain and LZ4) or v4 bodies (LZ4, Snappy),
 * with requests and responses larger than one v5 frame. QUERY bodies are encoded by hand here so the
 * test depends on the framing modules only.
 */

const HOST = process.env.SHARDCQL_TEST_HOST ?? '127.0.0.1';
const PORT = Number(process.env.SHARDCQL_TEST_PORT ?? 9042);
const KS = 'h3_frame';

interface Response {
  opcode: number;
  flags: number;
  body: Buffer;
}

class RawConnection {
  private readonly parser = new EnvelopeParser();
  private decoder: V5FrameDecoder | null = null;
  private encoder: V5FrameEncoder | null = null;
  private bodyCompressor: Compressor | null = null;
  private bodyDecompressor: Compressor | null = null;
  private readonly waiting = new Map<number, { resolve: (r: Response) => void; reject: (e: Error) => void }>();
  private nextStream = 1;
  private failure: Error | null = null;
  /** Frames received that were not self-contained, reassembled into one envelope each. */
  multiFrameEnvelopes = 0;
  /** Frames written, and how many of them were not self-contained. */
  framesWritten = 0;
  partialFramesWritten = 0;
  bytesWritten = 0;

  private constructor(
    private readonly sock: net.Socket,
    readonly version: number,
  ) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('socket closed')));
  }

  static open(version: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: HOST, port: PORT });
      sock.setNoDelay(true);
      sock.once('connect', () => resolve(new RawConnection(sock, version)));
      sock.once('error', reject);
    });
  }

  /** v4: decode compressed bodies (the READY to a STARTUP with COMPRESSION already is). */
  expectCompressedBodies(compression: 'none' | 'lz4' | 'snappy'): void {
    this.bodyDecompressor = compression === 'none' ? null : createCompressor(compression);
  }

  /** After READY: v5 framing (LZ4 or not), or v4 compressed bodies. */
  switchTo(compression: 'none' | 'lz4' | 'snappy'): void {
    const c = compression === 'none' ? null : createCompressor(compression);
    if (this.version >= 5) {
      this.decoder = new V5FrameDecoder(c);
      this.encoder = new V5FrameEncoder(c);
    } else {
      this.bodyCompressor = c;
    }
  }

  /** Sends all envelopes in one write (one v5 frame when they fit) and waits for every reply. */
  requestMany(reqs: readonly { opcode: number; body: Buffer; flags?: number; version?: number }[]): Promise<Response[]> {
    const w = new ByteWriter(1024);
    const promises: Promise<Response>[] = [];
    for (const r of reqs) {
      const stream = this.nextStream++;
      let flags = r.flags ?? 0;
      let body = r.body;
      if (this.bodyCompressor !== null) {
        const cw = new ByteWriter(256);
        this.bodyCompressor.compressV4Body(body, 0, body.length, cw);
        body = cw.toBuffer();
        flags |= frameFlags.compression;
      }
      const at = beginEnvelope(w, r.version ?? this.version, flags, stream, r.opcode);
      w.raw(body);
      endEnvelope(w, at);
      promises.push(new Promise((resolve, reject) => this.waiting.set(stream, { resolve, reject })));
    }
    let wire = w.toBuffer();
    if (this.encoder !== null) {
      const fw = new ByteWriter(wire.length + 64);
      this.encoder.encode(wire, 0, wire.length, fw);
      wire = fw.toBuffer();
      this.countFrames(wire);
    }
    this.bytesWritten += wire.length;
    if (this.failure !== null) return Promise.reject(this.failure);
    this.sock.write(wire);
    return Promise.all(promises);
  }

  async request(opcode: number, body: Buffer, version?: number, flags?: number): Promise<Response> {
    const req: { opcode: number; body: Buffer; flags?: number; version?: number } = { opcode, body };
    if (version !== undefined) req.version = version;
    if (flags !== undefined) req.flags = flags;
    const [r] = await this.requestMany([req]);
    return r!;
  }

  close(): void {
    this.sock.destroy();
  }

  private countFrames(wire: Buffer): void {
    const compressed = this.encoder !== null && this.decoderIsLz4();
    let p = 0;
    while (p < wire.length) {
      this.framesWritten++;
      if (compressed) {
        const len = wire[p]! | (wire[p + 1]! << 8) | ((wire[p + 2]! & 1) << 16);
        if ((wire[p + 4]! & 4) === 0) this.partialFramesWritten++;
        p += 8 + len + 4;
      } else {
        const len = wire[p]! | (wire[p + 1]! << 8) | ((wire[p + 2]! & 1) << 16);
        if ((wire[p + 2]! & 2) === 0) this.partialFramesWritten++;
        p += 6 + len + 4;
      }
    }
  }

  lz4Framing = false;
  private decoderIsLz4(): boolean {
    return this.lz4Framing;
  }

  private onData(chunk: Buffer): void {
    try {
      if (this.decoder !== null) {
        this.decoder.push(chunk);
        for (let p = this.decoder.next(); p !== null; p = this.decoder.next()) {
          if (!this.decoder.selfContained) this.multiFrameEnvelopes++;
          this.parser.push(p);
          this.drain();
        }
      } else {
        this.parser.push(chunk);
        this.drain();
      }
    } catch (e) {
      this.fail(e as Error);
      this.sock.destroy();
    }
  }

  private drain(): void {
    const p = this.parser;
    while (p.next()) {
      let body = Buffer.from(p.body.subarray(p.bodyStart, p.bodyEnd));
      if ((p.flags & frameFlags.compression) !== 0 && this.version < 5) {
        body = this.bodyDecompressor!.decompressV4Body(body, 0, body.length);
      }
      const w = this.waiting.get(p.stream);
      if (w === undefined) continue; // events
      this.waiting.delete(p.stream);
      w.resolve({ opcode: p.opcode, flags: p.flags, body });
    }
  }

  private fail(e: Error): void {
    if (this.failure === null) this.failure = e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}

function queryBody(version: number, cql: string): Buffer {
  const w = new ByteWriter(cql.length + 16);
  w.longString(cql);
  w.u16(0x0001); // ONE
  if (version >= 5)
    w.u32(0); // v5 query flags are an [int]
  else w.u8(0);
  return w.toBuffer();
}

function startupBody(compression: 'none' | 'lz4' | 'snappy'): Buffer {
  const w = new ByteWriter(64);
  const opts: Record<string, string> = { CQL_VERSION: '3.0.0', DRIVER_NAME: 'shardcql frame test' };
  if (compression !== 'none') opts['COMPRESSION'] = compression;
  encodeStartup(w, opts);
  return w.toBuffer();
}

function errorOf(r: Response): ResponseError {
  const code = r.body.readInt32BE(0);
  const len = r.body.readUInt16BE(4);
  return new ResponseError(code, r.body.toString('utf8', 6, 6 + len));
}

function expectOpcode(r: Response, opcode: number): void {
  if (r.opcode === opcodes.error) throw errorOf(r);
  expect(r.opcode).toBe(opcode);
}

async function connect(version: number, compression: 'none' | 'lz4' | 'snappy'): Promise<RawConnection> {
  const c = await RawConnection.open(version);
  const supported = await c.request(opcodes.options, Buffer.alloc(0));
  expectOpcode(supported, opcodes.supported);
  // v4: the server compresses from its READY on (spec v4 section 5), so decoding must be ready before.
  if (version < 5) c.expectCompressedBodies(compression);
  const ready = await c.request(opcodes.startup, startupBody(compression));
  expectOpcode(ready, opcodes.ready);
  c.lz4Framing = version >= 5 && compression === 'lz4';
  c.switchTo(compression);
  return c;
}

async function query(c: RawConnection, cql: string): Promise<Buffer> {
  const r = await c.request(opcodes.query, queryBody(c.version, cql));
  expectOpcode(r, opcodes.result);
  return r.body;
}

/** A blob of `n` bytes, half random (so LZ4 has work but cannot shrink it to nothing). */
function blob(n: number): Buffer {
  const b = randomBytes(n);
  for (let i = 0; i < n; i += 2) b[i] = i & 0x3f;
  return b;
}

const opened: RawConnection[] = [];
async function open(version: number, compression: 'none' | 'lz4' | 'snappy'): Promise<RawConnection> {
  const c = await connect(version, compression);
  opened.push(c);
  return c;
}

describe('framing against Cassandra 5.0', () => {
  let supported: Record<string, string[]>;

  beforeAll(async () => {
    const c = await RawConnection.open(5);
    const r = await c.request(opcodes.options, Buffer.alloc(0));
    supported = decodeSupported(r.body, 0, r.body.length);
    c.close();
    const s = await open(5, 'none');
    await query(s, `CREATE KEYSPACE IF NOT EXISTS ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await query(s, `CREATE TABLE IF NOT EXISTS ${KS}.blobs (k text PRIMARY KEY, v blob)`);
  });

  afterAll(() => {
    for (const c of opened) c.close();
  });

  it('SUPPORTED lists v5 and lz4', () => {
    expect(supported['PROTOCOL_VERSIONS']).toContain('5/v5');
    expect(supported['COMPRESSION']).toContain('lz4');
  });

  it('negotiation: a version the server refuses leads to the next one to try', async () => {
    for (const tried of [7, 6]) {
      const c = await RawConnection.open(tried);
      const r = await c.request(opcodes.startup, startupBody('none'));
      c.close();
      expect(r.opcode).toBe(opcodes.error);
      const err = errorOf(r);
      expect(err.code).toBe(0x000a);
      expect(nextVersionToTry(tried, err), err.message).toBe(5);
    }
  });

  for (const compression of ['none', 'lz4'] as const) {
    describe(`v5 framing, compression ${compression}`, () => {
      it('carries a QUERY and its RESULT, and many envelopes in one frame', async () => {
        const c = await open(5, compression);
        const local = await query(c, 'SELECT * FROM system.local');
        expect(local.readInt32BE(0)).toBe(2); // Rows
        expect(local.indexOf(Buffer.from('cluster_name'))).toBeGreaterThan(0);
        const before = c.framesWritten;
        const many = await c.requestMany(
          Array.from({ length: 50 }, (_, i) => ({
            opcode: opcodes.query,
            body: queryBody(5, `SELECT key FROM system.local WHERE key = 'local' /* ${i} */`),
          })),
        );
        expect(c.framesWritten - before).toBe(1);
        for (const r of many) expectOpcode(r, opcodes.result);
      });

      it('sends a >128 KiB QUERY over several frames and reassembles a >128 KiB RESULT', async () => {
        const c = await open(5, compression);
        const v = blob(300 * 1024);
        const key = `v5-${compression}`;
        const partialBefore = c.partialFramesWritten;
        await query(c, `INSERT INTO ${KS}.blobs (k, v) VALUES ('${key}', 0x${v.toString('hex')})`);
        expect(c.partialFramesWritten - partialBefore).toBeGreaterThanOrEqual(Math.ceil((600 * 1024) / V5_MAX_PAYLOAD) - 1);
        const rows = await query(c, `SELECT v FROM ${KS}.blobs WHERE k = '${key}'`);
        expect(rows.readInt32BE(0)).toBe(2);
        expect(rows.indexOf(v)).toBeGreaterThan(0);
        expect(c.multiFrameEnvelopes).toBeGreaterThanOrEqual(1);
        // a request whose text alone is > 128 KiB, answered with a small result
        // (system.local: a node-local read, no replica involved)
        const big = await query(
          c,
          `SELECT key FROM system.local WHERE key = 'local' AND cluster_name = '${'x'.repeat(140_000)}' ALLOW FILTERING`,
        );
        expect(big.readInt32BE(0)).toBe(2);
      });
    });
  }

  for (const compression of ['lz4', 'snappy'] as const) {
    it(`v4 with ${compression} bodies: small and large requests and results`, async () => {
      if (!(supported['COMPRESSION'] ?? []).includes(compression)) {
        throw new Error(`server does not offer ${compression}: ${JSON.stringify(supported['COMPRESSION'])}`);
      }
      const c = await open(4, compression);
      const local = await query(c, 'SELECT * FROM system.local');
      expect(local.readInt32BE(0)).toBe(2);
      const v = blob(300 * 1024);
      const key = `v4-${compression}`;
      const written = c.bytesWritten;
      const insert = `INSERT INTO ${KS}.blobs (k, v) VALUES ('${key}', 0x${v.toString('hex')})`;
      await query(c, insert);
      expect(c.bytesWritten - written).toBeLessThan(queryBody(4, insert).length); // the body went compressed
      const rows = await query(c, `SELECT v FROM ${KS}.blobs WHERE k = '${key}'`);
      expect(rows.indexOf(v)).toBeGreaterThan(0);
    });
  }
});
