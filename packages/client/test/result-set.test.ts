import { describe, expect, it } from 'vitest';
import { ResultSet, type ExecutionInfo } from '../src/result-set';
import { PreparedCache, PreparedInfo } from '../src/prepared-cache';
import { Metadata } from '../src/metadata';
import { murmur3Token } from '@shardcql/core';

const info = (): ExecutionInfo => ({
  queriedHost: '127.0.0.1:9042',
  triedHosts: {},
  speculativeExecutions: 0,
  achievedConsistency: 1,
  traceId: null,
  warnings: null,
  customPayload: null,
  isSchemaInAgreement: true,
});
// Rows are plain objects here: ResultSet only reads them.
const row = (o: Record<string, unknown>) => o as never;

describe('ResultSet', () => {
  it('exposes rows, first(), rowLength, columns and an iterator', () => {
    const rs = new ResultSet([row({ a: 1 }), row({ a: 2 })], [], null, info());
    expect(rs.rowLength).toBe(2);
    expect(rs.first()).toEqual({ a: 1 });
    expect([...rs]).toEqual([{ a: 1 }, { a: 2 }]);
    expect(rs.pageState).toBeNull();
    expect(rs.isPaged()).toBe(false);
    expect(rs.nextPage).toBeUndefined();
  });

  it('has no rows for void results', () => {
    const rs = new ResultSet(undefined, null, null, info());
    expect(rs.rows).toBeUndefined();
    expect(rs.first()).toBeNull();
    expect([...rs]).toEqual([]);
    expect(rs.wasApplied()).toBe(true);
  });

  it('wasApplied reads [applied]', () => {
    expect(new ResultSet([row({ '[applied]': false, v: 1 })], [], null, info()).wasApplied()).toBe(false);
    expect(new ResultSet([row({ '[applied]': true })], [], null, info()).wasApplied()).toBe(true);
    expect(new ResultSet([row({ x: 1 })], [], null, info()).wasApplied()).toBe(true);
  });

  it('gives the page state as hex and keeps the raw one hidden', () => {
    const rs = new ResultSet([], [], Buffer.from([0xab, 0x01]), info());
    expect(rs.pageState).toBe('ab01');
    expect(rs.rawPageState).toEqual(Buffer.from([0xab, 0x01]));
    expect(Object.keys(rs)).not.toContain('rawPageState');
    expect(rs.isPaged()).toBe(true);
  });

  it('async-iterates across pages, including empty pages in the middle', async () => {
    const pages = [
      { rows: [row({ i: 3 })], state: Buffer.from([2]) },
      { rows: [], state: Buffer.from([3]) },
      { rows: [row({ i: 4 }), row({ i: 5 })], state: null },
    ];
    const seen: Buffer[] = [];
    const fetch = async (ps: Buffer) => {
      seen.push(ps);
      const p = pages.shift()!;
      return new ResultSet(p.rows, [], p.state, info());
    };
    const rs = new ResultSet([row({ i: 1 }), row({ i: 2 })], [], Buffer.from([1]), info());
    rs.nextPageAsync = fetch;
    const out: unknown[] = [];
    for await (const r of rs) out.push(r);
    expect(out).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }, { i: 5 }]);
    expect(seen).toEqual([Buffer.from([1]), Buffer.from([2]), Buffer.from([3])]);
  });

  it('async iteration without nextPageAsync but with a page state is an internal error', async () => {
    const rs = new ResultSet([], [], Buffer.from([1]), info());
    await expect(rs[Symbol.asyncIterator]().next()).rejects.toThrow('nextPageAsync');
  });
});

describe('PreparedCache', () => {
  it('evicts the least recently used beyond maxPrepared', () => {
    const c = new PreparedCache(2);
    const a = new PreparedInfo('a', null);
    const b = new PreparedInfo('b', null);
    const d = new PreparedInfo('d', null);
    c.set('a', a);
    c.set('b', b);
    c.setId(a, Buffer.from([1]));
    expect(c.get('a')).toBe(a); // a is now the most recent
    c.set('d', d);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(a);
    expect(c.get('d')).toBe(d);
    expect(c.getById(Buffer.from([1]))).toBe(a);
    c.set('e', new PreparedInfo('e', null));
    c.set('f', new PreparedInfo('f', null));
    expect(c.getById(Buffer.from([1]))).toBeUndefined();
    expect(c.size).toBe(2);
  });

  it('keys by keyspace and query', () => {
    expect(PreparedCache.key(null, 'q')).not.toBe(PreparedCache.key('ks', 'q'));
    expect(PreparedCache.key('ks', 'q')).toBe(PreparedCache.key('ks', 'q'));
  });
});

describe('Metadata.getReplicas', () => {
  it('walks the token ring per strategy', () => {
    const mk = (address: string, dc: string, tokens: string[]) => ({ address, datacenter: dc, tokens }) as never;
    const hosts = [mk('a', 'dc1', ['-100', '500']), mk('b', 'dc1', ['0']), mk('c', 'dc2', ['100']), mk('d', 'dc2', ['1000'])];
    const m = new Metadata({ querySystem: async () => [], clearPrepared: () => undefined, hosts: { values: () => hosts } });
    m.keyspaces = {
      s: {
        name: 's',
        durableWrites: true,
        strategy: 'org.apache.cassandra.locator.SimpleStrategy',
        strategyOptions: { replication_factor: '2' },
        virtual: false,
      },
      n: { name: 'n', durableWrites: true, strategy: 'NetworkTopologyStrategy', strategyOptions: { dc1: '1', dc2: '1' }, virtual: false },
    };
    const key = Buffer.from('some key');
    const t = murmur3Token(key);
    // Ring: -100 a, 0 b, 100 c, 500 a, 1000 d; the first token >= t owns the key (wrapping).
    const ring: Array<[bigint, string]> = [
      [-100n, 'a'],
      [0n, 'b'],
      [100n, 'c'],
      [500n, 'a'],
      [1000n, 'd'],
    ];
    let start = ring.findIndex(([tok]) => tok >= t);
    if (start < 0) start = 0;
    const order: string[] = [];
    for (let i = 0; i < ring.length; i++) {
      const h = ring[(start + i) % ring.length]![1];
      if (!order.includes(h)) order.push(h);
    }
    expect(m.getReplicas('s', key).map((h) => h.address)).toEqual(order.slice(0, 2));
    const dcOf: Record<string, string> = { a: 'dc1', b: 'dc1', c: 'dc2', d: 'dc2' };
    const nts = m.getReplicas('n', key).map((h) => h.address);
    expect(nts).toHaveLength(2);
    expect(new Set(nts.map((a) => dcOf[a]))).toEqual(new Set(['dc1', 'dc2']));
    expect(nts[0]).toBe(order[0]);
    expect(m.getReplicas('unknown', key)).toEqual([]);
  });
});
