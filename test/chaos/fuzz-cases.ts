/**
 * The fuzz cases of scripts/fuzz.mjs (and of the replay test): for each decoder, `gen(seed, index)` builds
 * one input from those two numbers alone (so any case can be rebuilt), and `exec(input)` runs the decoder
 * on it. exec returns { typed: true } when the decoder refused the input with a typed error (DriverError:
 * CodecError and kin), {} when it accepted it, and throws anything else (a crash).
 */
import {
  ByteWriter,
  DriverError,
  EnvelopeParser,
  FAILURE_HEADER_SIZE,
  RESPONSE_HEADER_SIZE,
  RING_KIND_FAILURE,
  RING_KIND_RESPONSE,
  RingConsumer,
  RingProducer,
  RING_CONTROL_BYTES,
  RING_HEAD,
  RING_TAIL,
  V5FrameDecoder,
  V5FrameEncoder,
  beginEnvelope,
  crc24,
  crc32,
  createCompressor,
  createRingBuffer,
  dataTypes,
  decodeError,
  decodeResult,
  defaultCodecOptions,
  readValue,
  writeValue,
  Doorbell,
  type Compressor,
  type DataType,
  endEnvelope,
} from '@shardcql/core';
import { EngineRequest, RingRequester, type RequesterDescriptor } from '@shardcql/client/engine';

/** xorshift32, seeded from (seed, index) through a 32-bit mix: every case stands alone. */
export class Rng {
  private s: number;
  constructor(seed: number, index: number) {
    let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x632be5ab, 0xc2b2ae35)) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    this.s = x === 0 ? 1 : x;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

const EXTREMES = [0x7fffffff, -1, -2, 0x80000000 | 0, 0xffff, 0x10000, 0, 1, 2, 3, 17, 255, 65536];

/** Truncation, bit flips, random bytes, an extreme int32 or u16 spliced in, or bytes appended. */
export function mutate(rng: Rng, src: Buffer): Buffer {
  const roll = rng.int(100);
  if (src.length === 0 || roll < 10) return Buffer.concat([src, rng.bytes(1 + rng.int(32))]);
  if (roll < 25) return Buffer.from(src.subarray(0, rng.int(src.length)));
  const b = Buffer.from(src);
  if (roll < 60) {
    const n = 1 + rng.int(4);
    for (let i = 0; i < n; i++) b[rng.int(b.length)]! ^= 1 << rng.int(8);
  } else if (roll < 80 && b.length >= 4) {
    b.writeInt32BE(rng.pick(EXTREMES), rng.int(b.length - 3));
  } else if (b.length >= 2) {
    b.writeUInt16BE(rng.int(2) === 0 ? 0xffff : rng.int(0x40), rng.int(b.length - 1));
  } else {
    b[0] = rng.int(256);
  }
  return b;
}

function typed(e: unknown): { typed: true } {
  if (e instanceof DriverError) return { typed: true };
  throw e;
}

function chunks(rng: Rng, b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < b.length;) {
    const n = 1 + rng.int(rng.int(4) === 0 ? 8 : 512);
    out.push(b.subarray(p, p + n));
    p += n;
  }
  return out;
}

// ---- envelopes (v3/v4 framing, and v5's pre-framing handshake) --------------------------------------

function validEnvelopes(rng: Rng, version: number): Buffer {
  const w = new ByteWriter(256);
  const n = 1 + rng.int(5);
  for (let i = 0; i < n; i++) {
    const at = beginEnvelope(w, version, rng.int(32), rng.int(65536) - 32768, rng.int(17));
    w.raw(rng.bytes(rng.int(8) === 0 ? rng.int(3000) : rng.int(48)));
    endEnvelope(w, at);
  }
  return w.toBuffer();
}

function genEnvelope(seed: number, i: number): Buffer {
  const rng = new Rng(seed, i);
  const k = i % 3;
  if (k === 0) return rng.bytes(rng.int(96));
  const v = validEnvelopes(rng, rng.pick([0x84, 0x85, 0x04, 0x83]));
  return k === 1 ? mutate(rng, v) : v;
}

function execEnvelope(input: Buffer, seed: number, i: number): { typed?: true } {
  const rng = new Rng(seed ^ 0x1234, i);
  const p = new EnvelopeParser(4096);
  try {
    for (const part of chunks(rng, input)) {
      p.push(part);
      let guard = part.length + 2;
      while (p.next()) {
        if (--guard < 0) throw new Error('EnvelopeParser does not make progress');
        if (p.bodyStart < 0 || p.bodyEnd > p.body.length || p.bodyStart > p.bodyEnd) throw new Error('body outside its buffer');
      }
    }
    return {};
  } catch (e) {
    return typed(e);
  }
}

