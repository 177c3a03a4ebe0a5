// Connection indexes (engine/conn-indexes.ts): what ring records target as a u16. Given back, they wait out a
// quarantine, are skipped while a request still targets them, are taken lowest first, and never wrap: when
// all are taken, acquire throws. The engine's use of them: engine-topology-engine.test.ts.
import { describe, expect, it } from 'vitest';
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
