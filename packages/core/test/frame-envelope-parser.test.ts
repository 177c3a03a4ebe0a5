import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/bytes';
import { CodecError } from '../src/errors';
import { EnvelopeParser } from '../src/frame/envelope-parser';
import { beginEnvelope, endEnvelope, HEADER_SIZE, writeHeader } from '../src/frame/header';
import { frameFlags, opcodes } from '../src/frame/opcodes';

interface Env {
  version: number;
  flags: number;
  stream: number;
  opcode: number;
  body: Buffer;
}

function encode(envs: readonly Env[]): Buffer {
  const w = new ByteWriter(16);
  for (const e of envs) {
    const at = beginEnvelope(w, e.version, e.flags, e.stream, e.opcode);
    w.raw(e.body);
    endEnvelope(w, at);
  }
  return w.toBuffer();
}

function drain(p: EnvelopeParser, out: Env[]): void {
  while (p.next()) {
    out.push({
      version: p.version | (p.isResponse ? 0x80 : 0),
      flags: p.flags,
      stream: p.stream,
      opcode: p.opcode,
      body: Buffer.from(p.body.subarray(p.bodyStart, p.bodyEnd)),
    });
  }
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const c of points) {
    parts.push(buf.subarray(prev, c));
    prev = c;
  }
  parts.push(buf.subarray(prev));
  return parts;
}

const envArb = fc.record({
  version: fc.constantFrom(0x04, 0x05, 0x84, 0x85),
  flags: fc.integer({ min: 0, max: 0x1f }),
  stream: fc.integer({ min: -32768, max: 32767 }),
  opcode: fc.integer({ min: 0, max: 0x10 }),
  body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

describe('envelope header (spec section 2)', () => {
  it('writes version, flags, stream, opcode and a big-endian length', () => {
    const b = Buffer.alloc(HEADER_SIZE);
    writeHeader(b, 0, 0x05, frameFlags.tracing | frameFlags.customPayload, -1, opcodes.event, 0x01020304);
    expect(b.toString('hex')).toBe('0506ffff0c01020304');
  });
});

describe('EnvelopeParser', () => {
  it('parses a READY response without copying it', () => {
    const chunk = Buffer.from('840000010200000000' + '850001fe0800000003010203', 'hex');
    const p = new EnvelopeParser();
    p.push(chunk);
    expect(p.next()).toBe(true);
    expect([p.version, p.isResponse, p.flags, p.stream, p.opcode, p.bodyEnd - p.bodyStart]).toEqual([4, true, 0, 1, 2, 0]);
    expect(p.next()).toBe(true);
    expect([p.version, p.stream, p.opcode]).toEqual([5, 510, opcodes.result]);
    expect(p.body).toBe(chunk); // zero-copy
    expect(p.body.subarray(p.bodyStart, p.bodyEnd).toString('hex')).toBe('010203');
    expect(p.next()).toBe(false);
  });

  it('reads stream -1 (server events)', () => {
    const p = new EnvelopeParser();
    p.push(Buffer.from('8400ffff0c00000000', 'hex'));
    expect(p.next()).toBe(true);
    expect(p.stream).toBe(-1);
  });

  it('rejects a body length above the maximum or negative, and v1/v2 headers', () => {
    const big = new EnvelopeParser(1000);
    big.push(Buffer.from('840000000800000fa0', 'hex'));
    expect(() => big.next()).toThrow(CodecError);
    const def = new EnvelopeParser();
    def.push(Buffer.from('8400000008' + '10000001', 'hex')); // 256 MiB + 1
    expect(() => def.next()).toThrow(CodecError);
    const neg = new EnvelopeParser();
    neg.push(Buffer.from('8400000008ffffffff', 'hex'));
    expect(() => neg.next()).toThrow(CodecError);
    const old = new EnvelopeParser();
    old.push(Buffer.from('820000080000000000', 'hex'));
    expect(() => old.next()).toThrow(CodecError);
  });

  it('gathers an envelope split byte by byte', () => {
    const envs: Env[] = [
      { version: 0x84, flags: 8, stream: 7, opcode: 8, body: Buffer.from('abcdefghij') },
      { version: 0x84, flags: 0, stream: 8, opcode: 2, body: Buffer.alloc(0) },
    ];
    const wire = encode(envs);
    const p = new EnvelopeParser();
    const got: Env[] = [];
    for (let i = 0; i < wire.length; i++) {
      p.push(wire.subarray(i, i + 1));
      drain(p, got);
    }
    expect(got).toEqual(envs);
    expect(p.pending).toBe(0);
  });

  it('keeps undrained bytes when a chunk is pushed before the previous one was drained', () => {
    const envs: Env[] = [
      { version: 0x85, flags: 0, stream: 1, opcode: 8, body: Buffer.from('x') },
      { version: 0x85, flags: 0, stream: 2, opcode: 8, body: Buffer.from('yz') },
    ];
    const wire = encode(envs);
    const p = new EnvelopeParser();
    p.push(wire.subarray(0, 13));
    expect(p.next()).toBe(true);
    p.push(wire.subarray(13));
    const got: Env[] = [];
    drain(p, got);
    expect(got).toEqual(envs.slice(1));
  });

  it('yields the same envelopes whatever the chunk boundaries (property)', () => {
    fc.assert(
      fc.property(fc.array(envArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (envs, cuts) => {
        const wire = encode(envs);
        const p = new EnvelopeParser();
        const got: Env[] = [];
        for (const part of splitAt(wire, cuts)) {
          p.push(part);
          drain(p, got);
        }
        expect(got).toEqual(envs);
        expect(p.pending).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
});
