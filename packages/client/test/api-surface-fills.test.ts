/**
 * The gaps api-surface.test.ts found and that were filled: each checked for behaviour, against cassandra-driver
 * (the devDependency) wherever both should agree.
 */
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';

// EC2MultiRegionTranslator's DNS calls, made to fail without a network.
vi.mock('node:dns', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:dns')>();
  return {
    ...real,
    reverse: (address: string, cb: (err: Error | null, names: string[]) => void) => {
      if (address === '192.0.2.1') setImmediate(() => cb(Object.assign(new Error('queryPTR ENOTFOUND'), { code: 'ENOTFOUND' }), []));
      else setImmediate(() => cb(null, ['node1.internal']));
    },
    lookup: (name: string, cb: (err: Error | null, address: string) => void) => {
      setImmediate(() => cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }), ''));
    },
  };
});

import { Client, Encoder, ExecutionOptions, Host, HostMap, Metadata, defaultOptions, policies, types } from '../src';
import { DefaultExecutionOptions } from '../src/execution-options';
import { toEngineOptions } from '../src/client-options';
import type { EngineHost } from '../src/engine/engine';

const requireCjs = createRequire(import.meta.url);
const cd = requireCjs('cassandra-driver') as {
  types: Record<string, any>;
  Encoder: new (version: number, options: object) => { encode(v: unknown, t?: unknown): unknown; decode(b: Buffer, t: unknown): any };
};

describe('types.protocolVersion additions', () => {
  const pv = types.protocolVersion;

  it('feature predicates', () => {
    expect(pv.canStartupResponseErrorBeWrapped(3)).toBe(false);
    expect(pv.canStartupResponseErrorBeWrapped(4)).toBe(true);
    expect(pv.canStartupResponseErrorBeWrapped(5)).toBe(true);
    // v5 QUERY/EXECUTE flags and PREPARE flags are [int]s (v5 spec sections 4.1.4, 4.1.5).
    expect([3, 4, 5, 6, 0x41, 0x42].map((v) => pv.uses4BytesQueryFlags(v))).toEqual([false, false, true, true, true, true]);
    expect([4, 5, 0x41, 0x42].map((v) => pv.supportsPrepareFlags(v))).toEqual([false, true, false, true]);
    expect([4, 5, 0x41, 0x42].map((v) => pv.supportsContinuousPaging(v))).toEqual([false, false, true, true]);
    expect([4, 5, 6].map((v) => pv.isBeta(v))).toEqual([false, false, true]);
    // Where cassandra-driver and shardcql mean the same thing, they agree.
    for (const v of [1, 2, 3, 4, 0x41, 0x42]) {
      expect(pv.supportsContinuousPaging(v)).toBe(cd.types.protocolVersion.supportsContinuousPaging(v));
      expect(pv.canStartupResponseErrorBeWrapped(v)).toBe(cd.types.protocolVersion.canStartupResponseErrorBeWrapped(v));
    }
  });

  it('getHighestCommon caps the connection version by every host release', () => {
    const conn = (protocolVersion: number) => ({ protocolVersion, log: vi.fn() });
    const hosts = (...versions: Array<string | null>) =>
      versions.map((cassandraVersion, i) => ({ cassandraVersion, address: `10.0.0.${i}:9042` }));
    expect(pv.getHighestCommon(conn(5), hosts('4.1.3', '5.0.2'))).toBe(5);
    expect(pv.getHighestCommon(conn(5), hosts('4.1.3', '3.11.4'))).toBe(4);
    expect(pv.getHighestCommon(conn(4), hosts('5.0.2'))).toBe(4);
    // ScyllaDB reports release_version 3.0.8.
    expect(pv.getHighestCommon(conn(5), hosts('3.0.8', '3.0.8'))).toBe(4);
    expect(pv.getHighestCommon(conn(5), hosts('2.1.20'))).toBe(3);
    expect(pv.getHighestCommon(conn(5), hosts('2.0.17'))).toBe(2);
    expect(pv.getHighestCommon(conn(5), hosts('1.2.19'))).toBe(1);
    // A 3.0+ host needs v3+: older hosts are left out (and reported).
    const c = conn(5);
    expect(pv.getHighestCommon(c, hosts('3.11.4', '2.0.17'))).toBe(4);
    expect(c.log).toHaveBeenCalledWith('error', expect.stringContaining('older hosts are left out'));
    // Unknown versions are skipped; a HostMap-like forEach works as well as an iterable.
    const c2 = conn(5);
    expect(pv.getHighestCommon(c2, hosts(null, 'garbage', '4.0.0'))).toBe(5);
    expect(c2.log).toHaveBeenCalledTimes(2);
    const map = { forEach: (cb: (h: { cassandraVersion: string }) => void) => cb({ cassandraVersion: '3.11.0' }) };
    expect(pv.getHighestCommon({ protocolVersion: 5 }, map)).toBe(4);
    // Same answer as cassandra-driver for the releases it knows (it caps everything from 3.0 at v4).
    for (const v of ['3.11.4', '3.0.8', '2.2.19', '2.1.20', '2.0.17', '1.2.19']) {
      const h = [{ cassandraVersion: v, address: 'a' }];
      expect(pv.getHighestCommon({ protocolVersion: 4 }, h)).toBe(cd.types.protocolVersion.getHighestCommon({ protocolVersion: 4 }, h));
    }
  });
});

