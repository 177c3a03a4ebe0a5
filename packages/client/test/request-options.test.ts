/**
 * Execution options as they reach the wire, against a fake engine that records every request body (no
 * network): a bad value is refused before anything is sent, a good one is encoded as given (QUERY, spec
 * section 4.1.4: <query><consistency><flags>[page size][paging state][serial][timestamp]). Also the shared
 * request writer, which must not stay at the size of one huge request.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, ByteReader, ByteWriter, Long, NoHostAvailableError, opcodes } from '@shardcql/core';
import { Client } from '../src/client';
import { Encoder } from '../src/encoder';
import { Host } from '../src/host';
import { EngineAnswer, type EngineOptions } from '../src/engine/engine';
import type { EngineRequest } from '../src/engine/request';
import { FakeEngineBase } from './helpers/fake-engine';
import { TimestampGenerator } from '../src/policies/timestamp-generation';

interface Sent {
  body: Buffer;
  timeoutMs: number;
  hostIndex: number;
}

function voidBody(): Buffer {
  const w = new ByteWriter(8);
  w.i32(1);
  return w.toBuffer();
}

class RecordingEngine extends FakeEngineBase {
  sent: Sent[] = [];
  constructor(readonly options: EngineOptions) {
    super();
  }
  send(req: EngineRequest): Promise<EngineAnswer> {
    const { body, bodyLength, timeoutMs, hostIndex } = req;
    // Copies before returning, as the real engines do (the client reuses its writer right after).
    this.sent.push({ body: Buffer.from(body.subarray(0, bodyLength)), timeoutMs, hostIndex });
    return Promise.resolve(new EngineAnswer(opcodes.result, 0, voidBody(), hostIndex >= 0 ? hostIndex : 0));
  }
}

function newClient(options: Record<string, unknown> = {}): { client: Client; engine: () => RecordingEngine } {
  let engine: RecordingEngine | null = null;
  const client = new Client(
    { contactPoints: ['10.0.0.1'], localDataCenter: 'dc1', isMetadataSyncEnabled: false, ...options },
    (o) => (engine = new RecordingEngine(o)),
  );
  return { client, engine: () => engine! };
}

/** The default timestamp of a v4 QUERY body (flag 0x20), or null when it has none. */
function sentTimestamp(body: Buffer): bigint | null {
  const r = new ByteReader(body);
  r.longString();
  r.u16();
  const flags = r.u8();
  expect(flags & 0x01).toBe(0);
  if (flags & 0x04) r.i32();
  if (flags & 0x08) r.bytes();
  if (flags & 0x10) r.u16();
  if (!(flags & 0x20)) return null;
  return body.readBigInt64BE(r.pos);
}

/** The shared request writer (private: what this file tests is its size). */
function writerOf(client: Client): ByteWriter {
  return (client as unknown as { encoder: { writer: ByteWriter } }).encoder.writer;
}

describe('execution option timestamp', () => {
  it('refuses a String, an object, a numeric string and a Date with TypeError, sending nothing', async () => {
    const { client, engine } = newClient();
    await client.connect();
    for (const bad of ['abc', {}, '1700000000000000', new Date()]) {
      await expect(client.execute('INSERT INTO t (a) VALUES (1)', [], { timestamp: bad as unknown as number })).rejects.toThrow(TypeError);
      await expect(client.execute('INSERT INTO t (a) VALUES (1)', [], { timestamp: bad as unknown as number })).rejects.toThrow(
        /Expected Long/,
      );
    }
    // Nothing went out as timestamp 0 (which every later write would silently win over).
    expect(engine().sent).toHaveLength(0);
    await client.shutdown();
  });

  it('refuses NaN, Infinity and numbers beyond 2^53 with ArgumentError', async () => {
    const { client, engine } = newClient();
    await client.connect();
    for (const bad of [NaN, Infinity, -Infinity, 2 ** 60]) {
      await expect(client.execute('INSERT INTO t (a) VALUES (1)', [], { timestamp: bad })).rejects.toThrow(ArgumentError);
    }
    await expect(client.execute('INSERT INTO t (a) VALUES (1)', [], { timestamp: 2n ** 63n })).rejects.toThrow(ArgumentError);
    expect(engine().sent).toHaveLength(0);
    await client.shutdown();
  });

  it('sends a Number (truncated, as Long.fromNumber does), a Long and a bigint as given', async () => {
    const { client, engine } = newClient();
    await client.connect();
    await client.execute('INSERT INTO t (a) VALUES (1)', [], { timestamp: 1700000000000123 });
    await client.execute('INSERT INTO t (a) VALUES (1)', [], { timestamp: 123.9 });
    await client.execute('INSERT INTO t (a) VALUES (1)', [], { timestamp: Long.fromString('1700000000000456') });
    await client.execute('INSERT INTO t (a) VALUES (1)', [], { timestamp: -5n });
    expect(engine().sent.map((s) => sentTimestamp(s.body))).toEqual([1700000000000123n, 123n, 1700000000000456n, -5n]);
    await client.shutdown();
  });

  it('refuses what a custom timestamp generator returns when it is no timestamp', async () => {
    class Broken extends TimestampGenerator {
      override next(): number {
        return 'soon' as unknown as number;
      }
    }
    const { client, engine } = newClient({ policies: { timestampGeneration: new Broken() } });
    await client.connect();
    await expect(client.execute('INSERT INTO t (a) VALUES (1)')).rejects.toThrow(TypeError);
    expect(engine().sent).toHaveLength(0);
    await client.shutdown();
  });
});