// ---- v5 frames (plain and LZ4) ----------------------------------------------------------------------

let lz4: Compressor | null = null;

function validCrcFrames(rng: Rng, compressed: boolean): Buffer {
  const w = new ByteWriter(256);
  const n = 1 + rng.int(4);
  for (let f = 0; f < n; f++) {
    const payload =
      rng.int(3) === 0
        ? Buffer.concat([Buffer.from([0x05, 0, 0, 0, 8, 0, 0, 0, rng.int(60)]), rng.bytes(rng.int(80))])
        : rng.bytes(rng.int(4) === 0 ? rng.int(400) : rng.int(40));
    const sc = rng.int(2);
    const at = w.pos;
    const plen = payload.length;
    if (compressed) {
      const unc = rng.int(3) === 0 ? 0 : rng.int(0x20000);
      w.raw(
        Buffer.from([
          plen & 0xff,
          (plen >> 8) & 0xff,
          ((plen >> 16) & 1) | ((unc & 0x7f) << 1),
          (unc >> 7) & 0xff,
          ((unc >> 15) & 3) | (sc << 2),
        ]),
      );
      const c = crc24(w.buf, at, 5);
      w.raw(Buffer.from([c & 0xff, (c >> 8) & 0xff, c >> 16]));
    } else {
      w.raw(Buffer.from([plen & 0xff, (plen >> 8) & 0xff, ((plen >> 16) & 1) | (sc << 1)]));
      const c = crc24(w.buf, at, 3);
      w.raw(Buffer.from([c & 0xff, (c >> 8) & 0xff, c >> 16]));
    }
    w.raw(payload);
    const t = Buffer.alloc(4);
    t.writeUInt32LE(crc32(payload, 0, plen), 0);
    w.raw(t);
  }
  return w.toBuffer();
}

function genV5(seed: number, i: number): Buffer {
  const rng = new Rng(seed, i);
  const compressed = (i & 1) === 1;
  const k = (i >> 1) % 4;
  if (k === 0) return rng.bytes(rng.int(96));
  if (k === 3) return validCrcFrames(rng, compressed);
  const env = validEnvelopes(rng, 0x05);
  const w = new ByteWriter(1024);
  new V5FrameEncoder(compressed ? lz4 : null, rng.int(2) === 0 ? 64 : undefined).encode(env, 0, env.length, w);
  return k === 1 ? mutate(rng, w.toBuffer()) : w.toBuffer();
}

function execV5(input: Buffer, seed: number, i: number): { typed?: true } {
  const rng = new Rng(seed ^ 0x5555, i);
  const d = new V5FrameDecoder((i & 1) === 1 ? lz4 : null, 8192);
  try {
    for (const part of chunks(rng, input)) {
      d.push(part);
      let guard = part.length + 2;
      for (let p = d.next(); p !== null; p = d.next()) if (--guard < 0) throw new Error('V5FrameDecoder does not make progress');
    }
    return {};
  } catch (e) {
    return typed(e);
  }
}

// ---- RESULT and ERROR bodies ------------------------------------------------------------------------

const codec = defaultCodecOptions();

