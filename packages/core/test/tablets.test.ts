// ScyllaDB tablets-routing-v1 (scylladb docs/dev/protocol-extensions.md "Tablets routing v1"): payload
// decoding, the tablet map's replacement rule and lookup by (hi, lo) token halves.
import { describe, expect, it } from 'vitest';
import { ByteWriter, CodecError, TabletMap, TableTablets, decodeTabletPayload, tokenToHiLo, type TabletPayload } from '../src';

const ID = (n: number): string => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;

/** tuple<bigint, bigint, list<tuple<uuid, int>>> as the server writes it (each element a [bytes]). */
function payload(first: bigint, last: bigint, replicas: Array<[string, number]>): Buffer {
  const w = new ByteWriter(64);
  w.i32(8);
  w.raw(bigBytes(first));
  w.i32(8);
  w.raw(bigBytes(last));
  const list = new ByteWriter(64);
  list.i32(replicas.length);
  for (const [id, shard] of replicas) {
    list.i32(4 + 16 + 4 + 4);
    list.i32(16);
    list.raw(Buffer.from(id.replace(/-/g, ''), 'hex'));
    list.i32(4);
    list.i32(shard);
  }
  w.i32(list.pos);
  w.raw(list.toBuffer());
  return w.toBuffer();
}

function bigBytes(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
}

function hl(t: bigint): [number, number] {
  const out = new Int32Array(2);
  tokenToHiLo(t, out);
  return [out[0]!, out[1]!];
}

function tablet(first: bigint, last: bigint, hosts: number[]): TabletPayload {
  const [fh, fl] = hl(first);
  const [lh, ll] = hl(last);
  return { firstHi: fh, firstLo: fl, lastHi: lh, lastLo: ll, hostIds: hosts.map(ID), shards: hosts.map((h) => h % 4) };
}

const hostIndexOf = (id: string): number => parseInt(id.slice(-12), 16);
const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;

describe('decodeTabletPayload', () => {
  it('decodes (first, last] and the (host id, shard) replicas', () => {
    const p = decodeTabletPayload(
      payload(-5n, 1n << 40n, [
        [ID(1), 3],
        [ID(2), 0],
        [ID(3), 11],
      ]),
    );
    expect([p.firstHi, p.firstLo]).toEqual(hl(-5n));
    expect([p.lastHi, p.lastLo]).toEqual(hl(1n << 40n));
    expect(p.hostIds).toEqual([ID(1), ID(2), ID(3)]);
    expect(p.shards).toEqual([3, 0, 11]);
    const whole = decodeTabletPayload(payload(MIN, MAX, [[ID(9), 0]]));
    expect([whole.firstHi, whole.firstLo, whole.lastHi, whole.lastLo]).toEqual([...hl(MIN), ...hl(MAX)]);
  });

  it('rejects bad payloads with CodecError', () => {
    const good = payload(0n, 10n, [[ID(1), 1]]);
    for (let n = 0; n < good.length; n++) expect(() => decodeTabletPayload(good.subarray(0, n))).toThrow(CodecError);
    expect(() => decodeTabletPayload(payload(10n, 10n, [[ID(1), 1]]))).toThrow(CodecError);
    expect(() => decodeTabletPayload(payload(11n, 10n, [[ID(1), 1]]))).toThrow(CodecError);
    expect(() => decodeTabletPayload(payload(0n, 10n, []))).toThrow(CodecError);
    expect(() => decodeTabletPayload(payload(0n, 10n, [[ID(1), -1]]))).toThrow(CodecError);
    // A null first token.
    const nullFirst = Buffer.from(good);
    nullFirst.writeInt32BE(-1, 0);
    expect(() => decodeTabletPayload(Buffer.concat([nullFirst.subarray(0, 4), nullFirst.subarray(12)]))).toThrow(CodecError);
  });

  it('never throws anything but CodecError on random or mutated bytes', () => {
    const good = payload(-100n, 100n, [
      [ID(1), 1],
      [ID(2), 2],
    ]);
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      const b = i % 2 === 0 ? Buffer.from(good) : Buffer.alloc(rnd(80));
      for (let k = 0; k < 1 + rnd(6); k++) if (b.length > 0) b[rnd(b.length)] = rnd(256);
      try {
        decodeTabletPayload(b);
      } catch (e) {
        expect(e).toBeInstanceOf(CodecError);
      }
    }
  });
});