describe('execution option readTimeout', () => {
  it('refuses -1, NaN and values above 2^31-1 ms before sending; 0 (no timeout) and 2^31-1 go through', async () => {
    const { client, engine } = newClient();
    await client.connect();
    for (const bad of [-1, NaN, 2 ** 31, 2 ** 32 + 200, Infinity]) {
      await expect(client.execute('SELECT a FROM t', [], { readTimeout: bad })).rejects.toThrow(ArgumentError);
    }
    await expect(client.execute('SELECT a FROM t', [], { readTimeout: '100' as unknown as number })).rejects.toThrow(TypeError);
    expect(engine().sent).toHaveLength(0);
    await client.execute('SELECT a FROM t', [], { readTimeout: 0 });
    await client.execute('SELECT a FROM t', [], { readTimeout: 2 ** 31 - 1 });
    expect(engine().sent.map((s) => s.timeoutMs)).toEqual([0, 2 ** 31 - 1]);
    await client.shutdown();
  });
});

describe('execution option host', () => {
  it('routes to the host of that address, whatever index the Host object carries', async () => {
    const { client, engine } = newClient();
    await client.connect();
    // A Host kept from elsewhere (another client, or from before the host table changed) with a stale index.
    const stale = new Host(engine().hosts[1]!, 0);
    await client.execute('SELECT a FROM t', [], { host: stale });
    expect(engine().sent[0]!.hostIndex).toBe(1);
    await client.shutdown();
  });

  it('fails with NoHostAvailableError for a host the client does not know, and TypeError for no Host', async () => {
    const { client, engine } = newClient();
    await client.connect();
    const unknown = new Host({ ...engine().hosts[0]!, address: '10.9.9.9:9042' }, 0);
    await expect(client.execute('SELECT a FROM t', [], { host: unknown })).rejects.toThrow(NoHostAvailableError);
    await expect(client.execute('SELECT a FROM t', [], { host: {} as Host })).rejects.toThrow(TypeError);
    expect(engine().sent).toHaveLength(0);
    await client.shutdown();
  });
});

describe('the shared request writer', () => {
  it('goes back to its initial size after a request that grew it past 4 MiB', async () => {
    const { client, engine } = newClient();
    await client.connect();
    await client.execute('INSERT INTO t (a) VALUES (?)', [Buffer.alloc(300 * 1024)]);
    // Up to 4 MiB the grown buffer is kept and reused: no new work on the common path.
    const grown = writerOf(client).buf;
    expect(grown.length).toBeGreaterThan(300 * 1024);
    await client.execute('INSERT INTO t (a) VALUES (?)', [1]);
    expect(writerOf(client).buf === grown).toBe(true);
    await client.execute('INSERT INTO t (a) VALUES (?)', [Buffer.alloc(9 * 1024 * 1024, 7)]);
    const big = engine().sent[2]!.body;
    expect(big.length).toBeGreaterThan(9 * 1024 * 1024);
    // The blob went out whole (the release happens after the engine copied it).
    expect(big.indexOf(Buffer.alloc(9 * 1024 * 1024, 7))).toBeGreaterThan(0);
    expect(writerOf(client).buf.length).toBeLessThanOrEqual(64 * 1024);
    await client.execute('INSERT INTO t (a) VALUES (?)', [1]);
    expect(engine().sent).toHaveLength(4);
    await client.shutdown();
  });

  it('goes back to its initial size when encoding a huge request fails', async () => {
    const { client, engine } = newClient();
    await client.connect();
    const huge = Buffer.alloc(9 * 1024 * 1024);
    await expect(client.execute('INSERT INTO t (a, b) VALUES (?, ?)', [huge, Symbol('no type')])).rejects.toThrow();
    expect(engine().sent).toHaveLength(0);
    expect(writerOf(client).buf.length).toBeLessThanOrEqual(64 * 1024);
    await client.shutdown();
  });

  it('of the Encoder does not keep the size of one huge value', () => {
    const encoder = new Encoder(4);
    const text = 'x'.repeat(3 * 1024 * 1024);
    expect((encoder.encode(text, 'text') as Buffer).length).toBe(text.length);
    const w = (encoder as unknown as { writer: ByteWriter }).writer;
    expect(w.buf.length).toBeLessThanOrEqual(1024 * 1024);
    expect(encoder.encode('y', 'text')).toEqual(Buffer.from('y'));
  });
});