function resultSeeds(): Buffer[] {
  const out: Buffer[] = [];
  const w = new ByteWriter(256);
  const done = () => {
    out.push(w.toBuffer());
    w.reset();
  };
  const col = (name: string, write: () => void) => {
    w.string(name);
    write();
  };
  // Rows, global table spec, several types.
  w.i32(2);
  w.i32(0x01);
  w.i32(6);
  w.string('ks');
  w.string('t');
  col('a', () => w.u16(dataTypes.bigint));
  col('b', () => w.u16(dataTypes.varchar));
  col('c', () => {
    w.u16(dataTypes.map);
    w.u16(dataTypes.varchar);
    w.u16(dataTypes.int);
  });
  col('d', () => {
    w.u16(dataTypes.list);
    w.u16(dataTypes.uuid);
  });
  col('e', () => {
    w.u16(dataTypes.tuple);
    w.u16(2);
    w.u16(dataTypes.int);
    w.u16(dataTypes.varchar);
  });
  col('f', () => {
    w.u16(dataTypes.udt);
    w.string('ks');
    w.string('u');
    w.u16(2);
    w.string('x');
    w.u16(dataTypes.int);
    w.string('y');
    w.u16(dataTypes.varchar);
  });
  w.i32(2);
  for (let r = 0; r < 2; r++) {
    w.i32(8);
    w.i64(r, 7);
    w.i32(3);
    w.raw(Buffer.from('abc'));
    w.i32(4 + 4 + 1 + 4 + 4);
    w.i32(1);
    w.i32(1);
    w.raw(Buffer.from('k'));
    w.i32(4);
    w.i32(r);
    w.i32(4 + 4 + 16);
    w.i32(1);
    w.i32(16);
    w.raw(Buffer.alloc(16, r));
    w.i32(4 + 4 + 4 + 2);
    w.i32(4);
    w.i32(5);
    w.i32(2);
    w.raw(Buffer.from('tt'));
    if (r === 1) w.i32(-1);
    else {
      w.i32(4 + 4 + 4 + 1);
      w.i32(4);
      w.i32(5);
      w.i32(1);
      w.raw(Buffer.from('u'));
    }
  }
  done();
  // Rows with a paging state and per-column specs.
  w.i32(2);
  w.i32(0x02);
  w.i32(2);
  w.bytes(Buffer.from([1, 2, 3]));
  for (const n of ['x', 'y']) {
    w.string('ks');
    w.string('t');
    w.string(n);
    w.u16(dataTypes.int);
  }
  w.i32(1);
  w.i32(4);
  w.i32(1);
  w.i32(-1);
  done();
  // Prepared (v5 layout), void, set keyspace, schema change.
  w.i32(4);
  w.shortBytes(Buffer.from([1, 2]));
  w.shortBytes(Buffer.from([3]));
  w.i32(1);
  w.i32(2);
  w.i32(1);
  w.u16(0);
  w.string('ks');
  w.string('t');
  w.string('k');
  w.u16(dataTypes.int);
  w.string('v');
  w.u16(dataTypes.varchar);
  w.i32(1);
  w.i32(1);
  w.string('ks');
  w.string('t');
  w.string('v');
  w.u16(dataTypes.varchar);
  done();
  w.i32(1);
  done();
  w.i32(3);
  w.string('ks');
  done();
  w.i32(5);
  w.string('CREATED');
  w.string('FUNCTION');
  w.string('ks');
  w.string('f');
  w.stringList(['int', 'text']);
  done();
  return out;
}

function errorSeeds(): Buffer[] {
  const out: Buffer[] = [];
  const w = new ByteWriter(128);
  const e = (code: number, rest: () => void) => {
    w.i32(code);
    w.string('message');
    rest();
    out.push(w.toBuffer());
    w.reset();
  };
  e(0x1000, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
  });
  e(0x1100, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.string('SIMPLE');
  });
  e(0x1200, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.u8(1);
  });
  e(0x1300, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.i32(1);
    w.u8(4);
    w.raw(Buffer.from([1, 2, 3, 4]));
    w.u16(1);
    w.u8(0);
  });
  e(0x1400, () => {
    w.string('ks');
    w.string('f');
    w.stringList(['int']);
  });
  e(0x1500, () => {
    w.u16(4);
    w.i32(2);
    w.i32(1);
    w.i32(1);
    w.u8(4);
    w.raw(Buffer.from([1, 2, 3, 4]));
    w.u16(1);
    w.string('BATCH');
  });
  e(0x2400, () => {
    w.string('ks');
    w.string('t');
  });
  e(0x2500, () => {
    w.shortBytes(Buffer.from([1, 2, 3]));
  });
  e(0x0000, () => {});
  e(0x000a, () => {});
  return out;
}

let RESULTS: Buffer[] = [];
let ERRORS: Buffer[] = [];

function genResult(seed: number, i: number): Buffer {
  const rng = new Rng(seed, i);
  if (i % 4 === 0) {
    const b = rng.bytes(rng.int(80));
    if (b.length >= 4) b.writeInt32BE(1 + rng.int(5), 0);
    return b;
  }
  let b = rng.pick(RESULTS);
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) b = mutate(rng, b);
  return b;
}

function execResult(input: Buffer, _seed: number, i: number): { typed?: true } {
  try {
    decodeResult(input, 0, input.length, (i & 1) === 1 ? 5 : 4, codec, null);
    return {};
  } catch (e) {
    return typed(e);
  }
}

function genError(seed: number, i: number): Buffer {
  const rng = new Rng(seed, i);
  if (i % 4 === 0) return rng.bytes(rng.int(64));
  let b = rng.pick(ERRORS);
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) b = mutate(rng, b);
  return b;
}