describe('TableTablets', () => {
  it('finds the tablet of a token: first exclusive, last inclusive', () => {
    const t = new TableTablets();
    t.add(tablet(-100n, 0n, [1, 2, 3]), hostIndexOf);
    t.add(tablet(0n, 100n, [4, 5, 6]), hostIndexOf);
    const at = (v: bigint): number => t.indexOf(...hl(v));
    expect(at(-100n)).toBe(-1);
    expect(at(-99n)).toBe(0);
    expect(at(0n)).toBe(0);
    expect(at(1n)).toBe(1);
    expect(at(100n)).toBe(1);
    expect(at(101n)).toBe(-1);
    expect(at(MIN)).toBe(-1);
    expect(at(MAX)).toBe(-1);
    expect(Array.from(t.hosts[1]!)).toEqual([4, 5, 6]);
    expect(Array.from(t.shards[1]!)).toEqual([0, 1, 2]);
    expect(t.hostIds[0]).toEqual([ID(1), ID(2), ID(3)]);
  });

  it('replaces every overlapping tablet with the new one', () => {
    const t = new TableTablets();
    for (let i = 0; i < 10; i++) t.add(tablet(BigInt(i * 10), BigInt(i * 10 + 10), [i]), hostIndexOf);
    expect(t.count).toBe(10);
    // (15, 35] overlaps (10,20], (20,30], (30,40].
    t.add(tablet(15n, 35n, [99]), hostIndexOf);
    expect(t.count).toBe(8);
    const hostAt = (v: bigint): number => {
      const i = t.indexOf(...hl(v));
      return i < 0 ? -1 : t.hosts[i]![0]!;
    };
    expect(hostAt(10n)).toBe(0);
    expect(hostAt(15n)).toBe(-1);
    expect(hostAt(16n)).toBe(99);
    expect(hostAt(35n)).toBe(99);
    expect(hostAt(36n)).toBe(-1);
    expect(hostAt(41n)).toBe(4);
    // A touching range ((40, 50] after (30, 40]) does not overlap.
    t.add(tablet(-10n, 0n, [7]), hostIndexOf);
    expect(hostAt(0n)).toBe(7);
    expect(hostAt(5n)).toBe(0);
    // One tablet over everything.
    t.add(tablet(MIN, MAX, [42]), hostIndexOf);
    expect(t.count).toBe(1);
    expect(hostAt(123456789n)).toBe(42);
  });

  it('agrees with a BigInt model on random tablets and tokens', () => {
    let seed = 7;
    const rnd = (): bigint => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const a = BigInt(seed);
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return BigInt.asIntN(64, (a << 32n) | BigInt(seed));
    };
    const t = new TableTablets();
    let model: Array<{ f: bigint; l: bigint; h: number }> = [];
    for (let i = 0; i < 2000; i++) {
      let f = rnd();
      // Mostly narrow tablets, sometimes wide ones that replace many.
      const width = i % 50 === 0 ? (rnd() < 0n ? -rnd() : rnd()) : BigInt(1 + Number(BigInt.asUintN(20, rnd())));
      let l = f + (width < 0n ? -width : width) + 1n;
      if (l > MAX) l = MAX;
      if (f >= l) f = l - 1n;
      model = model.filter((m) => !(m.l > f && m.f < l));
      model.push({ f, l, h: i });
      t.add(tablet(f, l, [i]), hostIndexOf);
      expect(t.count).toBe(model.length);
    }
    const probe = (v: bigint): void => {
      const m = model.find((x) => x.f < v && v <= x.l);
      const i = t.indexOf(...hl(v));
      expect(i < 0 ? -1 : t.hosts[i]![0]!).toBe(m === undefined ? -1 : m.h);
    };
    for (let i = 0; i < 3000; i++) probe(rnd());
    for (const m of model.slice(0, 300)) {
      probe(m.f);
      probe(m.f + 1n);
      probe(m.l);
      if (m.l < MAX) probe(m.l + 1n);
    }
  });

  it('remaps host indexes and drops the tablets of a removed host', () => {
    const t = new TableTablets();
    t.add(tablet(0n, 10n, [1, 2]), hostIndexOf);
    t.add(tablet(10n, 20n, [2, 3]), hostIndexOf);
    t.add(tablet(20n, 30n, [3, 1]), hostIndexOf);
    t.remapHosts((id) => (id === ID(3) ? -1 : hostIndexOf(id) + 100));
    expect(Array.from(t.hosts[0]!)).toEqual([101, 102]);
    expect(Array.from(t.hosts[2]!)).toEqual([-1, 101]);
    t.removeHost(ID(2));
    expect(t.count).toBe(1);
    expect(t.indexOf(...hl(25n))).toBe(0);
    expect(t.indexOf(...hl(5n))).toBe(-1);
  });

  it('looks up without allocating', () => {
    const t = new TableTablets();
    const n = 4096;
    const step = (1n << 64n) / BigInt(n);
    for (let i = 0; i < n; i++) t.add(tablet(MIN + step * BigInt(i), i === n - 1 ? MAX : MIN + step * BigInt(i + 1), [i % 3]), hostIndexOf);
    const hi = new Int32Array(1024);
    const lo = new Int32Array(1024);
    for (let i = 0; i < 1024; i++) [hi[i], lo[i]] = hl(BigInt.asIntN(64, BigInt(i) * 18_014_398_509_481_951n));
    let sink = 0;
    for (let i = 0; i < 200_000; i++) sink += t.indexOf(hi[i & 1023]!, lo[i & 1023]!);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) sink += t.hosts[t.indexOf(hi[i & 1023]!, lo[i & 1023]!)]![0]!;
    const delta = process.memoryUsage().heapUsed - before;
    console.log(`TableTablets.indexOf: 1e6 lookups over ${n} tablets, heapUsed delta ${delta} bytes`);
    expect(sink).toBeGreaterThan(0);
    expect(delta).toBeLessThan(1024 * 1024);
  });
});