describe('types.opcodes and types.dataTypes additions', () => {
  it('opcodes: the same codes as cassandra-driver, and isInRange', () => {
    for (const [k, v] of Object.entries(cd.types.opcodes)) {
      if (typeof v === 'number') expect((types.opcodes as Record<string, unknown>)[k]).toBe(v);
    }
    expect(types.opcodes.credentials).toBe(0x04);
    expect(types.opcodes.cancel).toBe(0xff);
    expect(types.opcodes.isInRange(types.opcodes.query)).toBe(true);
    expect(types.opcodes.isInRange(0x10)).toBe(true);
    expect(types.opcodes.isInRange(0x11)).toBe(false);
    expect(types.opcodes.isInRange(-1)).toBe(false);
    expect(types.opcodes.isInRange(1.5)).toBe(false);
  });

  it('dataTypes.getByName parses CQL type names as cassandra-driver does', () => {
    const dt = types.dataTypes;
    expect(dt.getByName('int')).toEqual({ code: dt.int, info: null });
    expect(dt.getByName('TEXT').code).toBe(dt.text);
    expect(dt.getByName('list<text>')).toEqual({ code: dt.list, info: { code: dt.text, info: null } });
    expect(dt.getByName('map<text, int>')).toEqual({
      code: dt.map,
      info: [
        { code: dt.text, info: null },
        { code: dt.int, info: null },
      ],
    });
    expect(dt.getByName('udt<address>')).toEqual({ code: dt.udt, info: 'address' });
    expect(dt.getByName('frozen<set<uuid>>')).toEqual({ code: dt.set, info: { code: dt.uuid, info: null } });
    expect(dt.getByName('tuple<int, text>').info).toEqual([
      { code: dt.int, info: null },
      { code: dt.text, info: null },
    ]);
    expect(types.getDataTypeNameByCode(dt.getByName('vector<float, 3>'))).toBe('vector<float, 3>');
    expect(() => dt.getByName('nosuchtype')).toThrow(/not valid/);
    // The codes agree with cassandra-driver's for every simple and collection name.
    for (const name of [
      'int',
      'bigint',
      'text',
      'varchar',
      'uuid',
      'timeuuid',
      'blob',
      'list<int>',
      'set<text>',
      'map<text, bigint>',
      'duration',
    ]) {
      const theirs = cd.types.dataTypes.getByName(name);
      const ours = dt.getByName(name);
      expect(ours.code).toBe(theirs.code);
      if (theirs.info && !Array.isArray(theirs.info)) expect((ours.info as { code: number }).code).toBe(theirs.info.code);
    }
    // The enum part is unchanged.
    expect(dt.duration).toBe(0x15);
    expect(dt.tuple).toBe(0x31);
  });
});