function execError(input: Buffer, _seed: number, i: number): { typed?: true } {
  try {
    decodeError(input, 0, input.length, (i & 1) === 1 ? 5 : 4, 0xf000);
    return {};
  } catch (e) {
    return typed(e);
  }
}

// ---- readValue for every type -----------------------------------------------------------------------

const T = (code: number, info: DataType['info'] = null, customTypeName?: string): DataType =>
  customTypeName === undefined ? { code, info } : { code, info, customTypeName };

const VALUE_TYPES: Array<{ type: DataType; sample: unknown }> = [];

function valueTypes(): void {
  const d = dataTypes;
  const prim: Array<[number, unknown]> = [
    [d.ascii, 'abc'],
    [d.bigint, 7n],
    [d.blob, Buffer.from([1, 2, 3])],
    [d.boolean, true],
    [d.counter, 3n],
    [d.double, 1.5],
    [d.float, 2.5],
    [d.int, 42],
    [d.text, 'héllo'],
    [d.varchar, 'x'],
    [d.timestamp, new Date(1_700_000_000_000)],
    [d.smallint, 3],
    [d.tinyint, -2],
  ];
  for (const [code, sample] of prim) VALUE_TYPES.push({ type: T(code), sample });
  // Types whose samples come from decoding random valid-length bytes (their classes vary).
  for (const code of [d.decimal, d.uuid, d.timeuuid, d.varint, d.inet, d.date, d.time, d.duration, d.custom])
    VALUE_TYPES.push({ type: code === d.custom ? T(code, 'org.apache.cassandra.db.marshal.BytesType') : T(code), sample: undefined });
  VALUE_TYPES.push({ type: T(d.list, T(d.int)), sample: [1, 2, 3] });
  VALUE_TYPES.push({ type: T(d.set, T(d.text)), sample: ['a', 'b'] });
  VALUE_TYPES.push({ type: T(d.map, [T(d.text), T(d.bigint)]), sample: { a: 1n } });
  VALUE_TYPES.push({ type: T(d.list, T(d.map, [T(d.int), T(d.list, T(d.text))])), sample: undefined });
  VALUE_TYPES.push({ type: T(d.tuple, [T(d.int), T(d.text), T(d.blob)]), sample: undefined });
  VALUE_TYPES.push({
    type: T(d.udt, {
      keyspace: 'ks',
      name: 'u',
      fields: [
        { name: 'x', type: T(d.int) },
        { name: 'y', type: T(d.text) },
        { name: 'z', type: T(d.list, T(d.int)) },
      ],
    }),
    sample: undefined,
  });
  VALUE_TYPES.push({
    type: T(
      d.custom,
      { subtype: T(d.float), dimension: 3 },
      'org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType, 3)',
    ),
    sample: undefined,
  });
  VALUE_TYPES.push({
    type: T(
      d.custom,
      { subtype: T(d.text), dimension: 2 },
      'org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.UTF8Type, 2)',
    ),
    sample: undefined,
  });
}

const encoded = new Map<number, Buffer>();

function sampleBytes(k: number): Buffer | null {
  if (encoded.has(k)) return encoded.get(k)!;
  const { type, sample } = VALUE_TYPES[k]!;
  let b: Buffer | null = null;
  if (sample !== undefined) {
    try {
      const w = new ByteWriter(64);
      writeValue(w, sample, type, codec);
      const all = w.toBuffer();
      b = all.subarray(4, 4 + all.readInt32BE(0));
    } catch {
      b = null;
    }
  }
  encoded.set(k, b as Buffer);
  return b;
}

function genValue(seed: number, i: number): { k: number; bytes: Buffer } {
  const rng = new Rng(seed, i);
  const k = i % VALUE_TYPES.length;
  const s = sampleBytes(k);
  if (s !== null && rng.int(2) === 0) return { k, bytes: mutate(rng, s) };
  const b = rng.bytes(rng.int(4) === 0 ? rng.int(200) : rng.int(24));
  // Collections and tuples: a plausible element count up front gets past the first check.
  if (b.length >= 4 && rng.int(2) === 0) b.writeInt32BE(rng.int(4), 0);
  return { k, bytes: b };
}

function execValue(input: { k: number; bytes: Buffer }): { typed?: true } {
  const b = input.bytes;
  try {
    readValue(b, 0, b.length, VALUE_TYPES[input.k]!.type, codec);
    return {};
  } catch (e) {
    return typed(e);
  }
}

