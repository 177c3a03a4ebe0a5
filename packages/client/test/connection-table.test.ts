// The connection table (engine/routing/connection-table.ts): what the owner writes is what a reader on another
// thread sees (same SharedArrayBuffer), across growth, removal and host renumbering.
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { ConnectionTable } from '../src/engine/routing/connection-table';

const spec = (conn: number, host = '10.0.0.1') => ({ conn, host, port: 9042, localPort: null });

describe('ConnectionTable', () => {
  it("keeps each host's connections, usable marks and shard slots", () => {
    const t = new ConnectionTable();
    t.setHostCount(2);
    t.add(0, 0, 0, spec(0));
    t.add(1, 1, 0, spec(1));
    t.add(2, 0, 1, spec(2, '10.0.0.2'));
    expect(t.connsOf(0)).toEqual([0, 1]);
    expect(Array.from(t.usableMarks)).toEqual([0, 0]);
    expect(t.setUp(1, true)).toBe(0);
    expect(Array.from(t.usableMarks)).toEqual([1, 0]);
    expect(t.openConnOf(0, 0)).toBe(1);
    expect(t.workerOf(1)).toBe(1);
    t.initShards(1, 4);
    t.setShardConn(1, 2, 2);
    expect(t.shardConnsOf(1)).toEqual([-1, -1, 2, -1]);
    expect(t.shardSlotOf(1, 2)).toBe(2);
    expect(t.missingShard(1)).toBe(0);
    t.remove(1);
    expect(t.connsOf(0)).toEqual([0]);
    expect(t.hostOf(1)).toBe(-1);
    expect(Array.from(t.usableMarks)).toEqual([0, 0]);
    t.remove(2);
    expect(t.shardConnsOf(1)).toEqual([-1, -1, -1, -1]);
  });

  it('grows (connections, hosts, connections per host, shards) and a reader attached to the new buffer sees it all', () => {
    const t = new ConnectionTable();
    let grew = 0;
    t.onGrow = () => grew++;
    const reader = new ConnectionTable(t.share());
    t.setHostCount(20);
    for (let c = 0; c < 300; c++) {
      t.add(c, c % 3, c % 20, spec(c));
      t.setUp(c, c % 2 === 0);
    }
    t.initShards(5, 40);
    t.setShardConn(5, 39, 5);
    expect(grew).toBeGreaterThan(0);
    reader.attach(t.share());
    expect(reader.hostCount).toBe(20);
    expect(reader.connsOf(7)).toEqual(Array.from({ length: 15 }, (_x, k) => 7 + 20 * k));
    expect(reader.shardConnOf(5, 39)).toBe(5);
    expect(reader.isUp(298)).toBe(true);
    expect(reader.isUp(299)).toBe(false);
    expect(reader.workerOf(299)).toBe(299 % 3);
  });

  it('renumbers hosts in place: lists, shard slots and host cells move with their hosts', () => {
    const t = new ConnectionTable();
    t.setHostCount(3);
    for (let c = 0; c < 6; c++) {
      t.add(c, 0, c >> 1, spec(c));
      t.setUp(c, true);
    }
    t.add(6, -1, 2, spec(6), false); // a slot in no list (the direct lane's)
    t.initShards(2, 2);
    t.setShardConn(2, 1, 5);
    t.remove(2);
    t.remove(3);
    t.renumberHosts([0, -1, 1], 2);
    expect(t.hostCount).toBe(2);
    expect(t.connsOf(1)).toEqual([4, 5]);
    expect(t.shardConnsOf(1)).toEqual([-1, 5]);
    expect([t.hostOf(4), t.hostOf(5), t.hostOf(6)]).toEqual([1, 1, 1]);
    expect(Array.from(t.usableMarks)).toEqual([1, 1]);
    expect(t.connCountOf(2)).toBe(0);
  });

  it('is read live from another thread', async () => {
    const t = new ConnectionTable();
    t.setHostCount(1);
    t.add(0, 0, 0, spec(0));
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const cells = new Int32Array(workerData.buffer);
      parentPort.on('message', (i) => parentPort.postMessage(Atomics.load(cells, i)));
      parentPort.postMessage('ready');
    `;
    const shared = t.share();
    const w = new Worker(code, { eval: true, workerData: shared });
    const next = (): Promise<unknown> => new Promise((r) => w.once('message', r));
    try {
      expect(await next()).toBe('ready');
      // The up cell of connection 0: header (4 cells), then worker[conns], host[conns], up[conns].
      const upCell = 4 + 2 * shared.conns;
      w.postMessage(upCell);
      expect(await next()).toBe(0);
      t.setUp(0, true);
      w.postMessage(upCell);
      expect(await next()).toBe(1);
    } finally {
      await w.terminate();
    }
  });
});