describe('types.FrameHeader', () => {
  it('encodes the same bytes as cassandra-driver and reads them back', () => {
    for (const [version, streamId] of [
      [4, 300],
      [5, -1],
      [3, 0],
      [2, 100],
      [1, -5],
    ] as const) {
      const ours = new types.FrameHeader(version, 0x02, streamId, types.opcodes.query, 1234);
      const theirs = new cd.types.FrameHeader(version, 0x02, streamId, cd.types.opcodes.query, 1234);
      const bytes = ours.toBuffer();
      expect(bytes).toEqual(theirs.toBuffer());
      expect(bytes.length).toBe(types.FrameHeader.size(version));
      const back = types.FrameHeader.fromBuffer(Buffer.concat([Buffer.from([9, 9]), bytes]), 2);
      expect({ ...back }).toEqual({ version, flags: 0x02, streamId, opcode: types.opcodes.query, bodyLength: 1234 });
    }
    // A response (direction bit set) reads its version without the bit.
    const response = Buffer.from([0x84, 0, 0, 1, 0x08, 0, 0, 0, 4]);
    expect(types.FrameHeader.getProtocolVersion(response)).toBe(4);
    expect(types.FrameHeader.fromBuffer(response).streamId).toBe(1);
  });

  it('rejects a buffer too short for a header with ArgumentError', () => {
    expect(() => types.FrameHeader.fromBuffer(Buffer.from([4, 0, 0]))).toThrow(/needs 9 bytes/);
    expect(() => types.FrameHeader.fromBuffer(Buffer.alloc(0))).toThrow(/FrameHeader/);
  });
});

describe('Encoder', () => {
  const ours = new Encoder(4, { encoding: {} });
  const theirs = new cd.Encoder(4, { encoding: {} });
  const L = types.Long;

  const cases: Array<[string, unknown, unknown]> = [
    ['int', 42, 42],
    ['bigint', L.fromString('-9007199254740993'), cd.types.Long.fromString('-9007199254740993')],
    ['text', 'héllo', 'héllo'],
    ['ascii', 'abc', 'abc'],
    ['boolean', true, true],
    ['double', 1.5, 1.5],
    ['float', 0.25, 0.25],
    ['smallint', -2, -2],
    ['tinyint', 7, 7],
    ['timestamp', new Date(1_700_000_000_123), new Date(1_700_000_000_123)],
    [
      'uuid',
      types.Uuid.fromString('d1a5c3a6-1b0e-4f0a-9d3e-0c6a8f1e2b3c'),
      cd.types.Uuid.fromString('d1a5c3a6-1b0e-4f0a-9d3e-0c6a8f1e2b3c'),
    ],
    ['inet', types.InetAddress.fromString('10.1.2.3'), cd.types.InetAddress.fromString('10.1.2.3')],
    ['varint', types.Integer.fromString('123456789012345678901234567890'), cd.types.Integer.fromString('123456789012345678901234567890')],
    ['decimal', types.BigDecimal.fromString('-12.345'), cd.types.BigDecimal.fromString('-12.345')],
    ['date', types.LocalDate.fromString('2024-02-29'), cd.types.LocalDate.fromString('2024-02-29')],
    ['time', types.LocalTime.fromString('12:34:56.789'), cd.types.LocalTime.fromString('12:34:56.789')],
    ['list<int>', [1, 2, 3], [1, 2, 3]],
    ['set<text>', ['a', 'b'], ['a', 'b']],
    ['map<text, int>', { a: 1, b: 2 }, { a: 1, b: 2 }],
    ['tuple<int, text>', new types.Tuple(1, 'x'), new cd.types.Tuple(1, 'x')],
  ];

  it.each(cases)('%s: the same bytes as cassandra-driver, decoded back', (typeName, ourValue, theirValue) => {
    const bytes = ours.encode(ourValue, typeName) as Buffer;
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes).toEqual(theirs.encode(theirValue, typeName));
    const type = types.dataTypes.getByName(typeName);
    const back = ours.decode(bytes, type);
    const theirsBack = theirs.decode(bytes, cd.types.dataTypes.getByName(typeName));
    expect(JSON.stringify(back)).toBe(JSON.stringify(theirsBack));
  });

  it('takes a type code or a descriptor as hint, and guesses without one', () => {
    expect(ours.encode(7, types.dataTypes.int)).toEqual(Buffer.from([0, 0, 0, 7]));
    expect(ours.encode(7, { code: types.dataTypes.int, info: null })).toEqual(Buffer.from([0, 0, 0, 7]));
    expect(ours.encode(1.5)).toEqual(theirs.encode(1.5));
    expect(ours.encode('txt')).toEqual(Buffer.from('txt'));
    expect(ours.decode(Buffer.from([0, 0, 0, 7]), types.dataTypes.int)).toBe(7);
    expect(() => ours.encode(Symbol('x'))).toThrow(TypeError);
    expect(() => ours.encode('x', 'int')).toThrow(TypeError);
  });

  it('null, Buffer, undefined and unset as cassandra-driver', () => {
    const raw = Buffer.from([1, 2]);
    expect(ours.encode(null, 'int')).toBeNull();
    expect(ours.encode(raw, 'int')).toBe(raw);
    expect(ours.encode(undefined, 'int')).toBeNull();
    expect(ours.encode(types.unset, 'int')).toBe(types.unset);
    expect(new Encoder(4, { encoding: { useUndefinedAsUnset: true } }).encode(undefined, 'int')).toBe(types.unset);
    expect(() => new Encoder(3, {}).encode(types.unset, 'int')).toThrow(/Unset/);
    expect(ours.decode(null, 'int')).toBeNull();
    // An empty buffer is null except for the types that have an empty value.
    expect(ours.decode(Buffer.alloc(0), 'int')).toBeNull();
    expect(ours.decode(Buffer.alloc(0), 'text')).toBe('');
  });

  it('honours the encoding options (map, set, useBigIntAsLong)', () => {
    const enc = new Encoder(4, { encoding: { map: Map, set: Set, useBigIntAsLong: true } });
    const m = enc.decode(enc.encode({ a: 1 }, 'map<text, int>') as Buffer, 'map<text, int>');
    expect(m).toBeInstanceOf(Map);
    expect((m as Map<string, number>).get('a')).toBe(1);
    expect(enc.decode(enc.encode(['x'], 'set<text>') as Buffer, 'set<text>')).toEqual(new Set(['x']));
    expect(enc.decode(enc.encode(5n, 'bigint') as Buffer, 'bigint')).toBe(5n);
    expect(enc.protocolVersion).toBe(4);
  });

  it('statics: guessDataType and isTypedArray', () => {
    expect(Encoder.guessDataType(1)).toEqual({ code: types.dataTypes.double, info: null });
    expect(Encoder.guessDataType('d1a5c3a6-1b0e-4f0a-9d3e-0c6a8f1e2b3c')!.code).toBe(types.dataTypes.uuid);
    expect(Encoder.guessDataType(undefined)).toBeNull();
    // A copy: mutating it does not touch the shared descriptors.
    const g = Encoder.guessDataType(true)!;
    g.code = 99;
    expect(Encoder.guessDataType(true)!.code).toBe(types.dataTypes.boolean);
    expect(Encoder.isTypedArray(new Float32Array(2))).toBe(true);
    expect(Encoder.isTypedArray([1, 2])).toBe(false);
    expect(Encoder.isTypedArray(Buffer.alloc(1))).toBe(true);
  });
});