// ---- the ring record format (RingConsumer on a ring full of random bytes) ---------------------------

function genRing(seed: number, i: number): { cap: number; head: number; tail: number; data: Buffer } {
  const rng = new Rng(seed, i);
  const cap = 64 << rng.int(5);
  const data = rng.bytes(cap);
  // Plausible record headers at some 8-aligned offsets (u32 length LE, u16 kind), the rest random.
  for (let off = 0; off + 8 <= cap; off += 8) {
    if (rng.int(3) === 0) {
      data.writeUInt32LE(rng.int(4) === 0 ? rng.u32() : rng.int(cap), off);
      data.writeUInt32LE(rng.int(4), off + 4);
    }
  }
  const head = rng.int(2) === 0 ? rng.int(cap) & ~7 : rng.u32() | 0;
  const tail = rng.int(2) === 0 ? (head + (rng.int(cap) & ~7)) | 0 : rng.u32() | 0;
  return { cap, head, tail, data };
}

function execRing(input: { cap: number; head: number; tail: number; data: Buffer }): { typed?: true } {
  const sab = createRingBuffer(input.cap);
  const ctrl = new Int32Array(sab, 0, RING_CONTROL_BYTES >> 2);
  ctrl[RING_HEAD] = input.head;
  ctrl[RING_TAIL] = input.tail;
  new Uint8Array(sab, RING_CONTROL_BYTES, input.cap).set(input.data);
  try {
    const c = new RingConsumer(sab);
    let guard = input.cap / 8 + 2;
    while (c.next()) {
      if (--guard < 0) throw new Error('RingConsumer does not make progress');
      if (c.offset < 0 || c.offset + c.length > c.capacity) throw new Error(`record outside the ring: ${c.offset}+${c.length}`);
    }
    c.release();
    return {};
  } catch (e) {
    return typed(e);
  }
}

// ---- the response dispatcher: RingRequester.settle via random response records ----------------------

interface SettleInput {
  requests: number;
  records: Array<{ kind: number; idMode: number; id: number; len: number; bytes: string }>;
}

function genSettle(seed: number, i: number): SettleInput {
  const rng = new Rng(seed, i);
  const requests = rng.int(9);
  const records: SettleInput['records'] = [];
  const n = 1 + rng.int(8);
  for (let r = 0; r < n; r++) {
    const kind = rng.int(4) === 0 ? rng.int(8) : rng.pick([RING_KIND_RESPONSE, RING_KIND_FAILURE]);
    // idMode 0: the id of a live request; 1: a random id; 2: an id just past the table.
    const idMode = rng.int(3);
    const len = rng.int(5) === 0 ? rng.int(RESPONSE_HEADER_SIZE) : RESPONSE_HEADER_SIZE + rng.int(64);
    records.push({ kind, idMode, id: rng.u32(), len, bytes: rng.bytes(len).toString('hex') });
  }
  return { requests, records };
}

/**
 * One long-lived requester for every case (as in the engine: one per client): per case, a few requests
 * are sent, the random records are published and drained, then every request still in flight gets a
 * well-formed FAILURE record, so each case starts from an empty table.
 */
let settleRig: { req: RingRequester; descriptor: RequesterDescriptor; rc: RingConsumer; prod: RingProducer } | null = null;

function rig(): NonNullable<typeof settleRig> {
  if (settleRig === null) {
    const descriptor: RequesterDescriptor = {
      requester: 0,
      responseBell: Doorbell.createBuffer(),
      workers: [{ requests: createRingBuffer(1 << 16), responses: createRingBuffer(1 << 16), workerBell: Doorbell.createBuffer() }],
    };
    settleRig = {
      req: new RingRequester(descriptor, 64),
      descriptor,
      rc: new RingConsumer(descriptor.workers[0]!.requests),
      prod: new RingProducer(descriptor.workers[0]!.responses),
    };
  }
  return settleRig;
}

