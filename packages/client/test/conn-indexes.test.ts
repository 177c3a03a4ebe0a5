// Connection indexes (engine/conn-indexes.ts): what ring records target as a u16. Given back, they wait out a
// quarantine, are skipped while a request still targets them, are taken lowest first, and never wrap: when
// all are taken, acquire throws. The engine's use of them: engine-topology-engine.test.ts, shard-refill.test.ts.
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Client } from '@shardcql/client';
import { startStub } from '../../../test/simulator/stub';
import { DriverError, TARGET_ANY } from '@shardcql/core';
import { CONN_INDEX_QUARANTINE_MS, ConnIndexPool, MAX_CONN_INDEXES } from '../src/engine/conn-indexes';

function pool(quarantineMs: number, limit = MAX_CONN_INDEXES) {
  const clock = { t: 0 };
  return { p: new ConnIndexPool(quarantineMs, limit, () => clock.t), clock };
}

describe('connection indexes', () => {
  it('never reach TARGET_ANY (0xffff): 65535 indexes, 0 to 65534, then a DriverError, never a wrap', () => {
    expect(MAX_CONN_INDEXES).toBe(TARGET_ANY);
    const { p } = pool(CONN_INDEX_QUARANTINE_MS);
    let last = -1;
    for (let i = 0; i < MAX_CONN_INDEXES; i++) last = p.acquire();
    expect(last).toBe(TARGET_ANY - 1);
    expect(() => p.acquire()).toThrow(DriverError);
    expect(() => p.acquire()).toThrow(/all 65535 connection indexes are in use or in quarantine/);
  });

  it('an index given back is used again only after the quarantine, lowest first', () => {
    const { p, clock } = pool(60_000);
    for (let i = 0; i < 5; i++) p.acquire();
    clock.t = 1000;
    p.release(3);
    clock.t = 2000;
    p.release(1);
    expect(p.quarantined).toBe(2);
    clock.t = 60_999;
    expect(p.acquire()).toBe(5); // 3 has waited 59.999 s
    clock.t = 61_000;
    expect(p.acquire()).toBe(3);
    clock.t = 62_000;
    expect(p.acquire()).toBe(1);
    expect(p.acquire()).toBe(6);
    expect(p.highWater).toBe(7);
  });

  it('an index a request still targets is skipped, and taken once the request settled', () => {
    const { p } = pool(0);
    for (let i = 0; i < 3; i++) p.acquire();
    p.release(0);
    p.release(1);
    const busy = new Set([0]);
    expect(p.acquire((c) => busy.has(c))).toBe(1);
    expect(p.acquire((c) => busy.has(c))).toBe(3);
    busy.clear();
    expect(p.acquire((c) => busy.has(c))).toBe(0);
  });

  it('a full pool with indexes in quarantine throws rather than hand out one of them early', () => {
    const { p, clock } = pool(1000, 4);
    for (let i = 0; i < 4; i++) p.acquire();
    p.release(2);
    expect(() => p.acquire()).toThrow(/1 given back in the last 1000 ms/);
    clock.t = 1000;
    expect(p.acquire()).toBe(2);
  });

  it('ignores giving back an index twice, or one never handed out', () => {
    const { p } = pool(0);
    p.acquire();
    p.release(0);
    p.release(0);
    p.release(7);
    expect(p.acquire()).toBe(0);
    expect(p.acquire()).toBe(1);
  });
});

describe("the control connection's index 0 after a contact point that failed", () => {
  it('is not left reconnecting to the failed contact point under the index of the one that answered', async () => {
    // A port nothing listens on: the first contact point is refused.
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.63', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const stub = await startStub({ host: '127.0.0.64', port: 0 });
    const client = new Client({
      contactPoints: [`127.0.0.63:${closed}`, `127.0.0.64:${stub.port}`],
      localDataCenter: 'datacenter1',
      shardcql: { workers: 1, directLane: 0 },
    });
    const logs: string[] = [];
    client.on('log', (_level: string, _cls: string, message: string) => logs.push(message));
    try {
      await client.connect();
      // The worker's first reconnection delay is 1 s: wait past it.
      await new Promise((r) => setTimeout(r, 1500));
      expect(logs.filter((m) => m.includes(`127.0.0.63:${closed}`))).toEqual([]);
      expect((await client.execute('SELECT * FROM system.local')).rowLength).toBe(1);
    } finally {
      await client.shutdown();
      await stub.stop();
    }
  });
});