function host(address: string, dc: string, index: number): Host {
  const source = { address, datacenter: dc, rack: 'r1', tokens: [], hostId: null, cassandraVersion: '4.1.0', up: true };
  return new Host(source as unknown as EngineHost, index);
}

describe('ExecutionOptions preferred host', () => {
  it('the base class returns none; DefaultExecutionOptions keeps what is set', () => {
    const base = new ExecutionOptions();
    const h = host('10.0.0.1:9042', 'dc1', 0);
    base.setPreferredHost(h);
    expect(base.getPreferredHost()).toBeUndefined();
    const client = {
      options: { queryOptions: {}, socketOptions: { readTimeout: 12000 }, policies: {} },
      profileManager: { getProfile: () => ({}) },
    };
    const eo = DefaultExecutionOptions.create({}, client as never);
    expect(eo.getPreferredHost()).toBeUndefined();
    eo.setPreferredHost(h);
    expect(eo.getPreferredHost()).toBe(h);
  });

  it('DefaultLoadBalancingPolicy yields the preferred host first, once', async () => {
    const hosts = new HostMap();
    const hs = [host('10.0.0.1:9042', 'dc1', 0), host('10.0.0.2:9042', 'dc1', 1), host('10.0.0.3:9042', 'dc1', 2)];
    for (const h of hs) hosts.set(h.address, h);
    const lbp = new policies.loadBalancing.DefaultLoadBalancingPolicy('dc1');
    await new Promise<void>((resolve, reject) => lbp.init(null, hosts, (err) => (err ? reject(err) : resolve())));
    const plan = (eo: ExecutionOptions | null) =>
      new Promise<string[]>((resolve, reject) =>
        lbp.newQueryPlan(null, eo, (err, it) =>
          err || !it ? reject(err) : resolve([...{ [Symbol.iterator]: () => it }].map((h) => h.address)),
        ),
      );
    const eo = new (class extends ExecutionOptions {
      override getPreferredHost(): Host | undefined {
        return hs[2];
      }
    })();
    for (let i = 0; i < 3; i++) {
      const p = await plan(eo);
      expect(p[0]).toBe('10.0.0.3:9042');
      expect(p.sort()).toEqual(['10.0.0.1:9042', '10.0.0.2:9042', '10.0.0.3:9042']);
    }
    expect((await plan(null)).length).toBe(3);
  });
});