async function execSettle(input: SettleInput): Promise<{ typed?: true }> {
  const { req, rc, prod } = rig();
  const outcomes: Array<Promise<unknown>> = [];
  let bad: unknown = null;
  const ids: number[] = [];
  try {
    const body = Buffer.from([0, 0, 0, 1]);
    for (let r = 0; r < input.requests; r++) {
      outcomes.push(
        req.send(0, 0, EngineRequest.of(7, body, body.length, 1000)).then(
          (v) => {
            if (v === null || typeof v !== 'object' || !('opcode' in (v as object)))
              bad ??= new Error('resolved with something that is not a EngineAnswer');
          },
          (e: unknown) => {
            if (!(e instanceof DriverError)) bad ??= e;
          },
        ),
      );
    }
    // The requester publishes a burst's records with its doorbell ring, in a microtask queued by the first
    // send: a worker reads them once rung, so this one waits for that microtask too.
    await new Promise<void>((r) => queueMicrotask(r));
    // The ids the requester gave them, as a worker reads them.
    while (rc.next())
      ids.push(rc.u8[rc.offset]! | (rc.u8[rc.offset + 1]! << 8) | (rc.u8[rc.offset + 2]! << 16) | (rc.u8[rc.offset + 3]! << 24));
    rc.release();
    for (const rec of input.records) {
      const payload = Buffer.from(rec.bytes, 'hex');
      const id = rec.idMode === 0 && ids.length > 0 ? ids[rec.id % ids.length]! : rec.idMode === 1 ? rec.id : 64 + (rec.id % 4);
      if (payload.length >= 4) payload.writeUInt32LE(id >>> 0, 0);
      const off = prod.reserve(rec.kind === 0 ? 1 : rec.kind, payload.length);
      if (off < 0) break;
      prod.u8.set(payload, off);
    }
    prod.publish();
    req.drain();
    return {};
  } catch (e) {
    return typed(e);
  } finally {
    // Clean up: a well-formed FAILURE for every request still in flight (a drain that threw left the
    // rest of its records consumed but unsettled).
    try {
      for (const id of ids) {
        if (!req.slots.has(id)) continue;
        const off = prod.reserve(RING_KIND_FAILURE, FAILURE_HEADER_SIZE);
        prod.u8.fill(0, off, off + FAILURE_HEADER_SIZE);
        prod.u8[off] = id & 0xff;
        prod.u8[off + 1] = (id >>> 8) & 0xff;
        prod.u8[off + 2] = (id >>> 16) & 0xff;
        prod.u8[off + 3] = (id >>> 24) & 0xff;
        prod.u8[off + 4] = 1;
      }
      prod.publish();
      req.drain();
    } catch {
      // the table must be empty whatever happened, or the next cases inherit a full one
      req.slots.rejectAll(-1, () => new DriverError('fuzz case over'));
    }
    await Promise.all(outcomes);
    // eslint-disable-next-line no-unsafe-finally -- a cleanup that fails must fail the case, over its own outcome
    if (bad !== null) throw bad;
  }
}

// ---- the table ----------------------------------------------------------------------------------------

type Exec = (seed: number, index: number) => Promise<{ typed?: true }> | { typed?: true };

export interface Cases {
  envelope: Exec;
  v5frame: Exec;
  result: Exec;
  error: Exec;
  value: Exec;
  ring: Exec;
  settle: Exec;
  /** The input of a case, JSON-able (hex for bytes), for a reproducer. */
  inputOf(decoder: string, seed: number, index: number): unknown;
  close(): Promise<void>;
}

const hex = (b: Buffer) => b.toString('hex');

export async function makeCases(): Promise<Cases> {
  lz4 = createCompressor('lz4');
  RESULTS = resultSeeds();
  ERRORS = errorSeeds();
  if (VALUE_TYPES.length === 0) valueTypes();
  return {
    envelope: (s, i) => execEnvelope(genEnvelope(s, i), s, i),
    v5frame: (s, i) => execV5(genV5(s, i), s, i),
    result: (s, i) => execResult(genResult(s, i), s, i),
    error: (s, i) => execError(genError(s, i), s, i),
    value: (s, i) => execValue(genValue(s, i)),
    ring: (s, i) => execRing(genRing(s, i)),
    settle: (s, i) => execSettle(genSettle(s, i)),
    inputOf(decoder, s, i) {
      switch (decoder) {
        case 'envelope':
          return hex(genEnvelope(s, i));
        case 'v5frame':
          return hex(genV5(s, i));
        case 'result':
          return hex(genResult(s, i));
        case 'error':
          return hex(genError(s, i));
        case 'value': {
          const v = genValue(s, i);
          return { type: VALUE_TYPES[v.k]!.type, bytes: hex(v.bytes) };
        }
        case 'ring': {
          const r = genRing(s, i);
          return { ...r, data: hex(r.data) };
        }
        case 'settle':
          return genSettle(s, i);
        default:
          return null;
      }
    },
    async close() {},
  };
}

export { FAILURE_HEADER_SIZE };