describe('TabletMap', () => {
  it('keys tablets by (keyspace, table) and removes them by table or keyspace', () => {
    const m = new TabletMap();
    expect(m.table('ks', 't')).toBeNull();
    m.addPayload('ks', 't', payload(0n, 10n, [[ID(1), 1]]), hostIndexOf);
    m.addPayload('ks', 'u', payload(0n, 10n, [[ID(2), 1]]), hostIndexOf);
    m.addPayload('ks2', 't', payload(0n, 10n, [[ID(3), 1]]), hostIndexOf);
    expect(m.tableCount).toBe(3);
    expect(m.table('ks', 't')!.hosts[0]![0]).toBe(1);
    expect(m.table('ks2', 't')!.hosts[0]![0]).toBe(3);
    expect(() => m.addPayload('ks', 't', Buffer.from([1, 2, 3]), hostIndexOf)).toThrow(CodecError);
    expect(m.table('ks', 't')!.count).toBe(1);
    m.removeTable('ks', 't');
    expect(m.table('ks', 't')).toBeNull();
    expect(m.table('ks', 'u')).not.toBeNull();
    m.removeKeyspace('ks');
    expect(m.table('ks', 'u')).toBeNull();
    m.removeHost(ID(3));
    expect(m.table('ks2', 't')).toBeNull();
    expect(m.tableCount).toBe(0);
  });
});