describe('client.options.id', () => {
  it('is a random Uuid per client unless given; null means none', async () => {
    const a = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1' });
    const b = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1' });
    const id = types.Uuid.random();
    const c = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', id });
    const d = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', id: null });
    expect(a.options.id).toBeInstanceOf(types.Uuid);
    expect(a.options.id!.toString()).not.toBe(b.options.id!.toString());
    expect(c.options.id).toBe(id);
    expect(d.options.id).toBeNull();
    // The engine sends it as STARTUP CLIENT_ID.
    expect(toEngineOptions(a.options).clientId).toBe(a.options.id!.toString());
    expect(toEngineOptions(d.options).clientId).toBeNull();
    // defaultOptions() has none, as in cassandra-driver (the id is per client).
    expect('id' in defaultOptions()).toBe(false);
    // As cassandra-driver: anything else than a Uuid is refused.
    expect(() => new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', id: 'abc' })).toThrow(
      new TypeError('Client id must be a Uuid'),
    );
    for (const cl of [a, b, c, d]) await cl.shutdown();
  });
});

describe('Metadata.initialized', () => {
  it('is false until the client has connected', async () => {
    const source = { querySystem: async () => [], clearPrepared: () => undefined, hosts: { values: () => [] }, connected: false };
    const md = new Metadata(source);
    expect(md.initialized).toBe(false);
    source.connected = true;
    expect(md.initialized).toBe(true);
    const client = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1' });
    expect(client.metadata.initialized).toBe(false);
    await client.shutdown();
  });
});

describe('policies', () => {
  it('WhiteListPolicy takes (childPolicy, list) like AllowListPolicy', () => {
    const child = new policies.loadBalancing.RoundRobinPolicy();
    const p = new policies.loadBalancing.WhiteListPolicy(child, ['10.0.0.1:9042']);
    expect(p).toBeInstanceOf(policies.loadBalancing.AllowListPolicy);
    expect(p.childPolicy).toBe(child);
    expect(() => new policies.loadBalancing.WhiteListPolicy(child, 'x' as never)).toThrow(/Array/);
  });

  it('ExponentialReconnectionPolicy: startWithNoDelay, default false', () => {
    const first = (p: { newSchedule(): Iterator<number> }) => p.newSchedule().next().value;
    expect(first(new policies.reconnection.ExponentialReconnectionPolicy(1000, 60000, true))).toBe(0);
    expect(first(new policies.reconnection.ExponentialReconnectionPolicy(1000, 60000))).toBeGreaterThan(0);
    expect(new policies.reconnection.ExponentialReconnectionPolicy(1000, 60000).getOptions().get('startWithNoDelay')).toBe(false);
  });

  it('EC2MultiRegionTranslator calls logError when DNS fails and keeps the address', async () => {
    const t = new policies.addressResolution.EC2MultiRegionTranslator();
    const errors: Array<[string, string]> = [];
    t.logError = (address, err) => {
      errors.push([address, (err as NodeJS.ErrnoException).code ?? '']);
    };
    const translate = (a: string) => new Promise<string>((resolve) => t.translate(a, 9042, resolve));
    expect(await translate('192.0.2.1')).toBe('192.0.2.1:9042');
    expect(await translate('10.0.0.9')).toBe('10.0.0.9:9042');
    expect(errors).toEqual([
      ['192.0.2.1', 'ENOTFOUND'],
      ['10.0.0.9', 'ENOTFOUND'],
    ]);
    // The default logError does nothing (and does not throw).
    expect(new policies.addressResolution.EC2MultiRegionTranslator().logError('x', new Error('y'))).toBeUndefined();
  });
});
